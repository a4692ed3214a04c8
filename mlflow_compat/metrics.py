"""Metrics: log-metric and log-batch onto teamsite's history (the plain-SQL ingest path), and the
full history back, paged (get-history) or by step range for many runs (get-history-bulk-interval)."""

from __future__ import annotations

import math
from array import array

from django.http import HttpResponse

from experiments import history
from experiments.models import MetricChunk, MetricSeries, SeriesKind

try:
    from orjson import dumps as _dumps
except ImportError:  # pragma: no cover
    import json

    def _dumps(value):
        return json.dumps(value).encode()

from . import mapping, search, services
from .protocol import endpoint, invalid, json_number

HISTORY_PAGE_DEFAULT = 25_000
HISTORY_PAGE_LIMIT = 25_000_000
BULK_LIMIT = 1000
BULK_RUNS = 100


@endpoint("runs/log-metric", "POST")
def log_metric(call):
    run = mapping.run_by_id(call.actor, call.required("run_id", "run_uuid"), active=True)
    metric = {"key": call.required("key"), "value": call.body.get("value"), "timestamp": call.get("timestamp"), "step": call.get("step", 0)}
    if metric["value"] is None:
        raise invalid("Missing value for required parameter 'value'.")
    services.batch_log(actor=call.actor, run=run, metrics=[metric])
    return {}


@endpoint("runs/log-batch", "POST")
def log_batch(call):
    run = mapping.run_by_id(call.actor, call.required("run_id"), active=True)
    services.batch_log(actor=call.actor, run=run, metrics=call.get("metrics", []), params=call.get("params", []), tags=call.get("tags", []))
    return {}


def _points(series_pk: int, start: int, stop: int) -> array:
    """Raw points start..stop-1 of a series as flat (step, ts, value), reading only the blocks that hold them."""
    first, last = start // history.CHUNK, max(start, stop - 1) // history.CHUNK
    flat = array("d")
    blocks = MetricChunk.objects.filter(series_id=series_pk, level=0, seq__gte=first, seq__lte=last).order_by("seq")
    for blob in blocks.values_list("data", flat=True):
        flat.frombytes(bytes(blob))
    skip = start - first * history.CHUNK
    return flat[skip * history.RAW : (skip + stop - start) * history.RAW]


def _metric_dicts(key, flat, run_id=None):
    finite = math.isfinite
    out = []
    for i in range(0, len(flat), 3):
        step, ts, value = flat[i], flat[i + 1], flat[i + 2]
        point = {
            "key": key,
            "value": value if finite(value) else json_number(value),
            "timestamp": round(ts * 1000),
            "step": int(step),
        }
        if run_id is not None:
            point["run_id"] = run_id
        out.append(point)
    return out


@endpoint("metrics/get-history", "GET")
def get_history(call):
    run = mapping.run_by_id(call.actor, call.required("run_id", "run_uuid"))
    key = call.required("metric_key")
    size = search.max_results_of(call.get("max_results"), default=HISTORY_PAGE_DEFAULT, limit=HISTORY_PAGE_LIMIT)
    offset = search.page_token_decode(call.get("page_token"))
    series = MetricSeries.objects.filter(run=run, kind=SeriesKind.HISTORY, key=key).values_list("pk", "count").first()
    body = {"metrics": []}
    if series and offset < series[1]:
        stop = min(series[1], offset + size)
        body["metrics"] = _metric_dicts(key, _points(series[0], offset, stop))
        if stop < series[1]:
            body["next_page_token"] = search.page_token_encode(stop)
    return HttpResponse(_dumps(body), content_type="application/json")


def _steps_between(flat, start_step, end_step):
    steps = flat[0::3]
    lo = next((i for i, step in enumerate(steps) if step >= start_step), len(steps))
    hi = next((i for i in range(len(steps) - 1, lo - 1, -1) if steps[i] <= end_step), lo - 1) + 1
    return flat[lo * 3 : hi * 3]


def _even(flat, limit):
    """At most `limit` points spread evenly over the range, the first and last kept (MLflow samples so)."""
    count = len(flat) // 3
    if count <= limit:
        return flat
    if limit == 1:
        return flat[:3]
    picks = sorted({round(i * (count - 1) / (limit - 1)) for i in range(limit)})
    out = array("d")
    for i in picks:
        out.extend(flat[i * 3 : i * 3 + 3])
    return out


@endpoint("metrics/get-history-bulk-interval", "GET")
def get_history_bulk_interval(call):
    run_ids = call.list("run_ids")
    if not run_ids:
        raise invalid("Missing value for required parameter 'run_ids'.")
    if len(run_ids) > BULK_RUNS:
        raise invalid(f"GetMetricHistoryBulkInterval request must specify at most {BULK_RUNS} run_ids. Received {len(run_ids)} run_ids.")
    key = call.required("metric_key")
    limit = search.max_results_of(call.get("max_results"), default=BULK_LIMIT, limit=BULK_LIMIT)
    try:
        start_step = float(call.get("start_step", "-inf"))
        end_step = float(call.get("end_step", "inf"))
    except ValueError:
        raise invalid("start_step and end_step are whole numbers.") from None
    if start_step > end_step:
        raise invalid(f"end_step must be greater than start_step. Found start_step={start_step} and end_step={end_step}.")
    runs = [mapping.run_by_id(call.actor, run_id) for run_id in run_ids]
    found = dict(MetricSeries.objects.filter(run__in=[run.pk for run in runs], kind=SeriesKind.HISTORY, key=key).values_list("run_id", "pk"))
    counts = dict(MetricSeries.objects.filter(pk__in=found.values()).values_list("pk", "count"))
    metrics = []
    for run in sorted(runs, key=lambda r: r.run_id):
        pk = found.get(run.pk)
        if pk is None:
            continue
        flat = _steps_between(_points(pk, 0, counts[pk]), start_step, end_step)
        metrics.extend(_metric_dicts(key, _even(flat, limit), run_id=run.run_id))
    return HttpResponse(_dumps({"metrics": metrics}), content_type="application/json")
