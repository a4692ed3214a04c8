"""MLflow's writes, composed from experiments' services (each asks the policy for its actor)."""

from __future__ import annotations

import time
import uuid

from django.db import transaction

from experiments import services as experiments
from experiments.models import Project, Run

from .protocol import invalid, number_or_nan

MAX_METRICS, MAX_PARAMS, MAX_TAGS, MAX_ITEMS = 1000, 100, 100, 1000
MAX_KEY = 250


def _key(item, what):
    key = item.get("key") if isinstance(item, dict) else None
    if not isinstance(key, str) or not key:
        raise invalid(f"Missing value for required parameter 'key' in a {what}.")
    if len(key) > MAX_KEY:
        raise invalid(f"{what.capitalize()} name '{key[:40]}...' had length {len(key)}, which exceeded length limit of {MAX_KEY}.")
    return key


def metric_rows(metrics: list) -> list[dict]:
    """MLflow metrics as history rows: ts from milliseconds, each metric's points in step order
    (teamsite keeps a metric's steps from going back; a batch out of order is sorted first)."""
    now = time.time()
    points = []
    for item in metrics:
        key = _key(item, "metric")
        if "value" not in item:
            raise invalid(f"Missing value for required parameter 'value' of metric {key}.")
        value = number_or_nan(item["value"])
        step = item.get("step", 0) or 0
        try:
            step = int(step)
        except (TypeError, ValueError):
            raise invalid(f"Metric {key}: step {step!r} is not a whole number.") from None
        stamp = item.get("timestamp")
        try:
            ts = float(stamp) / 1000 if stamp not in (None, "") else now
        except (TypeError, ValueError):
            raise invalid(f"Metric {key}: timestamp {stamp!r} is not milliseconds since the epoch.") from None
        points.append((key, step, ts, value))
    points.sort(key=lambda p: (p[0], p[1]))  # stable: same-step points keep their order
    return [{"step": step, "ts": ts, "values": {key: value}} for key, step, ts, value in points]


def _pairs(items: list, what: str) -> dict:
    found = {}
    for item in items:
        key = _key(item, what)
        value = item.get("value", "")
        found[key] = "" if value is None else str(value)
    return found


@transaction.atomic
def batch_log(*, actor, run: Run, metrics=(), params=(), tags=()) -> None:
    """runs/log-batch: MLflow's limits are checked before anything is stored."""
    metrics, params, tags = list(metrics or []), list(params or []), list(tags or [])
    if len(metrics) > MAX_METRICS or len(params) > MAX_PARAMS or len(tags) > MAX_TAGS or len(metrics) + len(params) + len(tags) > MAX_ITEMS:
        raise invalid(
            f"A batch logging request can contain at most {MAX_METRICS} metrics, {MAX_PARAMS} params and {MAX_TAGS} tags, "
            f"{MAX_ITEMS} items in all. Got {len(metrics)} metrics, {len(params)} params and {len(tags)} tags."
        )
    seen = {}
    for item in params:
        key = _key(item, "param")
        value = str(item.get("value", ""))
        if key in seen and seen[key] != value:
            raise invalid(f"Duplicate parameter keys have been submitted: ['{key}']. Please ensure the request contains only one param value per param key.")
        seen[key] = value
    rows = metric_rows(metrics)
    if params or tags:
        experiments.run_params_tags_log(actor=actor, run=run, params=_pairs(params, "param"), tags=_pairs(tags, "tag"))
    if rows:
        experiments.history_append(actor=actor, run=run, rows=rows)


@transaction.atomic
def run_begin(*, actor, project: Project, run_name: str = "", tags=()) -> Run:
    """runs/create: a teamsite run with an MLflow-style id (32 hex digits) and its tags."""
    tag_values = _pairs(list(tags or []), "tag")
    name = (run_name or tag_values.get("mlflow.runName") or "").strip()
    run_id = uuid.uuid4().hex
    run = experiments.run_create(actor=actor, project=project, run_id=run_id, name=name or f"run-{run_id[:8]}")
    tag_values["mlflow.runName"] = run.name
    return experiments.run_params_tags_log(actor=actor, run=run, tags=tag_values)
