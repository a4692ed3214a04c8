"""The policy's base: its answers (NotVisible, Denied), the site as an actor, what one
person may do in one team (TeamAccess) and in one organization.

Access objects are computed once and reused for every check on the same object
(a page builds one, never one per row); memberships are read once per request.
"""

from __future__ import annotations

import contextvars

from django.core.exceptions import PermissionDenied
from django.http import Http404

from .. import roles
from ..models import CustomRole, Membership, Organization, OrganizationMember, Team


class NotVisible(Http404):
    """The object does not exist for this person (404, never a hint)."""


class Denied(PermissionDenied):
    """The person sees the object but may not do this (403 naming the scope)."""

    def __init__(self, message, scope=None):
        super().__init__(message)
        self.scope = scope


class _Site:
    """The site acting for itself (management commands, the demo, imports): a system admin."""

    pk = id = None
    username = "site"
    is_authenticated = is_active = is_superuser = True
    is_service = False

    def __str__(self):
        return "the site"


SYSTEM = _Site()


def is_system_admin(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_superuser)


def _signed_in(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


# --- Memberships, looked up once per request ----------------------------------------

_request_cache: contextvars.ContextVar[dict | None] = contextvars.ContextVar("policy_cache", default=None)


class RequestCache:
    """Middleware: within one request each membership is read once (outside requests, always read)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request_cache.set({})
        try:
            return self.get_response(request)
        finally:
            _request_cache.reset(token)


def forget():
    """Services that change memberships call this, so the rest of the request sees the change."""
    cache = _request_cache.get()
    if cache is not None:
        cache.clear()


def _membership(user, team):
    if not (_signed_in(user) and user.pk and team is not None and team.pk):
        return None
    cache = _request_cache.get()
    key = (user.pk, team.pk)
    if cache is not None and key in cache:
        return cache[key]
    # asked on every request: a raw query skips the ORM's query compilation
    found = list(Membership.objects.raw(f"SELECT * FROM {Membership._meta.db_table} WHERE team_id = %s AND user_id = %s", [team.pk, user.pk]))
    membership = found[0] if found else None
    if membership is not None:
        membership.team = team
        membership.custom_role = CustomRole.objects.get(pk=membership.custom_role_id) if membership.custom_role_id else None
    if cache is not None:
        cache[key] = membership
    return membership


# --- Teams ------------------------------------------------------------------------------


class TeamAccess:
    """What one user may do in one team: their membership's scopes."""

    def __init__(self, user, team, membership=None, *, loaded=False):
        self.user = user
        self.team = team
        self.membership = membership if loaded else _membership(user, team)
        if is_system_admin(user):
            self.scopes = roles.ALL_SCOPES
        elif self.membership is not None:
            self.scopes = self.membership.scopes
        else:
            self.scopes = frozenset()

    @property
    def is_member(self):
        return self.membership is not None

    @property
    def is_admin(self):
        """A team admin by the role table: sees every restricted project and draft."""
        return is_system_admin(self.user) or (self.membership is not None and self.membership.is_admin)

    @property
    def role_name(self):
        return self.membership.role_name if self.membership else None

    def can(self, scope) -> bool:
        return scope in self.scopes

    def require(self, scope):
        if not self.can(scope):
            raise Denied(denied_message(scope, self.team), scope)

    def require_may_grant(self, role_scopes):
        """Inviting may hand out a member's powers, but powers beyond those only if one holds them
        (or manages the team): team:invite alone does not make admins."""
        beyond = frozenset(role_scopes) - roles.MEMBER_SCOPES - self.scopes
        if beyond and not self.can("team:manage"):
            raise Denied(f"That role includes {', '.join(sorted(beyond))}; giving it needs team:manage in {self.team}.", "team:manage")


def team_access(user, team) -> TeamAccess:
    return TeamAccess(user, team)


def org_scopes(user, organization) -> frozenset:
    if is_system_admin(user):
        return roles.ALL_SCOPES
    if not _signed_in(user) or not user.pk:
        return frozenset()
    role = OrganizationMember.objects.filter(organization=organization, user=user).values_list("role", flat=True).first()
    return roles.ORG_ROLES.get(role, frozenset())


def team_of(obj):
    if isinstance(obj, Team):
        return obj
    team = getattr(obj, "team", None)
    if isinstance(team, Team):
        return team
    raise TypeError(f"The policy cannot find the team of {type(obj).__name__}")


def denied_message(scope, obj=None):
    """A refusal in plain words: what the person cannot do, who can help, and the scope it needs.

    "Only team admins can change the team's settings, roles and service accounts. Ask alice or bob. (It needs team:manage.)"
    """
    team = obj if isinstance(obj, Team) else getattr(obj, "team", None) if not isinstance(obj, Organization) else None
    action = roles.REFUSED_ACTIONS.get(scope, f"do that")
    if scope in roles.SYSTEM_SCOPES:
        return f"Only system admins can do that. Ask the site's operator. (It needs {scope}.)"
    if scope.startswith("org:"):
        where = f" of {obj}" if isinstance(obj, Organization) else ""
        return f"Only organization admins{where} can do that. (It needs {scope}.)"
    sentence = f"Only {roles.holders_of(scope)} can {action}"
    if isinstance(team, Team):
        sentence += f" in {team}."
        helpers = team_admin_names(team)
        if helpers:
            sentence += " Ask " + (", ".join(helpers[:-1]) + " or " + helpers[-1] if len(helpers) > 1 else helpers[0]) + "."
    else:
        sentence += "."
    return f"{sentence} (It needs {scope}.)"


def team_admin_names(team, limit=3) -> list[str]:
    """The usernames of a few of the team's admins, who can change roles (one query, only when refusing)."""
    names = (
        Membership.objects.filter(team=team, role__in=roles.ADMIN_ROLES, custom_role__isnull=True, user__is_active=True)
        .exclude(user__is_service=True)
        .order_by("user__username")
        .values_list("user__username", flat=True)[:limit]
    )
    return list(names)