"""Reads for sweeps and run media: what pages and the API show, a sweep's runs at once."""

from __future__ import annotations

from django.db.models import Count

from .models import MediaKind, Run, RunMedia, Sweep
from .services.sweeps import run_value
from .sweeping import config as sweep_config
from .sweeping.importance import importance


def sweeps_of(project):
    return (
        Sweep.objects.filter(project=project)
        .select_related("created_by")
        .annotate(run_count=Count("runs"))
    )


def sweep_by_id(project, sweep_id) -> Sweep | None:
    return Sweep.objects.filter(project=project, sweep_id=sweep_id).select_related("project__team", "created_by").first()


def _parsed(sweep):
    try:
        return sweep_config.parse(sweep.config)
    except Exception:  # a config stored before a rule changed: show it, search nothing
        return None


def best_of(sweep, runs) -> dict | None:
    metric, goal = (sweep.metric.get("name") or ""), sweep.metric.get("goal") or "minimize"
    best = None
    for run in runs:
        value = run_value(run, metric)
        if value is None:
            continue
        if best is None or (value < best[1] if goal == "minimize" else value > best[1]):
            best = (run, value)
    return {"run_id": best[0].run_id, "name": best[0].name, "value": best[1]} if best else None


def bests(sweeps) -> dict[int, dict | None]:
    """{sweep pk: best} for a page of sweeps, in one query."""
    runs: dict[int, list] = {}
    for run in Run.objects.filter(sweep__in=sweeps).only("run_id", "name", "summary", "sweep_id"):
        runs.setdefault(run.sweep_id, []).append(run)
    return {sweep.pk: best_of(sweep, runs.get(sweep.pk, [])) for sweep in sweeps}


def sweep_runs(sweep):
    return list(Run.objects.filter(sweep=sweep).select_related("created_by").order_by("created_at", "id"))


def sweep_analysis(sweep, runs) -> dict:
    """The parallel-coordinates data and parameter importance of a sweep's runs."""
    parsed = _parsed(sweep)
    metric = sweep.metric.get("name") or ""
    names = [p.name for p in parsed.searched] if parsed else []
    scored = [(run, run_value(run, metric)) for run in runs]
    scored = [(run, value) for run, value in scored if value is not None]
    axes = []
    for name in names:
        values = [run.config.get(name) for run, _ in scored]
        numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
        axis = {"name": name, "numeric": numeric}
        if numeric and values:
            axis.update(low=min(values), high=max(values))
        else:
            axis["ticks"] = sorted({repr(v) for v in values})
        axes.append(axis)
    lines = [{"run_id": run.run_id, "name": run.name, "params": {n: run.config.get(n) for n in names}, "value": value} for run, value in scored]
    return {
        "metric": metric,
        "goal": sweep.metric.get("goal") or "minimize",
        "axes": axes,
        "lines": lines,
        "importance": importance([run.config for run, _ in scored], [value for _, value in scored], names),
    }


# --- media --------------------------------------------------------------------------------


def media_of(run, *, key=None, kind=None, step=None):
    media = RunMedia.objects.filter(run=run)
    if key:
        media = media.filter(key=key)
    if kind:
        media = media.filter(kind=kind)
    if step is not None:
        media = media.filter(step=step)
    return media.order_by("key", "step", "id")


def media_panels(run) -> list[dict]:
    """The run page's media panels: one per key, its entries in step order."""
    panels: dict[str, dict] = {}
    for media in media_of(run):
        panel = panels.setdefault(media.key, {"key": media.key, "kind": media.kind, "items": []})
        panel["items"].append(media)
    for panel in panels.values():
        if panel["kind"] == MediaKind.HISTOGRAM:
            panel["strip"] = heat_strip(panel["items"])
    return list(panels.values())


def heat_strip(items, rows: int = 32) -> dict:
    """Histograms over steps as one grid: a column per step, `rows` value bands, shade = share of the counts."""
    hists = [item.data for item in items if item.data]
    if not hists:
        return {"columns": [], "low": 0, "high": 0}
    low = min(h["bins"][0] for h in hists)
    high = max(h["bins"][-1] for h in hists)
    span = (high - low) or 1.0
    columns = []
    for item in items:
        h = item.data or {"bins": [low, high], "counts": [0]}
        bands = [0.0] * rows
        for (a, b), count in zip(zip(h["bins"], h["bins"][1:]), h["counts"]):
            middle = ((a + b) / 2 - low) / span
            bands[min(rows - 1, max(0, int(middle * rows)))] += count
        top = max(bands) or 1.0
        columns.append({"step": item.step, "shades": [round(v / top, 3) for v in reversed(bands)]})
    return {"columns": columns, "low": low, "high": high}


METADATA_FILE = "teamsite-metadata.json"  # what the client captured to reproduce the run (clients/python capture.py)


def captured_metadata(run) -> dict | None:
    """The client's capture (git, Python, command line, host), from the run's metadata file."""
    import json

    record = run.files.filter(path=METADATA_FILE).first()
    if record is None or record.size > 1_000_000:
        return None
    try:
        with record.file.open("rb") as handle:
            data = json.loads(handle.read())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    git = data.get("git") if isinstance(data.get("git"), dict) else {}
    return {
        "git": {k: str(git[k]) for k in ("commit", "remote", "branch") if git.get(k)},
        "dirty": bool(git.get("dirty")),
        "python": str(data.get("python") or ""),
        "program": str(data.get("program") or ""),
        "args": [str(a) for a in data.get("args") or []][:200],
        "host": str(data.get("host") or ""),
        "os": str(data.get("os") or ""),
        "has_requirements": run.files.filter(path="requirements.txt").exists(),
        "has_diff": run.files.filter(path="diff.patch").exists(),
    }
