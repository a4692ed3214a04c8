from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend


class AuthenticationBackend(AllauthBackend):
    """allauth's username-or-email backend, closed to service accounts.

    Service accounts exist only to hold API keys; refusing them here covers the
    sign-in page, the Django admin and every other password login at once.
    """

    def user_can_authenticate(self, user):
        return super().user_can_authenticate(user) and not getattr(user, "is_service", False)
