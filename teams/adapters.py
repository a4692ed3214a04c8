"""allauth's adapter: sign-up follows the site settings, and stays open for invitees."""

from allauth.account.adapter import DefaultAccountAdapter
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.models import SiteSettings

from .services import invitation_accept, invitation_by_token, invitation_problem


def _invitation(request):
    """The still-valid invitation this browser opened, if any."""
    token = request.session.get("invitation_token") if request is not None else None
    if not token:
        return None
    invitation = invitation_by_token(token)
    return invitation if invitation is not None and invitation.state == "pending" else None


def _invited(request):
    """Whether this browser opened a still-valid invitation link (invitees may always sign up)."""
    return _invitation(request) is not None


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

    def is_email_verified(self, request, email):
        # the invitation link reached this address: signing up with it needs no second mail
        invitation = _invitation(request)
        if invitation is not None and invitation.email.lower() == (email or "").lower():
            return True
        return super().is_email_verified(request, email)

    def get_signup_redirect_url(self, request):
        """Signed up through an invitation with the invited address: join the team at once and land there."""
        invitation = _invitation(request)
        if invitation is not None and request.user.is_authenticated and invitation_problem(invitation, request.user) is None:
            membership = invitation_accept(actor=request.user, invitation=invitation)
            request.session.pop("invitation_token", None)
            messages.success(request, f"Welcome to {membership.team.name}! You joined as {membership.role_name}.")
            return reverse("team-home", kwargs={"team": membership.team.slug})
        return super().get_signup_redirect_url(request)

    def get_login_redirect_url(self, request):
        # after signing up through an invitation, come back to accept it
        token = request.session.get("invitation_token")
        if token and _invited(request):
            return f"/invitations/{token}/"
        return super().get_login_redirect_url(request)
