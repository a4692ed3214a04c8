"""What one person may do in one project (and with what lives there), and with one report."""

from __future__ import annotations

from django.utils.functional import cached_property

from .. import roles
from . import grants
from .access import Denied, NotVisible, TeamAccess, _signed_in, denied_message, is_system_admin


# --- Projects and what lives in them ------------------------------------------------------

# Rules that combine scopes with ownership, for runs and sweeps: (the scopes that allow it, what a refusal says).
RUN_RULES = {
    "run:delete": (("run:delete_any", "run:delete_own"), "You may delete only runs you created (run:delete_own); run:delete_any is for team admins."),
    "run:stop": (("run:stop_any", "run:stop_own"), "You may stop only runs you created (run:stop_own); run:stop_any is for team admins."),
    "run:edit": (
        ("run:delete_any", "run:log"),
        "Only the account that logs this run, or a team admin (run:delete_any), may change its config, summary, state or name.",
    ),
    "run:move": (("run:delete_any", "run:move_own"), "Only the run's creator (while they may log here) or a team admin may move it."),
    # sweeps live in projects too: the same table
    "sweep:control": (
        ("sweep:control_any", "sweep:control_own"),
        "You may pause, resume, finish or cancel only sweeps you created (sweep:control_own); sweep:control_any is for team admins.",
    ),
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
