"""The one permission policy (spec/permissions.md).

Every "may this person do this to this object" question in teamsite is answered
here: `can(user, scope, obj)` and `visible(user, queryset)`, in the spirit of
Wagtail's permission policies. Role scopes come from the role table
(teams/roles.py) through memberships; per-object grants (creators, authors,
access lists) come from django-guardian, asked only from this module.

Answers follow the spec: what the caller cannot see at all is a 404 (the same as
a missing object), what they can see but may not do is a 403 naming the scope.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from . import roles
from .models import CustomRole, Invitation, Membership, Organization, OrganizationMember, ServiceAccount, Team

ORG_ADMIN_SCOPES = frozenset({"org:view", "org:create_team", "org:manage_roles", "org:manage_members"})
ORG_MEMBER_SCOPES = frozenset({"org:view"})
SYSTEM_SCOPES = frozenset({"system:manage", "system:create_organization", "system:delete_team", "system:create_user"})
ALL_SCOPES = frozenset(roles.SCOPES) | ORG_ADMIN_SCOPES | SYSTEM_SCOPES


def is_system_admin(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.is_superuser)


# --- Scopes of a user in a team or organization -----------------------------


class TeamAccess:
    """What one user may do in one team, computed with one query and reused.

    Pages and lists build one of these per request (never one check per row).
    """

    def __init__(self, user, team, membership=None, *, loaded=False):
        self.user = user
        self.team = team
        if not loaded:
            membership = _membership(user, team)
        self.membership = membership
        if is_system_admin(user):
            self.scopes = ALL_SCOPES
        elif membership is not None:
            self.scopes = membership.scopes
        else:
            self.scopes = frozenset()

    @property
    def is_member(self):
        return self.membership is not None

    @property
    def role_name(self):
        return self.membership.role_name if self.membership else None

    def can(self, scope) -> bool:
        return scope in self.scopes

    def require(self, scope):
        if not self.can(scope):
            raise PermissionDenied(denied_message(scope, self.team))


def _membership(user, team):
    if not (user and user.is_authenticated and user.is_active and team is not None and team.pk):
        return None
    return Membership.objects.select_related("custom_role").filter(team=team, user=user).first()


def team_access(user, team) -> TeamAccess:
    return TeamAccess(user, team)


def org_scopes(user, organization) -> frozenset:
    if is_system_admin(user):
        return ALL_SCOPES
    if not (user and user.is_authenticated and user.is_active):
        return frozenset()
    role = (
        OrganizationMember.objects.filter(organization=organization, user=user).values_list("role", flat=True).first()
    )
    if role == OrganizationMember.ADMIN:
        return ORG_ADMIN_SCOPES
    if role == OrganizationMember.MEMBER:
        return ORG_MEMBER_SCOPES
    return frozenset()


# --- The questions ------------------------------------------------------------


def can(user, scope, obj=None) -> bool:
    """May `user` do `scope` to `obj`? obj=None asks about the whole site."""
    if scope not in ALL_SCOPES:
        raise ValueError(f"Unknown scope {scope!r}")
    if obj is None:
        return scope in SYSTEM_SCOPES and is_system_admin(user)
    if isinstance(obj, Organization):
        return scope in org_scopes(user, obj)
    if isinstance(obj, CustomRole):
        return scope in org_scopes(user, obj.organization)
    return TeamAccess(user, team_of(obj)).can(scope)


def require(user, scope, obj=None):
    """Raise Http404 when `user` cannot see `obj`, PermissionDenied when they may not do `scope`."""
    if obj is not None and not can_see(user, obj):
        raise Http404("Not found.")
    if not can(user, scope, obj):
        raise PermissionDenied(denied_message(scope, obj))


def can_see(user, obj) -> bool:
    """Whether the object exists for `user` at all (else: 404, never a hint)."""
    if isinstance(obj, (Organization, Team)):
        return True  # names of organizations and teams are public: the team profile is
    if isinstance(obj, CustomRole):
        return "org:view" in org_scopes(user, obj.organization)
    if isinstance(obj, (Membership, ServiceAccount)):
        return can(user, "team:view", obj.team)
    if isinstance(obj, Invitation):
        return can(user, "team:invite", obj.team)
    return can(user, "team:view", team_of(obj))


def visible(user, queryset):
    """Narrow `queryset` to the rows `user` may see."""
    model = queryset.model
    if is_system_admin(user):
        return queryset
    if model in (Team, Organization):
        return queryset
    if not (user and user.is_authenticated):
        return queryset.none()
    if model in (Membership, ServiceAccount):
        return queryset.filter(team__in=_teams_with(user, "team:view"))
    if model is Invitation:
        return queryset.filter(team__in=_teams_with(user, "team:invite"))
    if model is CustomRole:
        return queryset.filter(organization__memberships__user=user)
    raise TypeError(f"The policy has no visibility rule for {model.__name__}")


def _teams_with(user, scope):
    """Team ids where `user` holds `scope`: by built-in role, custom role or registry-admin flag."""
    holds = Q(role__in=[role.key for role in roles.ROLES if scope in role.scopes])
    custom = [role.pk for role in CustomRole.objects.filter(memberships__user=user).distinct() if scope in role.scopes]
    if custom:
        holds |= Q(custom_role_id__in=custom)
    if scope in roles.REGISTRY_SCOPES:
        holds |= Q(registry_admin=True)
    return Membership.objects.filter(user=user).filter(holds).values("team_id")


def team_of(obj):
    if isinstance(obj, Team):
        return obj
    team = getattr(obj, "team", None)
    if isinstance(team, Team):
        return team
    raise TypeError(f"The policy cannot find the team of {type(obj).__name__}")


def denied_message(scope, obj=None):
    where = f" in {obj}" if isinstance(obj, (Team, Organization)) else ""
    if scope in SYSTEM_SCOPES:
        return f"Only system admins may do that (it needs {scope})."
    if scope.startswith("org:"):
        return f"Only organization admins may do that{where} (it needs {scope})."
    return f"Your role does not include {scope}{where}."
