"""Writes for organizations and teams. Callers have asked the policy first."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User
from accounts.services import api_key_create, user_create
from core.errors import Conflict
from core.models import SiteSettings

from . import roles
from .models import (
    CustomRole,
    Invitation,
    Membership,
    Organization,
    OrganizationMember,
    ServiceAccount,
    Team,
)

INVITATION_LIFETIME = timedelta(days=7)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- Organizations ------------------------------------------------------------


@transaction.atomic
def organization_create(*, slug: str, name: str, admin: User | None = None) -> Organization:
    slug, name = (slug or "").strip(), (name or "").strip() or (slug or "").strip()
    org = Organization(slug=slug, name=name)
    org.full_clean(validate_unique=False, validate_constraints=False)
    if Organization.objects.filter(slug__iexact=slug).exists():
        raise ValidationError({"slug": [f"The organization name “{slug}” is taken."]})
    org.save()
    if admin is not None:
        org_member_set(organization=org, user=admin, role=OrganizationMember.ADMIN)
    return org


def org_member_set(*, organization: Organization, user: User, role: str) -> OrganizationMember:
    if role not in dict(OrganizationMember.ROLE_CHOICES):
        raise ValidationError({"role": ["The role must be “admin” or “member”."]})
    if user.is_service:
        raise ValidationError({"username": ["Service accounts belong to a team, not to an organization."]})
    member, _ = OrganizationMember.objects.update_or_create(
        organization=organization, user=user, defaults={"role": role}
    )
    return member


def _ensure_org_member(organization, user):
    if not user.is_service:
        OrganizationMember.objects.get_or_create(organization=organization, user=user)


@transaction.atomic
def custom_role_create(*, organization: Organization, name: str, base: str, scopes) -> CustomRole:
    name = (name or "").strip()
    errors = {}
    if base not in roles.CUSTOM_ROLE_BASES:
        errors["base"] = ["A custom role is built on “viewer” or “member”."]
    scopes = list(dict.fromkeys(scopes or []))
    unknown = roles.unknown_scopes(scopes)
    if unknown:
        errors["scopes"] = [f"Unknown scope: {', '.join(unknown)}. Scopes look like “report:create”."]
    if name.lower() in roles.ROLES_BY_KEY or name.lower() == "custom":
        errors["name"] = [f"“{name}” is a built-in role; choose another name."]
    elif CustomRole.objects.filter(organization=organization, name__iexact=name).exists():
        errors["name"] = [f"This organization already has a role named “{name}”."]
    role = CustomRole(organization=organization, name=name, base=base if base in roles.CUSTOM_ROLE_BASES else "viewer")
    try:
        role.full_clean(exclude=["organization", "extra_scopes", "base"], validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    base_scopes = roles.role(base).scopes
    role.extra_scopes = sorted(scope for scope in scopes if scope not in base_scopes)
    role.save()
    return role


def custom_role_delete(*, role: CustomRole) -> None:
    if role.memberships.exists():
        raise Conflict(f"The role “{role.name}” is still assigned; give those members another role first.")
    if Invitation.objects.pending().filter(custom_role=role).exists():
        raise Conflict(f"Pending invitations offer the role “{role.name}”; revoke them first.")
    role.delete()


# --- Teams --------------------------------------------------------------------


@transaction.atomic
def team_create(*, organization: Organization, slug: str, name: str, creator: User) -> Team:
    slug, name = (slug or "").strip(), (name or "").strip() or (slug or "").strip()
    team = Team(organization=organization, slug=slug, name=name)
    team.full_clean(exclude=["organization"], validate_unique=False, validate_constraints=False)
    if Team.objects.filter(slug__iexact=slug).exists():
        raise ValidationError({"slug": [f"The team name “{slug}” is taken."]})
    team.save()
    Membership.objects.create(team=team, user=creator, role="admin")
    _ensure_org_member(organization, creator)
    return team


@transaction.atomic
def team_update(*, team: Team, **changes) -> Team:
    """Change a team's settings. Turning on "projects stay inside the team" moves
    its public and open projects to team visibility."""
    from experiments.services import projects_keep_inside

    from .forms import clean_links

    allowed = {"name", "intro", "links", "projects_stay_inside"}
    closing = changes.get("projects_stay_inside") is True and not team.projects_stay_inside
    if "links" in changes:
        changes["links"] = clean_links(changes["links"] or [])
    for field, value in changes.items():
        if field not in allowed:
            raise ValueError(field)
        setattr(team, field, value.strip() if isinstance(value, str) else value)
    team.full_clean(exclude=["organization"], validate_unique=False, validate_constraints=False)
    team.save()
    if closing:
        projects_keep_inside(team=team)
    return team


def team_delete(*, team: Team) -> None:
    team.delete()


# --- Members ------------------------------------------------------------------


@dataclass(frozen=True)
class ResolvedRole:
    role: str
    custom_role: CustomRole | None

    @property
    def name(self):
        return self.custom_role.name if self.custom_role else self.role

    @property
    def scopes(self):
        return self.custom_role.scopes if self.custom_role else roles.role(self.role).scopes


def resolve_role(team: Team, name: str) -> ResolvedRole:
    """A role name as people give it (admin, member, viewer, or a custom role's name)."""
    name = (name or "").strip()
    if name in roles.ROLES_BY_KEY and roles.role(name).assignable:
        return ResolvedRole(name, None)
    custom = CustomRole.objects.filter(organization_id=team.organization_id, name=name).first()
    if custom is not None:
        return ResolvedRole("custom", custom)
    choices = ", ".join(["admin", "member", "viewer", *CustomRole.objects.filter(organization_id=team.organization_id).values_list("name", flat=True)])
    raise ValidationError({"role": [f"“{name}” is not a role here. Choose one of: {choices}."]})


def _admin_count(team):
    # locks the admins' rows, so two demotions at once cannot both see "two admins"
    return len(Membership.objects.select_for_update(of=("self",)).filter(team=team, role="admin").values_list("pk", flat=True))


def _refuse_losing_last_admin(membership):
    if membership.role == "admin" and _admin_count(membership.team) <= 1:
        raise Conflict(
            f"{membership.user.username} is the last admin of {membership.team.name}; "
            "make someone else an admin first."
        )


@transaction.atomic
def member_add(*, team: Team, user: User, role: str, registry_admin: bool = False) -> Membership:
    """Add an existing organization member to the team directly."""
    resolved = resolve_role(team, role)
    if user.is_service:
        raise ValidationError({"username": ["Service accounts are created on the service accounts page."]})
    if Membership.objects.filter(team=team, user=user).exists():
        raise ValidationError({"username": [f"{user.username} is already a member of {team.name}."]})
    if not OrganizationMember.objects.filter(organization_id=team.organization_id, user=user).exists():
        raise ValidationError(
            {"username": [f"{user.username} is not in the organization {team.organization.name}; invite them by email instead."]}
        )
    if registry_admin and (resolved.custom_role.base if resolved.custom_role else resolved.role) == "viewer":
        raise ValidationError({"registry_admin": ["View-only members cannot be registry admins."]})
    return Membership.objects.create(
        team=team, user=user, role=resolved.role, custom_role=resolved.custom_role, registry_admin=registry_admin
    )


@transaction.atomic
def member_change_role(*, membership: Membership, role: str | None = None, registry_admin: bool | None = None) -> Membership:
    membership = Membership.objects.select_for_update(of=("self",)).select_related("user", "team", "custom_role").get(pk=membership.pk)
    if role is not None:
        resolved = resolve_role(membership.team, role)
        if membership.role == "service":
            raise ValidationError({"role": ["A service account's role cannot change."]})
        if resolved.role != "admin":
            _refuse_losing_last_admin(membership)
        membership.role, membership.custom_role = resolved.role, resolved.custom_role
    if registry_admin is not None:
        membership.registry_admin = registry_admin
    if membership.registry_admin and membership.base_role == "viewer":
        raise ValidationError({"registry_admin": ["View-only members cannot be registry admins."]})
    membership.save()
    return membership


@transaction.atomic
def member_remove(*, membership: Membership) -> None:
    """Remove a person from the team. Their runs, reports and artifacts stay in the team."""
    membership = Membership.objects.select_for_update(of=("self",)).select_related("user", "team").get(pk=membership.pk)
    _refuse_losing_last_admin(membership)
    if membership.role == "service":
        raise ValidationError({"username": ["Revoke service accounts on the service accounts page."]})
    membership.delete()
    # what they made stays; managing the projects they created does not
    from teams import policy

    policy.forget_project_grants(user=membership.user, team=membership.team)


# --- Invitations ----------------------------------------------------------------


@dataclass(frozen=True)
class NewInvitation:
    invitation: Invitation
    token: str
    accept_url: str


@transaction.atomic
def member_invite(*, team: Team, email: str, role: str, invited_by: User, base_url: str) -> NewInvitation:
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": ["Enter a valid email address, such as ada@example.org."]}) from None
    resolved = resolve_role(team, role)
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
        invited_by=invited_by,
        expires_at=timezone.now() + INVITATION_LIFETIME,
    )
    accept_url = f"{base_url.rstrip('/')}/invitations/{token}/"
    transaction.on_commit(lambda: _send_invitation(invitation, accept_url))
    return NewInvitation(invitation=invitation, token=token, accept_url=accept_url)


def _send_invitation(invitation, accept_url):
    site = SiteSettings.current().site_name
    context = {"invitation": invitation, "accept_url": accept_url, "site_name": site}
    send_mail(
        subject=f"[{site}] {invitation.invited_by.shown_name if invitation.invited_by else 'Someone'} invited you to {invitation.team.name}",
        message=render_to_string("teams/email/invitation.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[invitation.email],
    )


def invitation_revoke(*, invitation: Invitation) -> None:
    if invitation.state != "pending":
        raise Conflict(f"That invitation is already {invitation.state}.")
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])


def invitation_by_token(token: str) -> Invitation | None:
    return Invitation.objects.select_related("team", "custom_role", "invited_by").filter(token_digest=token_digest(token)).first()


@dataclass(frozen=True)
class InvitationProblem:
    kind: str  # invalid, accepted, revoked, expired (the link is dead), member, email (wrong account)
    message: str

    @property
    def link_is_dead(self):
        return self.kind in {"invalid", "accepted", "revoked", "expired"}


def invitation_problem(invitation: Invitation | None, user: User | None = None) -> InvitationProblem | None:
    """Why this invitation cannot be accepted (by `user`); None when it can."""
    if invitation is None:
        return InvitationProblem("invalid", "This invitation link is not valid. Ask the team admin for a new one.")
    if invitation.state == "accepted":
        return InvitationProblem("accepted", "This invitation was already accepted.")
    if invitation.state == "revoked":
        return InvitationProblem("revoked", "This invitation was revoked by a team admin.")
    if invitation.state == "expired":
        return InvitationProblem(
            "expired", "This invitation has expired (links last 7 days). Ask the team admin for a new one."
        )
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
def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    invitation = Invitation.objects.select_for_update(of=("self",)).select_related("team").get(pk=invitation.pk)
    problem = invitation_problem(invitation, user)
    if problem:
        raise Conflict(problem.message)
    membership = Membership.objects.create(
        team=invitation.team, user=user, role=invitation.role, custom_role=invitation.custom_role
    )
    _ensure_org_member(invitation.team.organization, user)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


# --- Service accounts ---------------------------------------------------------------


@dataclass(frozen=True)
class NewServiceAccount:
    service_account: ServiceAccount
    key: str


@transaction.atomic
def service_account_create(*, team: Team, name: str, created_by: User) -> NewServiceAccount:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": ["Name the service account after what uses it, such as “nightly-training”."]})
    if len(name) > 100:
        raise ValidationError({"name": ["Names may be at most 100 characters."]})
    base = slugify(f"{team.slug}-{name}")[:120] or f"{team.slug}-bot"
    username = base
    n = 1
    while User.objects.filter(username__iexact=username).exists():
        n += 1
        username = f"{base}-{n}"
    user = user_create(username=username, email="", password=None)
    user.is_service = True
    user.display_name = name
    user.save(update_fields=["is_service", "display_name"])
    try:
        account = ServiceAccount.objects.create(user=user, team=team, name=name, created_by=created_by)
    except IntegrityError:  # pragma: no cover - the username loop above prevents it
        raise Conflict("That service account already exists.") from None
    Membership.objects.create(team=team, user=user, role="service")
    created = api_key_create(user=user, name=f"{name} key")
    return NewServiceAccount(service_account=account, key=created.key)


@transaction.atomic
def service_account_revoke(*, account: ServiceAccount) -> None:
    """Stop a service account for good: its keys die, what it logged stays."""
    if account.revoked_at:
        raise Conflict(f"The service account {account.name} is already revoked.")
    now = timezone.now()
    account.revoked_at = now
    account.save(update_fields=["revoked_at"])
    account.user.api_keys.filter(revoked_at__isnull=True).update(revoked_at=now)
    User.objects.filter(pk=account.user_id).update(is_active=False)
    Membership.objects.filter(team=account.team, user=account.user).delete()


# --- The team's profile ----------------------------------------------------------------


def links_from_text(text: str) -> list[dict]:
    """One link per line, "Label | https://..." or just the address; http(s) only (ValidationError naming the line)."""
    from .forms import clean_links

    links = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        label, _, url = line.rpartition("|") if "|" in line else ("", "", line)
        links.append({"label": label.strip(), "url": url.strip()})
    return clean_links(links)


def team_avatar_set(*, team: Team, upload) -> Team:
    from core.images import replace_avatar

    return replace_avatar(team, upload)


@transaction.atomic
def showcase_add(*, team: Team, report=None, project=None):
    from .models import ShowcaseItem

    if (report is None) == (project is None):
        raise ValidationError({"item": ["Choose one report or one project to show."]})
    if (report and report.team_id != team.pk) or (project and project.team_id != team.pk):
        raise ValidationError({"item": ["Only the team's own reports and projects can be shown."]})
    if report is not None and report.visibility == "draft":
        raise ValidationError({"item": ["A draft cannot be showcased; publish it to the team or the world first."]})
    if ShowcaseItem.objects.filter(team=team, report=report, project=project).exists():
        raise ValidationError({"item": ["That is already on the profile."]})
    last = ShowcaseItem.objects.filter(team=team).order_by("-position").values_list("position", flat=True).first()
    return ShowcaseItem.objects.create(team=team, report=report, project=project, position=(last or 0) + 1)


@transaction.atomic
def showcase_move(*, item, direction: str) -> None:
    from .models import ShowcaseItem

    items = list(ShowcaseItem.objects.select_for_update().filter(team_id=item.team_id).order_by("position", "id"))
    index = next(n for n, other in enumerate(items) if other.pk == item.pk)
    target = index - 1 if direction == "up" else index + 1
    if 0 <= target < len(items):
        items[index], items[target] = items[target], items[index]
    for position, other in enumerate(items, start=1):
        if other.position != position:
            ShowcaseItem.objects.filter(pk=other.pk).update(position=position)


def showcase_remove(*, item) -> None:
    item.delete()
