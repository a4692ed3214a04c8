"""The questions every caller asks: can, can_see, require (one object at a time)."""

from .. import roles
from ..models import CustomRole, Invitation, Membership, Organization, ServiceAccount, Team
from .access import Denied, NotVisible, TeamAccess, denied_message, is_system_admin, org_scopes, team_of
from .objects import REPORT_RULES, RUN_RULES, ProjectAccess, ReportAccess


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
