"""The policy for many objects at once: querysets narrowed to what a person may see or do.

Each answer is one query (subqueries included), whatever the number of rows:
list pages and selectors use these instead of asking `can` per row. A test
checks, object by object, that they agree with `can` and `can_see`.
"""

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Q

from .. import roles
from ..models import CustomRole, Invitation, Membership, Organization, ServiceAccount, Team
from . import grants
from .access import _signed_in, is_system_admin
from .objects import REPORT_RULES, RUN_RULES


def teams_with(user, scope):
    """Ids of the teams where `user` holds `scope`: by built-in role, custom role or registry-admin flag."""
    holds = Q(role__in=roles.roles_with(scope))
    custom = [role.pk for role in CustomRole.objects.filter(memberships__user=user).distinct() if scope in role.scopes]
    if custom:
        holds |= Q(custom_role_id__in=custom)
    if scope in roles.REGISTRY_SCOPES:
        holds |= Q(registry_admin=True)
    return Membership.objects.filter(user=user).filter(holds).values("team_id")


def _member_of(user):
    return Membership.objects.filter(user=user).values("team_id")


def _admin_of(user):
    return Membership.objects.filter(user=user, role__in=roles.ADMIN_ROLES, custom_role__isnull=True).values("team_id")


def _kind(model):
    return getattr(model, "policy_kind", None)


def _related(model, field):
    return model._meta.get_field(field).related_model


# --- Projects -------------------------------------------------------------------------------


def _projects_seen(user, projects):
    """The condition for projects `user` can see (they hold some scope there). `projects` is the model."""
    outside = Q(visibility__in=["public", "open"])
    if not _signed_in(user):
        return outside
    return (
        outside
        | (Q(team__in=_member_of(user)) & ~Q(visibility="restricted"))
        | Q(team__in=_admin_of(user))
        | _listed(user, projects)
    )


def _listed(user, projects):
    """Restricted projects whose access list names `user`, in teams they still belong to."""
    return Q(visibility="restricted", team__in=_member_of(user), pk__in=grants.owned_ids(user, projects, "access_project"))


def _projects_with(user, scope, projects):
    """The condition for projects where `user` holds `scope`: ProjectAccess.can as a filter."""
    if scope in RUN_RULES:  # on a project: some run there may be deleted, stopped, changed, moved
        condition = Q(pk__in=[])
        for alternative in RUN_RULES[scope][0]:
            condition |= _projects_with(user, "run:log" if alternative == "run:move_own" else alternative, projects)
        return condition
    if not _signed_in(user):
        return Q(visibility__in=["public", "open"]) if scope in roles.VISITOR_SCOPES else Q(pk__in=[])
    member_of = _member_of(user)
    reachable = ~Q(visibility="restricted") | Q(team__in=_admin_of(user)) | _listed(user, projects)
    condition = Q(team__in=teams_with(user, scope)) & reachable
    if scope in roles.VISITOR_SCOPES:
        condition |= Q(visibility__in=["public", "open"]) & ~Q(team__in=member_of)
    if scope in (roles.OPEN_PROJECT_SERVICE_SCOPES if user.is_service else roles.OPEN_PROJECT_SCOPES):
        condition |= Q(visibility="open")
    if scope == "project:manage":
        condition |= Q(pk__in=grants.owned_ids(user, projects, "manage_project"), team__in=member_of) & reachable
    return _projects_seen(user, projects) & condition


def _project_ids(user, scope, projects):
    condition = _projects_seen(user, projects) if scope is None else _projects_with(user, scope, projects)
    return projects.objects.filter(condition).values("pk")


# --- Reports ----------------------------------------------------------------------------------


def _reports_seen(user, reports):
    projects = _related(reports, "project")
    public = Q(visibility="public")
    team_report = Q(visibility="team") & _report_context(user, reports, "report:view")
    if not _signed_in(user):
        return public | team_report
    own = grants.owned_ids(user, reports, "own_report")
    # an author who left the team no longer sees their drafts (ReportAccess says the same)
    in_context = Q(project__isnull=True) | Q(project__in=_project_ids(user, None, projects))
    drafts = Q(visibility="draft") & ((Q(pk__in=own) & Q(team__in=_member_of(user))) | Q(team__in=_admin_of(user))) & in_context
    return public | team_report | drafts


def _report_context(user, reports, scope):
    """Reports whose team (or project, when tied to one) gives `user` the report scope `scope`."""
    projects = _related(reports, "project")
    team_wide = Q(project__isnull=True, team__in=teams_with(user, scope)) if _signed_in(user) else Q(pk__in=[])
    return team_wide | Q(project__isnull=False, project__in=_project_ids(user, scope, projects))


def _reports_with(user, reports, scope):
    if scope in REPORT_RULES:
        any_scope, own_scope = REPORT_RULES[scope][0]
        return _reports_with(user, reports, any_scope) | _reports_with(user, reports, own_scope)
    seen = _reports_seen(user, reports)
    if scope == "report:view":
        return seen
    if not _signed_in(user):
        return Q(pk__in=[])
    condition = _report_context(user, reports, scope)
    if scope in roles.REPORT_VISITOR_SCOPES:
        condition |= Q(visibility="public") & ~_report_context(user, reports, "report:view")
    if scope.endswith("_own"):
        condition &= Q(pk__in=grants.owned_ids(user, reports, "own_report"))
    return seen & condition


# --- What lives in a project (runs, later artifacts and sweeps) ------------------------------------


def _in_project_with(user, scope, model):
    """The condition for rows of `model` (judged by their project) on which `user` may do `scope`."""
    projects = _related(model, "project")
    if scope in RUN_RULES:
        condition = Q(pk__in=[])
        for alternative in RUN_RULES[scope][0]:
            condition |= _in_project_with(user, alternative, model)
        return condition
    if scope == "run:move_own":  # its creator, while they may log in its project
        return Q(project__in=_project_ids(user, "run:log", projects)) & _owned(user, model)
    condition = Q(project__in=_project_ids(user, scope, projects))
    if scope.endswith("_own"):
        return condition & _owned(user, model)
    if scope == "run:log":
        return condition & (Q(logged_by=user) | Q(created_by=user))
    return condition


def _owned(user, model):
    if not _signed_in(user):
        return Q(pk__in=[])
    return Q(pk__in=grants.owned_ids(user, model, model.policy_owner_perm))


# --- The two entry points ------------------------------------------------------------------------


def visible(user, queryset):
    """Narrow `queryset` to the rows `user` may see."""
    model = queryset.model
    if is_system_admin(user):
        return queryset
    kind = _kind(model)
    if kind == "project":
        return queryset.filter(_projects_seen(user, model))
    if kind == "in_project":
        return queryset.filter(project__in=_project_ids(user, None, _related(model, "project")))
    if kind == "report":
        return queryset.filter(_reports_seen(user, model))
    if model in (Team, Organization):
        return queryset
    if not _signed_in(user):
        return queryset.none()
    if model is Invitation:
        return queryset.filter(team__in=teams_with(user, "team:invite"))
    if model is CustomRole:
        return queryset.filter(organization__memberships__user=user).distinct()
    if model in (Membership, ServiceAccount) or _has_team(model):
        return queryset.filter(team__in=teams_with(user, "team:view"))
    raise TypeError(f"The policy has no visibility rule for {model.__name__}")


def permitted(user, scope, queryset):
    """Narrow `queryset` to the rows on which `user` may do `scope` (as `can` answers), in one query."""
    model = queryset.model
    if is_system_admin(user):
        return queryset
    kind = _kind(model)
    if kind == "project":
        return queryset.filter(_projects_with(user, scope, model))
    if kind == "in_project":
        if not _signed_in(user) and scope not in roles.VISITOR_SCOPES:
            return queryset.none()
        return queryset.filter(_in_project_with(user, scope, model))
    if kind == "report":
        return queryset.filter(_reports_with(user, model, scope))
    if not _signed_in(user):
        return queryset.none()
    if _has_team(model):
        return visible(user, queryset).filter(team__in=teams_with(user, scope))
    raise TypeError(f"The policy has no rule for {scope} on {model.__name__}")


def _has_team(model):
    try:
        return _related(model, "team") is Team
    except FieldDoesNotExist:
        return False
