"""Pages that need a signed-in person: one middleware answers for all of them.

A policy refusal (PermissionDenied), or a page they cannot see (404), met by a
visitor who is not signed in sends them to sign in with ?next=, as does `require_signed_in`; so no view
needs a decorator, and a service that refuses an anonymous actor just raises.
The API answers for itself (its error shape), so /api/ is left alone.
"""

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404


class SignInFirst(Exception):
    pass


def require_signed_in(request):
    if not request.user.is_authenticated:
        raise SignInFirst


class SignInFirstMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, SignInFirst):
            return redirect_to_login(request.get_full_path())
        signed_out_page = not request.user.is_authenticated and not request.path.startswith("/api/")
        if signed_out_page and isinstance(exception, PermissionDenied):
            return redirect_to_login(request.get_full_path())
        # a private page (or one that does not exist: the same answer, so nothing leaks) asks a
        # signed-out visitor to sign in, and ?next= brings them back once they have
        if signed_out_page and isinstance(exception, Http404) and request.method in ("GET", "HEAD") and not request.path.endswith(".svg"):
            return redirect_to_login(request.get_full_path())
        return None
