"""Pages that need a signed-in person: one middleware answers for all of them.

A policy refusal met by a visitor who is not signed in sends them to sign in
with ?next= (and back after), as does `require_signed_in`; so no view needs a
decorator, and a service that refuses an anonymous actor just raises. "Cannot
see it" (404) counts as a refusal too: for a signed-out visitor a private page
and a missing one both lead to sign-in, which tells nothing about either, as the
API's 401 does (spec/permissions.md, "Answers"). The API answers for itself (its
error shape), so /api/ is left alone, as are files under /media/ and /static/.
"""

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404

NOT_PAGES = ("/api/", "/media/", "/static/")


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
        refused = isinstance(exception, (PermissionDenied, Http404))
        if refused and not request.user.is_authenticated and not request.path.startswith(NOT_PAGES):
            return redirect_to_login(request.get_full_path())
        return None
