"""A run's data (spec/api.md): history and system metrics, logs, files, alerts, heartbeats.

The endpoints a training script calls many times a second: the run is found in
three single-row queries and the service that writes asks the policy.
"""

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

from accounts.api_auth import optional_auth
from core.pagination import paginate
from teams import policy

from . import alerts, selectors, services
from .api import P, _run
from .models import SeriesKind

router = Router(tags=["experiments"])


class LogsIn(Schema):
    lines: list[str]


class AlertIn(Schema):
    title: str = Field(max_length=1000)
    text: str = Field(default="", max_length=10_000)
    level: str = "info"
    wait_duration: float = 300




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


@router.post(P + "/runs/{run_id}/heartbeat", response=dict, summary="The client is alive; answers whether to stop")
def run_heartbeat(request, team: str, project: str, run_id: str):
    run = _run_for_logging(request, team, project, run_id)
    return {"stop_requested": services.run_heartbeat(actor=request.auth, run=run)}


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
    run = _run(request, team, project, run_id)
    policy.require(request.auth, "run:view", run)
    return selectors.run_file_response(run, path)


@router.post(P + "/runs/{run_id}/alerts", response={201: dict}, summary="Send an alert about a run")
def alert_create(request, team: str, project: str, run_id: str, payload: AlertIn):
    run = _run(request, team, project, run_id)
    alert, sent = services.alert_create(actor=request.auth, run=run, title=payload.title, text=payload.text, level=payload.level, wait_duration=payload.wait_duration)
    return Status(201, {"id": alert.pk, "title": alert.title, "level": alert.level, "sent": sent})


@router.get(P + "/runs/{run_id}/alerts", auth=optional_auth, summary="The run's alerts (run:view)")
def alert_list(request, team: str, project: str, run_id: str):
    run = _run(request, team, project, run_id)
    policy.require(request.auth, "run:view", run)
    return paginate(request, alerts.run_alerts(run), alerts.alert_out)
