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
from django.utils.functional import cached_property
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

    def require_may_grant(self, role_scopes):
        """Inviting may hand out a member's powers, but powers beyond those only if one holds them
        (or manages the team): team:invite alone does not make admins."""
        beyond = frozenset(role_scopes) - roles.MEMBER_SCOPES - self.scopes
        if beyond and not self.can("team:manage"):
            raise PermissionDenied(
                f"That role includes {', '.join(sorted(beyond))}; giving it needs team:manage in {self.team}."
            )


def _membership(user, team):
    if not (user and user.is_authenticated and user.is_active and team is not None and team.pk):
        return None
    # asked on every request: raw queries skip the ORM's query compilation
    found = list(Membership.objects.raw(f"SELECT * FROM {Membership._meta.db_table} WHERE team_id = %s AND user_id = %s", [team.pk, user.pk]))
    if not found:
        return None
    membership = found[0]
    membership.team = team
    if membership.custom_role_id:
        membership.custom_role = CustomRole.objects.get(pk=membership.custom_role_id)
    else:
        membership.custom_role = None
    return membership


def team_access(user, team) -> TeamAccess:
    return TeamAccess(user, team)


# --- Projects and runs ----------------------------------------------------------

# What anyone who can see a public or open project may do there: the viewer's scopes
# that make sense outside the team (following and commenting need an account).
VISITOR_SCOPES = frozenset({"run:view", "report:view", "report:follow", "report:comment", "artifact:view"})
# Open projects also take runs (and reports) from any signed-in user and any
# service account of another team.
OPEN_PROJECT_SCOPES = frozenset({"run:log", "run:delete_own", "run:stop_own", "report:create"})
OPEN_PROJECT_SERVICE_SCOPES = frozenset({"run:log", "run:delete_own", "run:stop_own"})


class ProjectAccess:
    """What one user may do in one project: team role, visibility and guardian grants combined."""

    def __init__(self, user, project, team=None):
        self.user = user
        self.project = project
        self.team_access = team if team is not None else TeamAccess(user, project.team)
        self._signed_in = bool(user and user.is_authenticated and user.is_active)
        self._checker = None
        if is_system_admin(user):
            self.base_scopes = ALL_SCOPES
            return
        scopes = self.team_access.scopes if self.team_access.is_member else frozenset()
        if project.visibility == "restricted" and scopes:
            role = self.team_access.membership.role
            if role != "admin" and not self._has_perm("access_project", project):
                scopes = frozenset()
        if not scopes and project.visibility in ("public", "open"):
            scopes = VISITOR_SCOPES
        if project.visibility == "open" and self._signed_in:
            # any signed-in user, and any service account, may log runs to an open project
            scopes = scopes | (OPEN_PROJECT_SERVICE_SCOPES if user.is_service else OPEN_PROJECT_SCOPES)
        self.base_scopes = frozenset(scopes)

    @cached_property
    def scopes(self):
        """Every scope, including project:manage held by the project's creator (a guardian grant).

        The grant is looked up only when someone asks, so the logging hot path,
        which never does, costs no guardian query.
        """
        if "project:manage" in self.base_scopes or not self.base_scopes or not self.team_access.is_member:
            return self.base_scopes  # nothing to add for those who cannot see it, or who left the team
        if self._has_perm("manage_project", self.project):
            return self.base_scopes | {"project:manage"}
        return self.base_scopes

    def _checker_for_user(self):
        if self._checker is None:
            from guardian.core import ObjectPermissionChecker

            self._checker = ObjectPermissionChecker(self.user)
        return self._checker

    def _has_perm(self, codename, obj):
        return self._signed_in and self._checker_for_user().has_perm(codename, obj)

    def prefetch_runs(self, runs):
        """Load run ownership grants for a page of runs in one query (never has_perm per row)."""
        if self._signed_in and runs:
            self._checker_for_user().prefetch_perms(runs)

    @property
    def visible(self):
        return bool(self.base_scopes)

    def can(self, scope) -> bool:
        if scope == "project:manage":
            return scope in self.scopes
        return scope in self.base_scopes

    def require(self, scope):
        if not self.visible:
            raise Http404("Not found.")
        if not self.can(scope):
            raise PermissionDenied(denied_message(scope, self.project.team))

    def owns(self, run) -> bool:
        """Whether the user created `run` (a guardian grant kept by run_create and run_move)."""
        return self._has_perm("own_run", run)

    def is_logger(self, run) -> bool:
        """Whether the user is the account that logs `run` (its creator, or the service account)."""
        return bool(self.user and self.user.is_authenticated and self.user.pk in (run.logged_by_id, run.created_by_id))

    def can_run(self, action, run) -> bool:
        """delete / stop: the `_any` scope, or the `_own` scope on a run the user created."""
        return self.can(f"run:{action}_any") or (self.can(f"run:{action}_own") and self.owns(run))

    def require_run(self, action, run):
        if not self.can_run(action, run):
            raise PermissionDenied(
                f"You may {action} only runs you created (run:{action}_own); run:{action}_any is for team admins."
            )

    def can_edit_run(self, run) -> bool:
        """Config, summary, state and name: the account that logs it, or a team admin."""
        return (self.can("run:log") and self.is_logger(run)) or self.can("run:delete_any")

    def can_move(self, run) -> bool:
        """Its creator while they may still log here, or a team admin."""
        return self.can("run:delete_any") or (self.can("run:log") and self.owns(run))

    def require_logger(self, run):
        if not (self.can("run:log") and (self.is_logger(run) or is_system_admin(self.user))):
            raise PermissionDenied("Only the account that logs this run may write to it (run:log).")


# --- Reports --------------------------------------------------------------------------

REPORT_VISITOR_SCOPES = frozenset({"report:view", "report:follow", "report:comment"})


class ReportAccess:
    """What one user may do with one report: its visibility, the team's or project's scopes, authorship."""

    def __init__(self, user, report, team=None):
        self.user = user
        self.report = report
        self.team_access = team if team is not None else TeamAccess(user, report.team)
        self._signed_in = bool(user and user.is_authenticated and user.is_active)
        self._checker = None
        if is_system_admin(user):
            self.scopes = ALL_SCOPES
            return
        if report.project_id:
            context = ProjectAccess(user, report.project, team=self.team_access).base_scopes
        else:
            context = self.team_access.scopes if self.team_access.is_member else frozenset()
        report_scopes = frozenset(scope for scope in context if scope.startswith("report:"))
        if report.visibility == "draft":
            is_admin = self.team_access.is_member and self.team_access.membership.role == "admin"
            visible = is_admin or (self.team_access.is_member and self.owns())
        elif report.visibility == "team":
            visible = "report:view" in report_scopes
        else:
            visible = True
            if "report:view" not in report_scopes:
                report_scopes = REPORT_VISITOR_SCOPES
        if visible and not self._signed_in:
            report_scopes = report_scopes & {"report:view"}  # following and commenting need an account
        self.scopes = report_scopes if visible else frozenset()

    def owns(self) -> bool:
        if not self._signed_in:
            return False
        if self._checker is None:
            from guardian.core import ObjectPermissionChecker

            self._checker = ObjectPermissionChecker(self.user)
        return self._checker.has_perm("own_report", self.report)

    @property
    def visible(self):
        return bool(self.scopes)

    def can(self, scope) -> bool:
        return scope in self.scopes

    def can_edit(self) -> bool:
        return self.can("report:edit_any") or (self.can("report:edit_own") and self.owns())

    def can_delete(self) -> bool:
        return self.can("report:delete_any") or (self.can("report:delete_own") and self.owns())

    def require(self, scope):
        if not self.visible:
            raise Http404("Not found.")
        if not self.can(scope):
            raise PermissionDenied(denied_message(scope, self.report.team))

    def require_edit(self):
        if not self.visible:
            raise Http404("Not found.")
        if not self.can_edit():
            raise PermissionDenied("Members edit only their own reports (report:edit_own); report:edit_any is for team admins.")

    def require_delete(self):
        if not self.visible:
            raise Http404("Not found.")
        if not self.can_delete():
            raise PermissionDenied("Members delete only their own reports (report:delete_own); report:delete_any is for team admins.")


def report_access(user, report) -> ReportAccess:
    return ReportAccess(user, report)


def can_create_report(user, team, project=None) -> bool:
    if project is not None:
        return ProjectAccess(user, project).can("report:create")
    return TeamAccess(user, team).can("report:create")


def visible_reports(user, queryset):
    """Reports `user` may read: public ones, team ones where they see the team or the project, their drafts."""
    from experiments.models import Project
    from reports.models import ReportUserObjectPermission

    if is_system_admin(user):
        return queryset
    public = Q(visibility="public")
    projects = visible_projects(user, Project.objects.all()).values("pk")
    on_visible_project = Q(visibility="team", project__isnull=False, project__in=projects)
    if not (user and user.is_authenticated and user.is_active):
        return queryset.filter(public | on_visible_project)
    member_of = Membership.objects.filter(user=user).values("team_id")
    admin_of = Membership.objects.filter(user=user, role="admin").values("team_id")
    own = ReportUserObjectPermission.objects.filter(user=user, permission__codename="own_report").values("content_object_id")
    team_wide = Q(visibility="team", project__isnull=True, team__in=member_of) | on_visible_project
    # an author who left the team no longer sees their drafts (ReportAccess says the same)
    drafts = Q(visibility="draft") & ((Q(pk__in=own) & Q(team__in=member_of)) | Q(team__in=admin_of))
    return queryset.filter(public | team_wide | drafts)


def grant_report_author(user, report):
    from guardian.shortcuts import assign_perm

    if user is not None and user.is_authenticated:
        assign_perm("own_report", user, report)


def project_access(user, project) -> ProjectAccess:
    return ProjectAccess(user, project)


def visible_projects(user, queryset):
    from experiments.models import ProjectUserObjectPermission

    if is_system_admin(user):
        return queryset
    outside = Q(visibility__in=["public", "open"])
    if not (user and user.is_authenticated and user.is_active):
        return queryset.filter(outside)
    member_of = Membership.objects.filter(user=user).values("team_id")
    admin_of = Membership.objects.filter(user=user, role="admin").values("team_id")
    listed = ProjectUserObjectPermission.objects.filter(
        user=user, permission__codename="access_project"
    ).values("content_object_id")
    return queryset.filter(
        outside
        | (Q(team__in=member_of) & ~Q(visibility="restricted"))
        | Q(team__in=admin_of)
        | Q(team__in=member_of, visibility="restricted", pk__in=listed)
    )


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
    if _is_report(obj):
        access = ReportAccess(user, obj)
        if scope in ("report:edit_own", "report:delete_own"):
            return access.can(scope) and access.owns()
        return access.can(scope)
    project, run = _project_and_run(obj)
    if project is not None:
        access = ProjectAccess(user, project)
        if run is not None and scope in ("run:delete_own", "run:stop_own"):
            return access.can(scope) and access.owns(run)  # "own" means its creator
        return access.can(scope)
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
    if _is_report(obj):
        return ReportAccess(user, obj).visible
    project, _ = _project_and_run(obj)
    if project is not None:
        return ProjectAccess(user, project).visible
    return can(user, "team:view", team_of(obj))


def _is_report(obj):
    from reports.models import Report

    return isinstance(obj, Report)


def _project_and_run(obj):
    from experiments.models import Project, Run

    if isinstance(obj, Project):
        return obj, None
    if isinstance(obj, Run):
        return obj.project, obj
    return None, None


# --- Per-object grants (django-guardian), kept only here -------------------------------


def grant_project_creator(user, project):
    from guardian.shortcuts import assign_perm

    if user is not None and user.is_authenticated:
        assign_perm("manage_project", user, project)


def grant_run_owner(user, run):
    from guardian.shortcuts import assign_perm

    if user is not None:
        assign_perm("own_run", user, run)


def access_list(project):
    """Users on a restricted project's access list."""
    from guardian.shortcuts import get_users_with_perms

    return get_users_with_perms(project, only_with_perms_in=["access_project"], with_superusers=False)


def access_list_add(project, user):
    from guardian.shortcuts import assign_perm

    assign_perm("access_project", user, project)


def forget_project_grants(*, user, team):
    """A person leaving a team stops managing its projects and leaves their access lists."""
    from experiments.models import ProjectUserObjectPermission

    ProjectUserObjectPermission.objects.filter(user=user, content_object__team=team).delete()


def access_list_remove(project, user):
    from guardian.shortcuts import remove_perm

    remove_perm("access_project", user, project)


def visible(user, queryset):
    """Narrow `queryset` to the rows `user` may see."""
    from experiments.models import Project, Run
    from reports.models import Report

    model = queryset.model
    if model is Report:
        return visible_reports(user, queryset)
    if model is Project:
        return visible_projects(user, queryset)
    if model is Run:
        return queryset.filter(project__in=visible_projects(user, Project.objects.all()))
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
        return queryset.filter(organization__memberships__user=user).distinct()
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
