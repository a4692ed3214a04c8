"""Organizations, custom roles and teams."""

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User
from core.errors import Conflict

from .. import audit, policy, roles, signals
from ..forms import clean_links
from ..models import CustomRole, Invitation, Membership, Organization, OrganizationMember, Team


@transaction.atomic
def organization_create(*, actor, slug: str, name: str, admin: User | None = None) -> Organization:
    policy.require(actor, "system:create_organization")
    slug, name = (slug or "").strip(), (name or "").strip() or (slug or "").strip()
    org = Organization(slug=slug, name=name)
    org.full_clean(validate_unique=False, validate_constraints=False)
    if Organization.objects.filter(slug__iexact=slug).exists():
        raise ValidationError({"slug": [f"The organization name “{slug}” is taken."]})
    org.save()
    if admin is not None:
        _set_org_role(org, admin, OrganizationMember.ADMIN)
    return org


def org_member_set(*, actor, organization: Organization, user: User, role: str) -> OrganizationMember:
    policy.require(actor, "org:manage_members", organization)
    if role not in dict(OrganizationMember.ROLE_CHOICES):
        raise ValidationError({"role": ["The role must be “admin” or “member”."]})
    return _set_org_role(organization, user, role)


def _set_org_role(organization, user, role):
    if user.is_service:
        raise ValidationError({"username": ["Service accounts belong to a team, not to an organization."]})
    member, _ = OrganizationMember.objects.update_or_create(organization=organization, user=user, defaults={"role": role})
    return member


def ensure_org_member(organization, user):
    if not user.is_service:
        OrganizationMember.objects.get_or_create(organization=organization, user=user)


@transaction.atomic
def custom_role_create(*, actor, organization: Organization, name: str, base: str, scopes) -> CustomRole:
    policy.require(actor, "org:manage_roles", organization)
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
    role = CustomRole(organization=organization, name=name, base=base if base in roles.CUSTOM_ROLE_BASES else roles.VIEWER)
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


def custom_role_delete(*, actor, role: CustomRole) -> None:
    policy.require(actor, "org:manage_roles", role.organization)
    if role.memberships.exists():
        raise Conflict(f"The role “{role.name}” is still assigned; give those members another role first.")
    if Invitation.objects.pending().filter(custom_role=role).exists():
        raise Conflict(f"Pending invitations offer the role “{role.name}”; revoke them first.")
    role.delete()


# --- Teams ---------------------------------------------------------------------------------


@transaction.atomic
def team_create(*, actor, organization: Organization, slug: str, name: str, admin: User | None = None) -> Team:
    """Create a team in `organization`; its creator (or the `admin` a system admin names) becomes its first admin."""
    policy.require(actor, "org:create_team", organization)
    slug, name = (slug or "").strip(), (name or "").strip() or (slug or "").strip()
    team = Team(organization=organization, slug=slug, name=name)
    team.full_clean(exclude=["organization"], validate_unique=False, validate_constraints=False)
    if Team.objects.filter(slug__iexact=slug).exists():
        raise ValidationError({"slug": [f"The team name “{slug}” is taken."]})
    team.save()
    first_admin = admin or (actor if actor.pk else None)
    if admin is not None and admin != actor:
        policy.require(actor, "system:create_organization")  # only operators create teams for someone else
    if first_admin is not None:
        Membership.objects.create(team=team, user=first_admin, role=roles.ADMIN)
        ensure_org_member(organization, first_admin)
        policy.forget()
    return team


TEAM_SETTINGS = ("name", "intro", "links", "projects_stay_inside")


@transaction.atomic
def team_update(*, actor, team: Team, **changes) -> Team:
    """Change a team's settings. Turning on "projects stay inside the team" closes
    its public and open projects (the experiments app moves them to team visibility)."""
    policy.require(actor, "team:manage", team)
    closing = changes.get("projects_stay_inside") is True and not team.projects_stay_inside
    if "links" in changes:
        changes["links"] = clean_links(changes["links"] or [])
    before = {field: getattr(team, field) for field in changes if field in TEAM_SETTINGS}
    for field, value in changes.items():
        if field not in TEAM_SETTINGS:
            raise ValueError(field)
        setattr(team, field, value.strip() if isinstance(value, str) else value)
    team.full_clean(exclude=["organization"], validate_unique=False, validate_constraints=False)
    team.save()
    changed = {field: getattr(team, field) for field in before if before[field] != getattr(team, field)}
    if changed:
        audit.record(
            team=team, actor=actor, action="team.settings_changed", target=team.slug,
            before={field: before[field] for field in changed if field != "intro"},
            after={field: value for field, value in changed.items() if field != "intro"},
            fields=sorted(changed),
        )
    if closing:
        signals.projects_kept_inside.send(sender=Team, team=team, actor=actor)
    return team


def team_delete(*, actor, team: Team) -> None:
    policy.require(actor, "system:delete_team")
    team.delete()


def team_avatar_set(*, actor, team: Team, upload) -> Team:
    from core.images import replace_avatar

    policy.require(actor, "team:manage", team)
    return replace_avatar(team, upload)


def links_from_text(text: str) -> list[dict]:
    """One link per line, "Label | https://..." or just the address; http(s) only (ValidationError naming the line)."""
    links = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        label, _, url = line.rpartition("|") if "|" in line else ("", "", line)
        links.append({"label": label.strip(), "url": url.strip()})
    return clean_links(links)
