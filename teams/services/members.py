"""Members of a team: add, change roles and the registry-admin flag, remove."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User
from core.errors import Conflict

from .. import audit, policy, roles, signals
from ..models import CustomRole, Membership, OrganizationMember, Team


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

    @property
    def may_be_registry_admin(self):
        return roles.role(self.custom_role.base if self.custom_role else self.role).may_be_registry_admin


def resolve_role(team: Team, name: str) -> ResolvedRole:
    """A role name as people give it (admin, member, viewer, or a custom role's name)."""
    name = (name or "").strip()
    if name in roles.ROLES_BY_KEY and roles.role(name).assignable:
        return ResolvedRole(name, None)
    custom = CustomRole.objects.filter(organization_id=team.organization_id, name=name).first()
    if custom is not None:
        return ResolvedRole("custom", custom)
    names = [*roles.ASSIGNABLE[::-1], *CustomRole.objects.filter(organization_id=team.organization_id).values_list("name", flat=True)]
    raise ValidationError({"role": [f"“{name}” is not a role here. Choose one of: {', '.join(names)}."]})


def _admin_count(team):
    # locks the admins' rows, so two demotions at once cannot both see "two admins"
    admins = Membership.objects.select_for_update(of=("self",)).filter(team=team, role__in=roles.ADMIN_ROLES, custom_role__isnull=True)
    return len(admins.values_list("pk", flat=True))


def _refuse_losing_last_admin(membership):
    if membership.is_admin and _admin_count(membership.team) <= 1:
        raise Conflict(f"{membership.user.username} is the last admin of {membership.team.name}; make someone else an admin first.")


def _refuse_registry_admin():
    raise ValidationError({"registry_admin": ["View-only members cannot be registry admins."]})


@transaction.atomic
def member_add(*, actor, team: Team, user: User, role: str, registry_admin: bool = False) -> Membership:
    """Add an existing organization member to the team directly (team:invite; admin powers need team:manage)."""
    access = policy.team_access(actor, team)
    access.require("team:invite")
    resolved = resolve_role(team, role)
    access.require_may_grant(resolved.scopes)
    if registry_admin:
        access.require("registry:manage_admins")
    if user.is_service:
        raise ValidationError({"username": ["Service accounts are created on the service accounts page."]})
    if Membership.objects.filter(team=team, user=user).exists():
        raise ValidationError({"username": [f"{user.username} is already a member of {team.name}."]})
    if not OrganizationMember.objects.filter(organization_id=team.organization_id, user=user).exists():
        raise ValidationError(
            {"username": [f"{user.username} is not in the organization {team.organization.name}; invite them by email instead."]}
        )
    if registry_admin and not resolved.may_be_registry_admin:
        _refuse_registry_admin()
    membership = Membership.objects.create(
        team=team, user=user, role=resolved.role, custom_role=resolved.custom_role, registry_admin=registry_admin
    )
    audit.record(team=team, actor=actor, action="member.added", target=user.username, after={"role": resolved.name, "registry_admin": registry_admin})
    policy.forget()
    return membership


@transaction.atomic
def member_change_role(*, actor, membership: Membership, role: str | None = None, registry_admin: bool | None = None) -> Membership:
    """Change a member's role (team:manage) and/or registry-admin flag (registry:manage_admins).

    A request that changes nothing still needs team:manage: it answers with the member.
    """
    membership = Membership.objects.select_for_update(of=("self",)).select_related("user", "team", "custom_role").get(pk=membership.pk)
    team = membership.team
    access = policy.team_access(actor, team)
    changes_role = role is not None and role != membership.role_name
    changes_flag = registry_admin is not None and registry_admin != membership.registry_admin
    if changes_role or not changes_flag:
        access.require("team:manage")
    if changes_flag:
        access.require("registry:manage_admins")
    before = {"role": membership.role_name, "registry_admin": membership.registry_admin}
    if changes_role:
        resolved = resolve_role(team, role)
        if not roles.role(membership.role).assignable:
            raise ValidationError({"role": ["A service account's role cannot change."]})
        if not (resolved.custom_role is None and roles.role(resolved.role).admin):
            _refuse_losing_last_admin(membership)
        membership.role, membership.custom_role = resolved.role, resolved.custom_role
    if changes_flag:
        membership.registry_admin = registry_admin
    if membership.registry_admin and not roles.role(membership.base_role).may_be_registry_admin:
        _refuse_registry_admin()
    membership.save()
    if changes_role:
        audit.record(team=team, actor=actor, action="member.role_changed", target=membership.user.username,
                     before={"role": before["role"]}, after={"role": membership.role_name})
    if changes_flag:
        audit.record(team=team, actor=actor, action="registry.admin_changed", target=membership.user.username,
                     before={"registry_admin": before["registry_admin"]}, after={"registry_admin": membership.registry_admin})
    policy.forget()
    return membership


@transaction.atomic
def member_remove(*, actor, membership: Membership) -> None:
    """Remove a person from the team. Their runs, reports and artifacts stay in the team."""
    membership = Membership.objects.select_for_update(of=("self",)).select_related("user", "team", "custom_role").get(pk=membership.pk)
    policy.require(actor, "team:remove_member", membership.team)
    _refuse_losing_last_admin(membership)
    if not roles.role(membership.role).assignable:
        raise ValidationError({"username": ["Revoke service accounts on the service accounts page."]})
    membership.delete()
    audit.record(team=membership.team, actor=actor, action="member.removed", target=membership.user.username,
                 before={"role": membership.role_name, "registry_admin": membership.registry_admin})
    # what they made stays; managing the projects they created does not
    signals.member_removed.send(sender=Membership, team=membership.team, user=membership.user)
    policy.forget()
