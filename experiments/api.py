"""Projects and runs (spec/api.md): create, read, change, delete, move; a run's data is in api_data.py."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, StreamingHttpResponse
from ninja import Router, Schema, Status
from pydantic import Field

from accounts.selectors import user_or_404
from teams import policy
from teams.selectors import team_or_404
from accounts.api_auth import optional_auth
from core.pagination import paginate

from . import selectors, services, workspaces
from .models import Project

router = Router(tags=["experiments"])
P = "/teams/{team}/projects/{project}"


class ProjectIn(Schema):
    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=10_000)
    visibility: str = "team"


class ProjectPatch(Schema):
    name: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=10_000)
    visibility: str | None = None


class ProjectDelete(Schema):
    confirm: str = ""


class RunIn(Schema):
    run_id: str | None = Field(default=None, max_length=200)
    name: str | None = Field(default=None, max_length=500)
    config: dict | None = None
    tags: list[str] | None = None
    notes: str | None = Field(default=None, max_length=20_000)
    group: str | None = Field(default=None, max_length=500)
    job_type: str | None = Field(default=None, max_length=500)
    host: str | None = Field(default=None, max_length=500)
    username: str | None = None
    user_email: str | None = None


class RunPatch(Schema):
    name: str | None = Field(default=None, max_length=500)
    config: dict | None = None
    summary: dict | None = None
    state: str | None = None
    notes: str | None = Field(default=None, max_length=20_000)
    tags: list[str] | None = None


class MoveIn(Schema):
    project: str


def _project(request, team_slug, name) -> Project:
    """The project, for callers who can see it (404 otherwise, the same as a missing one)."""
    team = team_or_404(team_slug)
    project = selectors.project_by_name(team, name)
    if project is None or not policy.can_see(request.auth, project):
        raise Http404(f"There is no project {team_slug}/{name}.")
    return project


def _run(request, team_slug, name, run_id):
    project = _project(request, team_slug, name)
    run = selectors.run_by_id(project, run_id)
    if run is None:
        raise Http404(f"There is no run {run_id} in {project}.")
    return run


def project_out(project, run_count=None, last_run_at=None):
    return {
        "name": project.name,
        "team": project.team.slug,
        "description": project.description,
        "visibility": project.visibility,
        "created_by": project.created_by.username if project.created_by else None,
        "created_at": project.created_at.isoformat(),
        "run_count": _first_known(run_count, getattr(project, "run_count", None), project.runs.count),
        "last_run_at": _iso(last_run_at or getattr(project, "last_run_at", None)),
    }


def _first_known(*options):
    for option in options:
        if option is not None:
            return option() if callable(option) else option
    return None


def _iso(moment):
    return moment.isoformat() if moment else None


def run_out(request, run):
    project = run.project
    return {
        "run_id": run.run_id,
        "name": run.name,
        "project": project.name,
        "team": project.team.slug,
        "state": run.shown_state,
        "created_by": run.created_by.username if run.created_by else None,
        "logged_by": run.logged_by.username if run.logged_by else None,
        "config": run.config,
        "summary": run.summary,
        "tags": run.tags,
        "mlflow_tags": run.mlflow_tags,
        "notes": run.notes,
        "group": run.group,
        "job_type": run.job_type,
        "host": run.host,
        "created_at": run.created_at.isoformat(),
        "heartbeat_at": run.heartbeat_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "stop_requested": run.stop_requested,
        "url": request.build_absolute_uri(f"/{project.team.slug}/{project.name}/runs/{run.run_id}/"),
    }


# --- Projects -----------------------------------------------------------------------


@router.get("/teams/{team}/projects", auth=optional_auth, summary="The team's projects the caller can see")
def project_list(request, team: str):
    order = "name" if request.GET.get("order") == "name" else "-created_at"  # lists are newest first (spec/api.md)
    return paginate(request, selectors.projects_of(request.auth, team_or_404(team), order=order), project_out)


@router.post("/teams/{team}/projects", response={201: dict}, summary="Create a project")
def project_create(request, team: str, payload: ProjectIn):
    project = services.project_create(
        actor=request.auth, team=team_or_404(team), name=payload.name, description=payload.description, visibility=payload.visibility
    )
    return Status(201, project_out(project, 0))


@router.get(P, auth=optional_auth, response=dict, summary="A project")
def project_detail(request, team: str, project: str):
    found = _project(request, team, project)
    access = policy.project_access(request.auth, found)
    body = project_out(found)
    # the caller's own workspace (the automatic panels plus their changes) and the team's saved views
    body["panels"] = [{k: v for k, v in panel.items() if k != "auto"} for panel in workspaces.shown_panels(found, workspaces.personal(found, request.auth))]
    body["views"] = [{"id": view.pk, "name": view.name} for view in workspaces.saved_views(found)]
    body["permissions"] = sorted(scope for scope in access.scopes if scope.startswith(("project:", "run:")))
    return body


@router.patch(P, response=dict, summary="Change a project")
def project_update(request, team: str, project: str, payload: ProjectPatch):
    found = _project(request, team, project)
    services.project_update(actor=request.auth, project=found, **payload.dict(exclude_none=True))
    return project_out(found)


@router.delete(P, response={204: None}, summary="Delete a project with all its runs")
def project_delete(request, team: str, project: str, payload: ProjectDelete = None):
    found = _project(request, team, project)
    services.project_delete(actor=request.auth, project=found, confirm=(payload.confirm if payload else ""))
    return Status(204, None)


@router.put(P + "/access/{username}", response=dict, summary="Add someone to a restricted project's access list")
def access_add(request, team: str, project: str, username: str):
    found = _project(request, team, project)
    policy.require(request.auth, "project:manage", found)  # before saying whether the person exists
    user = user_or_404(username)
    services.access_list_set(actor=request.auth, project=found, user=user, present=True)
    return {"username": user.username, "access": True}


@router.delete(P + "/access/{username}", response={204: None}, summary="Take someone off a restricted project's access list")
def access_remove(request, team: str, project: str, username: str):
    found = _project(request, team, project)
    policy.require(request.auth, "project:manage", found)  # before saying whether the person exists
    user = user_or_404(username)
    services.access_list_set(actor=request.auth, project=found, user=user, present=False)
    return Status(204, None)


# --- Runs ---------------------------------------------------------------------------


@router.get(P + "/runs", auth=optional_auth, summary="The project's runs")
def run_list(request, team: str, project: str, state: str = None, tag: str = None, group: str = None, q: str = None,
             order: str = "-created_at", format: str = "json"):
    found = _project(request, team, project)
    policy.require(request.auth, "run:view", found)
    config = {key[len("config."):]: value for key, value in request.GET.items() if key.startswith("config.")}
    config.update(selectors.parse_config_filter(request.GET.get("config", "")))  # the workspace's own filter text
    runs = selectors.runs_of(found, state=state or None, tag=tag or None, group=group or None, q=q or None, config=config, order=order or "-created_at")
    if format == "csv":  # every matching run, streamed, with the page's filters
        response = StreamingHttpResponse(selectors.runs_csv(runs), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="{found.team.slug}-{found.name}-runs.csv"'
        return response
    return paginate(request, runs.select_related("project__team"), lambda run: run_out(request, run))


@router.post(P + "/runs", response={201: dict}, summary="Start a run (creates the project when needed)")
def run_create(request, team: str, project: str, payload: RunIn):
    found_team = team_or_404(team)
    found = selectors.project_by_name(found_team, project)
    run = services.run_start(actor=request.auth, team=found_team, project_name=project, project=found, **payload.dict(exclude_none=True))
    return Status(201, run_out(request, run))


@router.get(P + "/runs/{run_id}", auth=optional_auth, response=dict, summary="A run")
def run_detail(request, team: str, project: str, run_id: str):
    run = _run(request, team, project, run_id)
    policy.require(request.auth, "run:view", run)
    return run_out(request, run)


@router.patch(P + "/runs/{run_id}", response=dict, summary="Change a run")
def run_update(request, team: str, project: str, run_id: str, payload: RunPatch):
    run = _run(request, team, project, run_id)
    run = services.run_update(actor=request.auth, run=run, **payload.dict(exclude_none=True))
    return run_out(request, selectors.run_by_id(run.project, run.run_id))


@router.delete(P + "/runs/{run_id}", response={204: None}, summary="Delete a run")
def run_delete(request, team: str, project: str, run_id: str):
    services.run_delete(actor=request.auth, run=_run(request, team, project, run_id))
    return Status(204, None)


@router.post(P + "/runs/{run_id}/stop", response={202: dict}, summary="Ask a run to stop")
def run_stop(request, team: str, project: str, run_id: str):
    services.run_stop(actor=request.auth, run=_run(request, team, project, run_id))
    return Status(202, {"stop_requested": True})


@router.post(P + "/runs/{run_id}/move", response=dict, summary="Move a run to another project")
def run_move(request, team: str, project: str, run_id: str, payload: MoveIn):
    run = _run(request, team, project, run_id)
    policy.require(request.auth, "run:move", run)  # before saying whether the target exists
    target_team, _, target_name = payload.project.rpartition("/")
    if target_team and target_team != team:
        raise ValidationError({"project": ["Runs move between projects of the same team."]})
    run = services.run_move(actor=request.auth, run=run, target=_project(request, team, target_name))
    return run_out(request, selectors.run_by_id(run.project, run.run_id))
