"""Projects and runs (spec/api.md): the endpoints training scripts and the client call."""

from __future__ import annotations

import json

try:  # orjson parses a large history batch several times faster; json is the fallback
    from orjson import loads as _orjson_loads

    def loads(data):
        try:
            return _orjson_loads(data)
        except ValueError:
            return json.loads(data)  # NaN and Infinity literals, which orjson refuses
except ImportError:  # pragma: no cover
    loads = json.loads

from django.core.exceptions import ValidationError
from django.http import Http404, StreamingHttpResponse
from ninja import Router, Schema, Status
from pydantic import Field

from accounts.selectors import user_or_404
from teams import policy
from teams.selectors import team_or_404
from accounts.api_auth import optional_auth
from core.pagination import paginate

from . import selectors, services
from .models import Project, RunFile, SeriesKind

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


class LogsIn(Schema):
    lines: list[str]


class MoveIn(Schema):
    project: str


class AlertIn(Schema):
    title: str = Field(max_length=1000)
    text: str = Field(default="", max_length=10_000)
    level: str = "info"
    wait_duration: float = 300




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


def _json_body(request) -> dict:
    try:
        body = loads(request.body or b"{}")
    except ValueError as exc:
        raise ValidationError({"body": [f"The request body is not valid JSON: {exc}"]}) from None
    if not isinstance(body, dict):
        raise ValidationError({"body": ["The request body must be a JSON object."]})
    return body


ROWS_BODY = {
    "requestBody": {
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "description": "Send `rows`, or the same points as `columns` "
                    "({step: [...], ts?: [...], values: {key: [number|null, ...]}}), which parses faster.",
                    "properties": {
                        "columns": {
                            "type": "object",
                            "properties": {
                                "step": {"type": "array", "items": {"type": "integer"}},
                                "ts": {"type": "array", "items": {"type": "number"}},
                                "values": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": ["number", "null"]}}},
                            },
                        },
                        "rows": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "step": {"type": "integer"},
                                    "ts": {"type": "number"},
                                    "values": {"type": "object", "additionalProperties": {"type": "number"}},
                                },
                            },
                        },
                        "batch_id": {"type": "string"},
                    },
                }
            }
        },
        "required": True,
    }
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
    body["panels"] = found.panels
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
def run_list(request, team: str, project: str, state: str = None, tag: str = None, group: str = None, q: str = None, order: str = "-created_at"):
    found = _project(request, team, project)
    policy.require(request.auth, "run:view", found)
    config = {key[len("config."):]: value for key, value in request.GET.items() if key.startswith("config.")}
    runs = selectors.runs_of(found, state=state, tag=tag, group=group, q=q, config=config, order=order)
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


@router.post(P + "/runs/{run_id}/heartbeat", response=dict, summary="The client is alive; answers whether to stop")
def run_heartbeat(request, team: str, project: str, run_id: str):
    run = _run_for_logging(request, team, project, run_id)
    return {"stop_requested": services.run_heartbeat(actor=request.auth, run=run)}


@router.post(P + "/runs/{run_id}/move", response=dict, summary="Move a run to another project")
def run_move(request, team: str, project: str, run_id: str, payload: MoveIn):
    run = _run(request, team, project, run_id)
    policy.require(request.auth, "run:move", run)  # before saying whether the target exists
    target_team, _, target_name = payload.project.rpartition("/")
    if target_team and target_team != team:
        raise ValidationError({"project": ["Runs move between projects of the same team."]})
    run = services.run_move(actor=request.auth, run=run, target=_project(request, team, target_name))
    return run_out(request, selectors.run_by_id(run.project, run.run_id))


def _run_for_logging(request, team, project, run_id):
    """The run a client writes to, in three single-row queries (clients call these many times a second).

    The service that writes asks the policy: an unseen run is a 404 there.
    """
    run = selectors.run_for_logging(team, project, run_id)
    if run is None:
        raise Http404(f"There is no run {run_id} in {team}/{project}.")
    return run


def _append(request, team, project, run_id, kind):
    run = _run_for_logging(request, team, project, run_id)
    body = _json_body(request)
    accepted = services.history_append(
        actor=request.auth, run=run, rows=body.get("rows"), columns=body.get("columns"), kind=kind, batch_id=body.get("batch_id")
    )
    return {"accepted": accepted}


def _read(request, team, project, run_id, kind, samples, format):
    run = _run(request, team, project, run_id)
    policy.require(request.auth, "run:view", run)
    # ?keys=a,b is read by hand: a parameter named "keys" confuses ninja's argument mapping
    wanted = [key for key in request.GET.get("keys", "").split(",") if key] or None
    if format == "csv":
        response = StreamingHttpResponse(selectors.history_csv_rows(run, kind=kind, keys=wanted), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="{run.run_id}-{kind}.csv"'
        return response
    if samples < 0:
        raise ValidationError({"samples": ["samples is 0 (every point) or more."]})
    if samples == 0:  # every point: streamed, so memory does not grow with the series
        return StreamingHttpResponse(selectors.history_json_stream(run, kind=kind, keys=wanted), content_type="application/json")
    return selectors.history_read(run, kind=kind, keys=wanted, samples=samples)


@router.post(P + "/runs/{run_id}/history", response=dict, summary="Log metric history", openapi_extra=ROWS_BODY)
def history_append(request, team: str, project: str, run_id: str):
    return _append(request, team, project, run_id, SeriesKind.HISTORY)


KEYS_PARAM = {"parameters": [{"in": "query", "name": "keys", "schema": {"type": "string"}, "description": "Comma-separated metric keys"}]}


@router.get(P + "/runs/{run_id}/history", auth=optional_auth, summary="Read metric history (sampled for charts)", openapi_extra=KEYS_PARAM)
def history_read(request, team: str, project: str, run_id: str, samples: int = 1000, format: str = "json"):
    return _read(request, team, project, run_id, SeriesKind.HISTORY, samples, format)


@router.post(P + "/runs/{run_id}/system-metrics", response=dict, summary="Log system metrics", openapi_extra=ROWS_BODY)
def system_append(request, team: str, project: str, run_id: str):
    return _append(request, team, project, run_id, SeriesKind.SYSTEM)


@router.get(P + "/runs/{run_id}/system-metrics", auth=optional_auth, summary="Read system metrics", openapi_extra=KEYS_PARAM)
def system_read(request, team: str, project: str, run_id: str, samples: int = 1000, format: str = "json"):
    return _read(request, team, project, run_id, SeriesKind.SYSTEM, samples, format)


@router.post(P + "/runs/{run_id}/logs", response=dict, summary="Append console lines")
def logs_append(request, team: str, project: str, run_id: str, payload: LogsIn):
    run = _run_for_logging(request, team, project, run_id)
    return {"next_offset": services.logs_append(actor=request.auth, run=run, lines=payload.lines)}


@router.get(P + "/runs/{run_id}/logs", auth=optional_auth, summary="Read console lines")
def logs_read(request, team: str, project: str, run_id: str, offset: int = 0, limit: int = 1000):
    run = _run(request, team, project, run_id)
    policy.require(request.auth, "run:view", run)
    if offset < 0 or not 1 <= limit <= 10_000:
        raise ValidationError({"limit": ["offset is at least 0 and limit between 1 and 10,000."]})
    lines, next_offset = selectors.log_lines(run, offset=offset, limit=limit)
    return {"lines": lines, "next_offset": next_offset}


def _file_out(record):
    return {"path": record.path, "size": record.size, "sha256": record.sha256}


@router.post(P + "/runs/{run_id}/files", response={201: dict}, summary="Upload files (field name = relative path)")
def files_upload(request, team: str, project: str, run_id: str):
    run = _run(request, team, project, run_id)
    saved = services.files_save(actor=request.auth, run=run, files={field: request.FILES[field] for field in request.FILES})
    return Status(201, {"files": [_file_out(record) for record in saved]})


@router.get(P + "/runs/{run_id}/files", auth=optional_auth, summary="The run's files")
def files_list(request, team: str, project: str, run_id: str):
    run = _run(request, team, project, run_id)
    policy.require(request.auth, "run:view", run)
    files = run.files.order_by("path" if request.GET.get("order") == "path" else "-created_at")
    return paginate(request, files, _file_out, default_limit=500)


@router.get(P + "/runs/{run_id}/files/{path:path}", auth=optional_auth, summary="Download one file")
def file_download(request, team: str, project: str, run_id: str, path: str):
    from django.http import FileResponse

    run = _run(request, team, project, run_id)
    policy.require(request.auth, "run:view", run)
    record = RunFile.objects.filter(run=run, path=path).first()
    if record is None:
        raise Http404(f"The run has no file {path}.")
    return FileResponse(record.file.open("rb"), as_attachment=True, filename=path.rsplit("/", 1)[-1])


@router.post(P + "/runs/{run_id}/alerts", response={201: dict}, summary="Send an alert about a run")
def alert_create(request, team: str, project: str, run_id: str, payload: AlertIn):
    run = _run(request, team, project, run_id)
    alert, sent = services.alert_create(actor=request.auth, run=run, title=payload.title, text=payload.text, level=payload.level, wait_duration=payload.wait_duration)
    return Status(201, {"id": alert.pk, "title": alert.title, "level": alert.level, "sent": sent})



