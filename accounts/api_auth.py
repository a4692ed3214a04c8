"""How API callers prove who they are: a Bearer API key, or the browser session."""

from django.contrib.auth.models import AnonymousUser
from ninja.errors import HttpError
from ninja.security import HttpBearer
from ninja.utils import check_csrf

from accounts.selectors import user_for_api_key
from accounts.services import api_key_touch

SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}


class KeyOrSession(HttpBearer):
    """`Authorization: Bearer <key>`, or else the browser session.

    A request that carries an Authorization header is judged by that header
    alone: a bad or revoked key is a 401 even when a session cookie is also
    present. Session writes must pass Django's CSRF check.
    """

    def __init__(self, *, optional=False):
        super().__init__()
        self.optional = optional

    def __call__(self, request):
        if request.headers.get("Authorization"):
            return super().__call__(request)
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or user.is_service:
            # Endpoints open to visitors answer them as the anonymous user.
            return AnonymousUser() if self.optional else None
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            raise HttpError(403, "The CSRF token is missing or wrong; reload the page and try again.")
        return user

    def authenticate(self, request, token):
        found = user_for_api_key(token)
        if found is None:
            return None
        user, api_key = found
        api_key_touch(api_key=api_key)
        request.user = user
        request.api_key = api_key
        return user


# For endpoints that visitors may call too (public team profiles, public projects).
optional_auth = KeyOrSession(optional=True)
