"""allauth's adapter: sign-up follows the site settings, and stays open for invitees."""

from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import ValidationError

from core.models import SiteSettings

from .services import invitation_by_token


def _invited(request):
    """Whether this browser opened a still-valid invitation link (invitees may always sign up)."""
    token = request.session.get("invitation_token") if request is not None else None
    if not token:
        return False
    invitation = invitation_by_token(token)
    return invitation is not None and invitation.state == "pending"


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        return SiteSettings.current().signup_is_open or _invited(request)

    def clean_email(self, email):
        email = super().clean_email(email)
        domains = SiteSettings.current().domains
        if domains and not _invited(self.request) and email.rsplit("@", 1)[-1].lower() not in domains:
            raise ValidationError(f"Accounts here need an address at {', '.join(domains)}.")
        return email

    def authenticate(self, request, **credentials):
        # allauth lets a user whose backend check failed through to its own
        # "inactive" page; service accounts must never get a web session at all.
        user = super().authenticate(request, **credentials)
        if user is not None and user.is_service:
            raise ValidationError("Service accounts use API keys and cannot sign in to the web pages.")
        return user

    def get_login_redirect_url(self, request):
        # after signing up through an invitation, come back to accept it
        token = request.session.get("invitation_token")
        if token and _invited(request):
            return f"/invitations/{token}/"
        return super().get_login_redirect_url(request)
