from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.core.exceptions import ValidationError


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        return settings.OPEN_SIGNUP

    def authenticate(self, request, **credentials):
        # allauth lets a user whose backend check failed through to its own
        # "inactive" page; service accounts must never get a web session at all.
        user = super().authenticate(request, **credentials)
        if user is not None and user.is_service:
            raise ValidationError("Service accounts use API keys and cannot sign in to the web pages.")
        return user
