"""Sweeps: create from a W&B config, hand the next parameters to an agent, pause /
resume / finish / cancel, delete (its runs stay), and hyperband early termination.

`sweep_next` is the one place parameters are handed out. It works on the sweep's
row locked for update (PostgreSQL; SQLite's immediate transactions serialize
writers anyway), and a grid point is also claimed through the unique
(sweep, sweep_slot) constraint, so two agents never get the same point whatever
the database does. A run that crashed gives its grid point back.
"""

from __future__ import annotations

import math
import random
import secrets
import string

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from teams import policy

from ..models import MetricChunk, MetricSeries, Project, Run, RunState, SeriesKind, Sweep, SweepState, crash_after
from ..sweeping import config as sweep_config
from ..sweeping import hyperband, methods
from .runs import run_create

SWEEP_ID_ALPHABET = string.ascii_lowercase + string.digits
DONE_STATES = {SweepState.FINISHED, SweepState.CANCELLED}


def new_sweep_id() -> str:
    return "".join(secrets.choice(SWEEP_ID_ALPHABET) for _ in range(8))


def parsed(sweep: Sweep) -> sweep_config.SweepConfig:
    return sweep_config.parse(sweep.config)


def run_value(run: Run, metric: str):
    """A sweep run's value: the metric's summary value (its last logged value unless the run set it)."""
    value = (run.summary or {}).get(metric)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return value
    return None


@transaction.atomic
def sweep_create(*, actor, project: Project, config, name: str = "") -> Sweep:
    """Create a sweep from a config (a mapping, or YAML/JSON text); 400 naming the field that cannot run."""
    policy.require(actor, "sweep:create", project)
    policy.require(actor, "run:log", project)  # its agents log the runs
    raw = sweep_config.load(config) if isinstance(config, str) else config
    checked = sweep_config.parse(raw)
    name = (name or raw.get("name") or "").strip()
    if len(name) > 128:
        raise ValidationError({"name": ["A sweep's name is at most 128 characters."]})
    sweep = Sweep.objects.create(
        project=project, sweep_id=new_sweep_id(), name=name, method=checked.method, config=raw, created_by=actor
    )
    policy.grant_owner(actor, sweep)
    return sweep


def _release_crashed(sweep: Sweep) -> None:
    """Runs of the sweep that went silent are crashed, and give their grid points back."""
    Run.objects.filter(sweep=sweep, state=RunState.RUNNING, heartbeat_at__lt=timezone.now() - crash_after()).update(
        state=RunState.CRASHED
    )
    Run.objects.filter(sweep=sweep, state=RunState.CRASHED).exclude(sweep_slot=None).update(sweep_slot=None)


def _live_runs(sweep: Sweep):
    return Run.objects.filter(sweep=sweep).exclude(state=RunState.CRASHED)


@transaction.atomic
def sweep_next(*, actor, sweep: Sweep, agent: str = "") -> Run | None:
    """A new run of the sweep for `actor` with the next parameters; None when the sweep
    is exhausted, has reached its run_cap, or is paused, finished or cancelled."""
    policy.require(actor, "sweep:create", sweep)
    sweep = Sweep.objects.select_for_update().get(pk=sweep.pk)
    if sweep.state != SweepState.RUNNING:
        return None
    checked = parsed(sweep)
    _release_crashed(sweep)
    live = _live_runs(sweep)
    if checked.run_cap is not None and live.count() >= checked.run_cap:
        return None
    number = Run.objects.filter(sweep=sweep).count() + 1
    if checked.method == "grid":
        return _next_grid_point(actor, sweep, checked, number, agent)
    if checked.method == "random":
        params = methods.random_point(checked)
    else:
        history = [
            (run.config, run_value(run, checked.metric) if run.state != RunState.RUNNING else None)
            for run in live.only("config", "summary", "state")
            if run.state == RunState.RUNNING or run_value(run, checked.metric) is not None
        ]
        params = methods.bayes_point(checked, history, seed=random.SystemRandom().randrange(2**31))
    return _start(actor, sweep, params, number, agent, slot=None)


def _next_grid_point(actor, sweep, checked, number, agent):
    size = checked.grid_size()
    for _ in range(64):  # a clash means another agent took the point first: take the next one
        taken = set(Run.objects.filter(sweep=sweep).exclude(sweep_slot=None).values_list("sweep_slot", flat=True))
        free = next((i for i in range(size) if i not in taken), None)
        if free is None:
            return None
        try:
            with transaction.atomic():
                return _start(actor, sweep, methods.grid_point(checked, free), number, agent, slot=free)
        except IntegrityError:
            number += 1
    return None


def _start(actor, sweep, params, number, agent, *, slot):
    run = run_create(
        actor=actor,
        project=sweep.project,
        name=f"{sweep.name or sweep.sweep_id}-{number}",
        config=params,
        group=f"sweep-{sweep.sweep_id}",
        job_type="sweep",
        host=(agent or "")[:255],
    )
    run.sweep, run.sweep_slot = sweep, slot
    run.save(update_fields=["sweep", "sweep_slot"])
    return run


CONTROL_MOVES = {
    SweepState.RUNNING: {SweepState.PAUSED, SweepState.FINISHED, SweepState.CANCELLED},
    SweepState.PAUSED: {SweepState.RUNNING, SweepState.FINISHED, SweepState.CANCELLED},
    SweepState.FINISHED: set(),
    SweepState.CANCELLED: set(),
}


@transaction.atomic
def sweep_control(*, actor, sweep: Sweep, state: str) -> Sweep:
    """Pause, resume, finish or cancel; cancelling also asks the sweep's running runs to stop."""
    policy.require(actor, "sweep:control", sweep)
    if state not in SweepState.values:
        raise ValidationError({"state": [f"state is one of {', '.join(SweepState.values)}."]})
    sweep = Sweep.objects.select_for_update().get(pk=sweep.pk)
    if state != sweep.state:
        if state not in CONTROL_MOVES[sweep.state]:
            raise ValidationError({"state": [f"The sweep is {sweep.state}; it cannot become {state}."]})
        sweep.state = state
        sweep.save(update_fields=["state"])
    if state == SweepState.CANCELLED:
        Run.objects.filter(sweep=sweep, state=RunState.RUNNING).update(stop_requested=True)
    return sweep


@transaction.atomic
def sweep_delete(*, actor, sweep: Sweep) -> None:
    """Delete a sweep; its runs stay, no longer tied to it."""
    policy.require(actor, "sweep:delete", sweep)
    Run.objects.filter(sweep=sweep).update(sweep=None, sweep_slot=None)
    sweep.delete()


# --- hyperband -------------------------------------------------------------------------


def _points(run_ids, key: str, limit: int) -> dict[int, list[float]]:
    """The first `limit` values of `key` for each run (raw level-0 blocks)."""
    from .. import history

    found: dict[int, list[float]] = {}
    series = {s.pk: s.run_id for s in MetricSeries.objects.filter(run_id__in=run_ids, kind=SeriesKind.HISTORY, key=key)}
    chunks = MetricChunk.objects.filter(series_id__in=series, level=0).order_by("series_id", "seq").values_list("series_id", "data")
    for series_id, blob in chunks:
        values = found.setdefault(series[series_id], [])
        if len(values) < limit:
            values.extend(value for _, _, value in history.raw_points(history.unpack(bytes(blob))))
    return {run_id: values[:limit] for run_id, values in found.items()}


def sweep_check_early_stop(run: Run) -> bool:
    """Hyperband for one run of a sweep (called at its heartbeat); True when it was asked to stop.

    Checked only when the run reached a bracket it was not judged at yet.
    """
    sweep = run.sweep
    if sweep is None or not (sweep.config or {}).get("early_terminate") or run.stop_requested:
        return False
    try:
        checked = parsed(sweep)
    except ValidationError:
        return False
    if not checked.hyperband or not checked.metric:
        return False
    count = MetricSeries.objects.filter(run=run, kind=SeriesKind.HISTORY, key=checked.metric).values_list("count", flat=True).first() or 0
    reached = hyperband.brackets(checked.hyperband["min_iter"], checked.hyperband["eta"], count)
    if not reached:
        return False
    judged_key = f"sweep-hyperband:{run.pk}"
    if cache.get(judged_key) == reached[-1]:
        return False
    peers = list(Run.objects.filter(sweep=sweep).exclude(pk=run.pk).values_list("pk", flat=True))
    values = _points([run.pk, *peers], checked.metric, reached[-1])
    mine = values.pop(run.pk, [])
    at = hyperband.verdict(
        mine, list(values.values()), min_iter=checked.hyperband["min_iter"], eta=checked.hyperband["eta"], minimize=checked.goal == "minimize"
    )
    cache.set(judged_key, reached[-1], 24 * 3600)
    if at is None:
        return False
    Run.objects.filter(pk=run.pk).update(stop_requested=True)
    return True
