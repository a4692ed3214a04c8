"""Reads for the workspace: which workspace a person sees, its panels, and one panel's data.

A panel's data for all its runs is one request (`runs_history`): the series of
every run and key in one query, their blocks at the chosen pyramid level in one
query per level, each sampled keeping every bucket's minimum and maximum.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from array import array

from . import history, panels
from .models import MetricChunk, MetricSeries, Run, SeriesKind, Workspace
from .selectors import _number, project_metric_keys

MAX_BULK_RUNS = 200
MAX_BULK_KEYS = 20
PALETTE = [  # 16 hues apart enough to tell runs from each other on a chart
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#1f77b4", "#17becf", "#8c564b", "#6b6ecf", "#d62728", "#2ca02c", "#7f7f7f",
]


def run_color(run_id: str) -> str:
    """The same colour for a run on every panel and every page (from its id, not its row)."""
    return PALETTE[zlib.crc32(run_id.encode()) % len(PALETTE)]


def personal(project, user) -> Workspace | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Workspace.objects.filter(project=project, owner=user).first()


def saved_views(project) -> list[Workspace]:
    return list(Workspace.objects.filter(project=project, owner__isnull=True).select_related("created_by").order_by("name", "id"))


def view_by_id(project, view_id) -> Workspace | None:
    try:
        view_id = int(view_id)
    except (TypeError, ValueError):
        return None
    return Workspace.objects.filter(project=project, owner__isnull=True, pk=view_id).first()


def shown_panels(project, workspace: Workspace | None, metric_keys=None) -> list[dict]:
    """The panels a workspace shows: the automatic ones (one per metric) plus its changes."""
    keys = project_metric_keys(project) if metric_keys is None else metric_keys
    if workspace is None:
        return panels.effective([], [], keys)
    return panels.effective(workspace.panels, workspace.hidden, keys)


def runs_history(project, run_ids, *, keys, kind=SeriesKind.HISTORY, samples=1000, with_ts=False) -> dict:
    """Several runs' series for several keys, sampled to `samples` points per series.

    -> {runs: {run_id: {series: {key: {steps, values, ts?}}, started_at}}, total_points: {run_id: {key: n}},
        sampled, missing: [run ids not in the project]}
    """
    run_ids = list(dict.fromkeys(run_ids))[:MAX_BULK_RUNS]
    keys = list(dict.fromkeys(keys))[:MAX_BULK_KEYS]
    found = {pk: (run_id, created) for pk, run_id, created in Run.objects.filter(project=project, run_id__in=run_ids).values_list("pk", "run_id", "created_at")}
    answer = {run_id: {"series": {}, "started_at": created.timestamp()} for run_id, created in found.values()}
    totals = {run_id: {} for run_id, _ in found.values()}
    series = list(
        MetricSeries.objects.filter(run_id__in=list(found), kind=kind, key__in=keys).values_list("pk", "run_id", "key", "count").order_by("run_id", "key")
    )
    plan = {}  # series pk -> (level, buckets or None for every raw point)
    for pk, _, _, count in series:
        if samples and count > samples:
            buckets = max(1, samples // 2)
            plan[pk] = (history.choose_level(count, buckets), buckets)
        else:
            plan[pk] = (0, None)
    blocks = defaultdict(lambda: array("d"))
    by_level = defaultdict(list)
    for pk, (level, _) in plan.items():
        by_level[level].append(pk)
    for level, pks in by_level.items():
        rows = MetricChunk.objects.filter(series_id__in=pks, level=level).order_by("series_id", "seq").values_list("series_id", "data")
        for series_id, blob in rows.iterator(chunk_size=200):
            blocks[series_id].frombytes(bytes(blob))
    sampled = False
    for pk, run_pk, key, count in series:
        run_id = found[run_pk][0]
        totals[run_id][key] = count
        level, buckets = plan[pk]
        if buckets:
            points = history.sample(blocks[pk], level, buckets)
            sampled = True
        else:
            points = history.raw_points(blocks[pk])
        steps, values, stamps = [], [], []
        for step, ts, value in points:
            steps.append(_number(step))
            values.append(_number(value))
            stamps.append(ts)
        entry = {"steps": steps, "values": values}
        if with_ts:
            entry["ts"] = stamps
        answer[run_id]["series"][key] = entry
    missing = [run_id for run_id in run_ids if run_id not in answer]
    return {"runs": answer, "total_points": totals, "sampled": sampled, "missing": missing}


def run_value(run, name: str):
    """A run's `summary.KEY` or `config.KEY` (dots reach into nested config)."""
    source, _, key = name.partition(".")
    data = run.summary if source == "summary" else run.config
    if key in data:
        return data[key]
    value = data
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def group_of(run, group_by: str):
    if not group_by:
        return None
    if group_by in ("group", "job_type"):
        return getattr(run, group_by) or "(none)"
    value = run_value(run, group_by)
    return "(none)" if value is None else str(value)


def chart_runs(project, runs, *, shown=None, group_by="") -> list[dict]:
    """What charts.js needs about each run: id, name, colour, state, its run values, its group."""
    base = f"/api/v1/teams/{project.team.slug}/projects/{project.name}"
    return [
        {
            "id": run.run_id,
            "name": run.name or run.run_id,
            "color": run_color(run.run_id),
            "state": run.shown_state,
            "history": f"{base}/runs/{run.run_id}/history",
            "system": f"{base}/runs/{run.run_id}/system-metrics",
            "bulk": f"{base}/history",
            "shown": shown is None or run.run_id in shown,
            "group": group_of(run, group_by),
            "group_name": run.group,
            "job_type": run.job_type,
            "config": _flat(run.config),
            "summary": {k: v for k, v in run.summary.items() if isinstance(v, (int, float, str, bool)) or v is None},
        }
        for run in runs
    ]


def _flat(config, prefix=""):
    """{"opt": {"lr": 1}} -> {"opt.lr": 1}: parallel coordinates and scatter plots name nested values with dots."""
    out = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and len(out) < 200:
            out.update(_flat(value, name + "."))
        elif isinstance(value, (int, float, str, bool)) or value is None:
            out[name] = value
    return out
