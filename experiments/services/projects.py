"""Projects: create, change, delete, the restricted access list, and closing a team's projects."""

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User
from teams import audit, policy
from teams.models import Membership, Team

from ..models import Project, RunFile, RunMedia, Visibility
from .storage import delete_stored


def _check_visibility(team: Team, visibility: str):
    if visibility not in Visibility.values:
        raise ValidationError({"visibility": [f"Visibility is one of {', '.join(Visibility.values)}."]})
    if team.projects_stay_inside and visibility in (Visibility.PUBLIC, Visibility.OPEN):
        raise ValidationError({"visibility": [f"{team.name} keeps its projects inside the team, so a project cannot be {visibility}."]})


@transaction.atomic
def project_create(*, actor, team: Team, name: str, description: str = "", visibility: str = Visibility.TEAM) -> Project:
    policy.require(actor, "project:create", team)
    name = (name or "").strip()
    _check_visibility(team, visibility)
    creator = actor if actor.pk else None
    project = Project(team=team, name=name, description=(description or "").strip(), visibility=visibility, created_by=creator)
    project.full_clean(exclude=["team", "created_by"], validate_constraints=False)
    if Project.objects.filter(team=team, name__iexact=name).exists():
        raise ValidationError({"name": [f"{team.name} already has a project named “{name}”."]})
    project.save()
    if creator is not None and not creator.is_service:
        policy.grant_project_creator(creator, project)
        if visibility == Visibility.RESTRICTED:
            policy.access_list_add(project, creator)  # or its creator could not open it
    return project


PROJECT_FIELDS = ("name", "description", "visibility")


@transaction.atomic
def project_update(*, actor, project: Project, **changes) -> Project:
    policy.require(actor, "project:manage", project)
    before = project.visibility
    for field, value in changes.items():
        if field not in PROJECT_FIELDS:
            raise ValueError(field)
        if field == "visibility":
            _check_visibility(project.team, value)
            creator = project.created_by
            if value == Visibility.RESTRICTED and creator and Membership.objects.filter(team=project.team, user=creator).exists():
                policy.access_list_add(project, creator)
        setattr(project, field, value.strip() if isinstance(value, str) else value)
    project.full_clean(exclude=["team", "created_by", "panels"], validate_constraints=False)
    if "name" in changes and Project.objects.filter(team=project.team, name__iexact=project.name).exclude(pk=project.pk).exists():
        raise ValidationError({"name": [f"{project.team.name} already has a project named “{project.name}”."]})
    project.save()
    if project.visibility != before:
        audit.record(team=project.team, actor=actor, action="project.visibility_changed", target=project.name,
                     before={"visibility": before}, after={"visibility": project.visibility})
    return project


def projects_keep_inside(*, actor, team: Team) -> list[Project]:
    """Move the team's public and open projects to `team` visibility; returns them.

    Called when the team turns on "projects stay inside the team" (a teams signal),
    inside that change's transaction, by whoever made it.
    """
    moved = list(team.projects.filter(visibility__in=[Visibility.PUBLIC, Visibility.OPEN]))
    team.projects.filter(pk__in=[p.pk for p in moved]).update(visibility=Visibility.TEAM)
    for project in moved:
        audit.record(team=team, actor=actor, action="project.visibility_changed", target=project.name,
                     before={"visibility": project.visibility}, after={"visibility": Visibility.TEAM}, reason="projects stay inside the team")
    return moved


@transaction.atomic
def project_delete(*, actor, project: Project, confirm: str) -> None:
    policy.require(actor, "project:delete", project)
    if confirm != project.name:
        raise ValidationError({"confirm": [f"Type the project's name, “{project.name}”, to delete it with all its runs."]})
    files = list(RunFile.objects.filter(run__project=project).values_list("storage", "file"))
    files += [(None, name) for name in RunMedia.objects.filter(run__project=project).values_list("file", flat=True)]  # media: the media folder
    runs = project.runs.count()
    project.delete()
    audit.record(team=project.team, actor=actor, action="project.deleted", target=project.name, runs=runs, visibility=project.visibility)
    transaction.on_commit(lambda: delete_stored(files))


def access_list_set(*, actor, project: Project, user: User, present: bool) -> None:
    policy.require(actor, "project:manage", project)
    if present:
        if not Membership.objects.filter(team=project.team, user=user).exists():
            raise ValidationError({"username": [f"{user.username} is not a member of {project.team.name}."]})
        policy.access_list_add(project, user)
    else:
        policy.access_list_remove(project, user)
