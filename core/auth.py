"""Pages that need a signed-in person raise SignInFirst; one middleware answers it.

So no view needs a decorator to send a visitor to the sign-in page: the policy
check that finds an anonymous visitor lacking a scope just raises.
"""

from django.contrib.auth.views import redirect_to_login


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
        return None
