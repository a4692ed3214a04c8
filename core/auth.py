"""Pages that need a signed-in person: one middleware answers for all of them.

A policy refusal (PermissionDenied) met by a visitor who is not signed in
sends them to sign in with ?next=, as does `require_signed_in`; so no view
needs a decorator, and a service that refuses an anonymous actor just raises.
The API answers for itself (its error shape), so /api/ is left alone.
"""

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied


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
        if isinstance(exception, PermissionDenied) and not request.user.is_authenticated and not request.path.startswith("/api/"):
            return redirect_to_login(request.get_full_path())
        return None
