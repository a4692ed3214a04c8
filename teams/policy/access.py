"""What one person may do with one object: the access objects and the questions.

`TeamAccess`, `ProjectAccess` and `ReportAccess` are computed once and reused
for every check on the same object (a page builds one, never one per row).
"""

from __future__ import annotations

import contextvars

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.functional import cached_property

from .. import roles
from ..models import CustomRole, Invitation, Membership, Organization, OrganizationMember, ServiceAccount, Team
from . import grants


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


# --- Projects and what lives in them ------------------------------------------------------

# Rules that combine scopes with ownership: (the scopes that allow it, what a refusal says).
RUN_RULES = {
    "run:delete": (("run:delete_any", "run:delete_own"), "You may delete only runs you created (run:delete_own); run:delete_any is for team admins."),
    "run:stop": (("run:stop_any", "run:stop_own"), "You may stop only runs you created (run:stop_own); run:stop_any is for team admins."),
    "run:edit": (
        ("run:delete_any", "run:log"),
        "Only the account that logs this run, or a team admin (run:delete_any), may change its config, summary, state or name.",
    ),
    "run:move": (("run:delete_any", "run:move_own"), "Only the run's creator (while they may log here) or a team admin may move it."),
}


class ProjectAccess:
    """What one user may do in one project: team role, visibility and guardian grants combined."""

    def __init__(self, user, project, team=None):
        self.user = user
        self.project = project
        self.team_access = team if team is not None else TeamAccess(user, project.team)
        self._signed_in = _signed_in(user)
        if is_system_admin(user):
            self.base_scopes = roles.ALL_SCOPES
            return
        scopes = self.team_access.scopes if self.team_access.is_member else frozenset()
        if project.visibility == "restricted" and scopes and not self.team_access.is_admin:
            if not grants.has(user, "access_project", project):
                scopes = frozenset()
        if not scopes and project.visibility in ("public", "open"):
            scopes = roles.VISITOR_SCOPES
        if project.visibility == "open" and self._signed_in:
            # any signed-in user, and any service account, may log runs to an open project
            scopes = scopes | (roles.OPEN_PROJECT_SERVICE_SCOPES if user.is_service else roles.OPEN_PROJECT_SCOPES)
        self.base_scopes = frozenset(scopes)

    @cached_property
    def scopes(self):
        """Every scope, including project:manage held by the project's creator (a guardian grant).

        The grant is looked up only when someone asks, so the logging hot path,
        which never does, costs no guardian query.
        """
        if "project:manage" in self.base_scopes or not self.base_scopes or not self.team_access.is_member:
            return self.base_scopes  # nothing to add for those who cannot see it, or who left the team
        if grants.has(self.user, "manage_project", self.project):
            return self.base_scopes | {"project:manage"}
        return self.base_scopes

    @property
    def visible(self):
        return bool(self.base_scopes)

    def owns(self, obj) -> bool:
        """Whether the user created `obj` (a guardian grant kept by the services that make and move it)."""
        codename = getattr(type(obj), "policy_owner_perm", None)
        return bool(codename) and self._signed_in and grants.has(self.user, codename, obj)

    def is_logger(self, run) -> bool:
        """Whether the user is the account that logs `run` (its creator, or the service account)."""
        return bool(self._signed_in and self.user.pk and self.user.pk in (run.logged_by_id, run.created_by_id))

    def prefetch(self, objects):
        """Load ownership grants for a page of objects in one query (never has_perm per row)."""
        if self._signed_in and objects:
            grants.prefetch(self.user, objects)

    def can(self, scope, obj=None) -> bool:
        if scope in RUN_RULES:
            return any(self.can(alternative, obj) for alternative in RUN_RULES[scope][0])
        if scope == "run:move_own":
            return self.can("run:log") and obj is not None and self.owns(obj)
        if scope == "project:manage":
            return scope in self.scopes
        held = scope in self.base_scopes
        if obj is None or not held:
            return held
        if scope.endswith("_own"):
            return self.owns(obj)  # "own" means its creator
        if scope == "run:log":
            return self.is_logger(obj) or is_system_admin(self.user)
        return True

    def require(self, scope, obj=None):
        if not self.visible:
            raise NotVisible("Not found.")
        if not self.can(scope, obj):
            if scope in RUN_RULES:
                raise Denied(RUN_RULES[scope][1], RUN_RULES[scope][0][-1])
            if scope == "run:log" and obj is not None:
                raise Denied("Only the account that logs this run may write to it (run:log).", scope)
            raise Denied(denied_message(scope, self.project.team), scope)


def project_access(user, project) -> ProjectAccess:
    return ProjectAccess(user, project)


# --- Reports ------------------------------------------------------------------------------

REPORT_RULES = {
    "report:edit": (("report:edit_any", "report:edit_own"), "Members edit only their own reports (report:edit_own); report:edit_any is for team admins."),
    "report:delete": (
        ("report:delete_any", "report:delete_own"),
        "Members delete only their own reports (report:delete_own); report:delete_any is for team admins.",
    ),
}


class ReportAccess:
    """What one user may do with one report: its visibility, the team's or project's scopes, authorship."""

    def __init__(self, user, report, team=None):
        self.user = user
        self.report = report
        self.team_access = team if team is not None else TeamAccess(user, report.team)
        self._signed_in = _signed_in(user)
        self._owns = None
        if is_system_admin(user):
            self.scopes = roles.ALL_SCOPES
            return
        if report.project_id:
            context = ProjectAccess(user, report.project, team=self.team_access).base_scopes
        else:
            context = self.team_access.scopes if self.team_access.is_member else frozenset()
        report_scopes = frozenset(scope for scope in context if scope.startswith("report:"))
        if report.visibility == "draft":
            visible = self.team_access.is_admin or (self.team_access.is_member and self.owns())
        elif report.visibility == "team":
            visible = "report:view" in report_scopes
        else:
            visible = True
            if "report:view" not in report_scopes:
                report_scopes = roles.REPORT_VISITOR_SCOPES
        if visible and not self._signed_in:
            report_scopes = report_scopes & {"report:view"}  # following and commenting need an account
        self.scopes = report_scopes if visible else frozenset()

    def owns(self) -> bool:
        if self._owns is None:
            self._owns = self._signed_in and grants.has(self.user, "own_report", self.report)
        return self._owns

    @property
    def visible(self):
        return bool(self.scopes)

    def can(self, scope) -> bool:
        if scope in REPORT_RULES:
            return any(self.can(alternative) for alternative in REPORT_RULES[scope][0])
        if scope.endswith("_own"):
            return scope in self.scopes and self.owns()
        return scope in self.scopes

    def can_edit(self) -> bool:
        return self.can("report:edit")

    def can_delete(self) -> bool:
        return self.can("report:delete")

    def can_delete_comment(self, comment) -> bool:
        return self._signed_in and (comment.author_id == self.user.pk or self.can("report:delete_any"))

    def require(self, scope):
        if not self.visible:
            raise NotVisible("Not found.")
        if not self.can(scope):
            if scope in REPORT_RULES:
                raise Denied(REPORT_RULES[scope][1], REPORT_RULES[scope][0][-1])
            raise Denied(denied_message(scope, self.report.team), scope)


def report_access(user, report) -> ReportAccess:
    return ReportAccess(user, report)


# --- The questions ----------------------------------------------------------------------------


def _kind(obj):
    return getattr(type(obj), "policy_kind", None)


def can(user, scope, obj=None) -> bool:
    """May `user` do `scope` to `obj`? obj=None asks about the whole site."""
    if scope not in roles.ALL_SCOPES and scope not in RUN_RULES and scope not in REPORT_RULES and scope != "comment:delete":
        raise ValueError(f"Unknown scope {scope!r}")
    if obj is None:
        return scope in roles.SYSTEM_SCOPES and is_system_admin(user)
    if isinstance(obj, Organization):
        return scope in org_scopes(user, obj)
    if isinstance(obj, CustomRole):
        return scope in org_scopes(user, obj.organization)
    kind = _kind(obj)
    if kind == "project":
        return ProjectAccess(user, obj).can(scope)
    if kind == "in_project":
        return ProjectAccess(user, obj.project).can(scope, obj)
    if kind == "report":
        return ReportAccess(user, obj).can(scope)
    if kind == "in_report":
        access = ReportAccess(user, obj.report)
        return access.visible and (access.can_delete_comment(obj) if scope == "comment:delete" else access.can(scope))
    return TeamAccess(user, team_of(obj)).can(scope)


def can_see(user, obj) -> bool:
    """Whether the object exists for `user` at all (else: 404, never a hint)."""
    if isinstance(obj, (Organization, Team)):
        return True  # names of organizations and teams are public: the team profile is
    if isinstance(obj, CustomRole):
        return "org:view" in org_scopes(user, obj.organization)
    if isinstance(obj, Invitation):
        return can(user, "team:invite", obj.team)
    kind = _kind(obj)
    if kind == "project":
        return ProjectAccess(user, obj).visible
    if kind == "in_project":
        return ProjectAccess(user, obj.project).visible
    if kind == "report":
        return ReportAccess(user, obj).visible
    if kind == "in_report":
        return ReportAccess(user, obj.report).visible
    if isinstance(obj, (Membership, ServiceAccount)):
        return can(user, "team:view", obj.team)
    return can(user, "team:view", team_of(obj))


def require(user, scope, obj=None):
    """Raise NotVisible when `user` cannot see `obj`, Denied when they may not do `scope`."""
    if obj is None or isinstance(obj, (Organization, CustomRole, Team)) or _kind(obj) is None:
        if obj is not None and not can_see(user, obj):
            raise NotVisible("Not found.")
        if not can(user, scope, obj):
            raise Denied(denied_message(scope, obj), scope)
        return
    kind = _kind(obj)
    if kind == "project":
        ProjectAccess(user, obj).require(scope)
    elif kind == "in_project":
        ProjectAccess(user, obj.project).require(scope, obj)
    elif kind == "report":
        ReportAccess(user, obj).require(scope)
    elif kind == "in_report":
        access = ReportAccess(user, obj.report)
        if not access.visible:
            raise NotVisible("Not found.")
        if scope == "comment:delete":
            if not access.can_delete_comment(obj):
                raise Denied("Only a comment's author or a team admin may delete it.", "report:delete_any")
        else:
            access.require(scope)


def team_of(obj):
    if isinstance(obj, Team):
        return obj
    team = getattr(obj, "team", None)
    if isinstance(team, Team):
        return team
    raise TypeError(f"The policy cannot find the team of {type(obj).__name__}")


def denied_message(scope, obj=None):
    where = f" in {obj}" if isinstance(obj, (Team, Organization)) else ""
    if scope in roles.SYSTEM_SCOPES:
        return f"Only system admins may do that (it needs {scope})."
    if scope.startswith("org:"):
        return f"Only organization admins may do that{where} (it needs {scope})."
    return f"Your role does not include {scope}{where}."
