"""Invitations by email: send, revoke, and accept (by the invitee, once their address is verified)."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import User
from core.errors import Conflict
from core.models import SiteSettings

from .. import audit, policy
from ..models import Invitation, Membership
from .members import resolve_role
from .organizations import ensure_org_member

INVITATION_LIFETIME = timedelta(days=7)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class NewInvitation:
    invitation: Invitation
    token: str
    accept_url: str


@transaction.atomic
def member_invite(*, actor, team, email: str, role: str, base_url: str) -> NewInvitation:
    """Invite someone by email (team:invite; offering admin powers needs team:manage)."""
    access = policy.team_access(actor, team)
    access.require("team:invite")
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": ["Enter a valid email address, such as ada@example.org."]}) from None
    resolved = resolve_role(team, role)
    access.require_may_grant(resolved.scopes)
    member_ids = Membership.objects.filter(team=team).values("user_id")
    if EmailAddress.objects.filter(email__iexact=email, user_id__in=member_ids).exists() or User.objects.filter(
        email__iexact=email, pk__in=member_ids
    ).exists():
        raise ValidationError({"email": [f"{email} already belongs to a member of {team.name}."]})
    if Invitation.objects.pending().filter(team=team, email__iexact=email).exists():
        raise ValidationError({"email": [f"{email} already has a pending invitation; revoke it to send a new one."]})
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        team=team,
        email=email,
        role=resolved.role,
        custom_role=resolved.custom_role,
        token_digest=token_digest(token),
        invited_by=actor if actor.pk else None,
        expires_at=timezone.now() + INVITATION_LIFETIME,
    )
    audit.record(team=team, actor=actor, action="invitation.created", target=email, after={"role": resolved.name})
    accept_url = f"{base_url.rstrip('/')}/invitations/{token}/"
    transaction.on_commit(lambda: _send_invitation(invitation, accept_url))
    return NewInvitation(invitation=invitation, token=token, accept_url=accept_url)


def _send_invitation(invitation, accept_url):
    site = SiteSettings.current().site_name
    context = {"invitation": invitation, "accept_url": accept_url, "site_name": site}
    inviter = invitation.invited_by.shown_name if invitation.invited_by else "Someone"
    send_mail(
        subject=f"[{site}] {inviter} invited you to {invitation.team.name}",
        message=render_to_string("teams/email/invitation.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[invitation.email],
    )


@transaction.atomic
def invitation_revoke(*, actor, invitation: Invitation) -> None:
    policy.require(actor, "team:invite", invitation.team)
    if invitation.state != "pending":
        raise Conflict(f"That invitation is already {invitation.state}.")
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit.record(team=invitation.team, actor=actor, action="invitation.revoked", target=invitation.email)


def invitation_by_token(token: str) -> Invitation | None:
    return Invitation.objects.select_related("team", "custom_role", "invited_by").filter(token_digest=token_digest(token)).first()


@dataclass(frozen=True)
class InvitationProblem:
    kind: str  # invalid, accepted, revoked, expired (the link is dead), member, email (wrong account)
    message: str

    @property
    def link_is_dead(self):
        return self.kind in {"invalid", "accepted", "revoked", "expired"}


def invitation_problem(invitation: Invitation | None, user=None) -> InvitationProblem | None:
    """Why this invitation cannot be accepted (by `user`); None when it can."""
    if invitation is None:
        return InvitationProblem("invalid", "This invitation link is not valid. Ask the team admin for a new one.")
    if invitation.state == "accepted":
        return InvitationProblem("accepted", "This invitation was already accepted.")
    if invitation.state == "revoked":
        return InvitationProblem("revoked", "This invitation was revoked by a team admin.")
    if invitation.state == "expired":
        return InvitationProblem("expired", "This invitation has expired (links last 7 days). Ask the team admin for a new one.")
    if user is not None and user.is_authenticated:
        if Membership.objects.filter(team=invitation.team, user=user).exists():
            return InvitationProblem("member", f"You are already a member of {invitation.team.name}.")
        if not EmailAddress.objects.filter(user=user, email__iexact=invitation.email, verified=True).exists():
            return InvitationProblem(
                "email",
                f"This invitation was sent to {invitation.email}. Add and verify that address on your account, "
                "then open the link again.",
            )
    return None


@transaction.atomic
def invitation_accept(*, actor, invitation: Invitation) -> Membership:
    """The invitee (`actor`, whose verified address the invitation names) joins the team."""
    if not (actor.is_authenticated and actor.pk):
        raise policy.Denied("Sign in (or sign up) as the invited person to accept the invitation.")
    invitation = Invitation.objects.select_for_update(of=("self",)).select_related("team", "custom_role").get(pk=invitation.pk)
    problem = invitation_problem(invitation, actor)
    if problem:
        raise Conflict(problem.message)
    membership = Membership.objects.create(team=invitation.team, user=actor, role=invitation.role, custom_role=invitation.custom_role)
    ensure_org_member(invitation.team.organization, actor)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = actor
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit.record(team=invitation.team, actor=actor, action="member.added", target=actor.username,
                 after={"role": invitation.role_name}, invitation=invitation.email)
    policy.forget()
    return membership
