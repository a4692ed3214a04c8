"""Sweeps in the database: handing out parameters, agents at once, crashes, control, delete, hyperband."""

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import OperationalError, close_old_connections
from django.utils import timezone

from experiments import services
from experiments.models import Run, RunState, Sweep, SweepState
from teams import policy
from tests import factories

GRID = {"method": "grid", "parameters": {"a": {"values": [1, 2, 3, 4]}, "b": {"values": ["x", "y", "z"]}}}
BAYES = {"method": "bayes", "metric": {"name": "loss", "goal": "minimize"}, "parameters": {"x": {"min": -1.0, "max": 1.0}}}


@pytest.fixture
def w(db):
    people = factories.team_with_members()
    people.project = factories.project(people.team, actor=people.admin, name="vision")
    return people


def test_grid_hands_out_every_point_once_then_nothing(w):
    sweep = services.sweep_create(actor=w.member, project=w.project, config=GRID)
    runs = [services.sweep_next(actor=w.member, sweep=sweep) for _ in range(12)]
    assert all(runs)
    assert {(r.config["a"], r.config["b"]) for r in runs} == {(a, b) for a in (1, 2, 3, 4) for b in "xyz"}
    assert services.sweep_next(actor=w.member, sweep=sweep) is None
    assert all(r.sweep_id == sweep.pk and r.created_by == w.member for r in runs)


@pytest.mark.django_db(transaction=True)
def test_grid_is_unique_under_concurrent_agents():
    people = factories.team_with_members()
    project = factories.project(people.team, actor=people.admin, name="vision")
    sweep = services.sweep_create(actor=people.member, project=project, config=GRID)
    got, errors = [], []

    def agent():
        try:
            while True:
                try:
                    run = services.sweep_next(actor=people.member, sweep=sweep, agent=threading.current_thread().name)
                except OperationalError:  # SQLite's in-memory test database: "table is locked"; an agent retries
                    continue
                if run is None:
                    return
                got.append((run.config["a"], run.config["b"]))
        except Exception as exc:  # pragma: no cover - shown by the assert below
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=agent, name=f"agent-{n}") for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert sorted(got) == sorted((a, b) for a in (1, 2, 3, 4) for b in "xyz")
    assert Run.objects.filter(sweep=sweep).count() == 12


def test_a_crashed_runs_grid_point_is_handed_out_again(w):
    sweep = services.sweep_create(actor=w.member, project=w.project, config={"method": "grid", "parameters": {"a": {"values": [1, 2]}}})
    first = services.sweep_next(actor=w.member, sweep=sweep)
    second = services.sweep_next(actor=w.member, sweep=sweep)
    services.run_update(actor=w.member, run=second, state="finished")
    assert services.sweep_next(actor=w.member, sweep=sweep) is None
    Run.objects.filter(pk=first.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))  # its agent died
    again = services.sweep_next(actor=w.member, sweep=sweep)
    assert again is not None and again.config == first.config and again.pk != first.pk
    assert Run.objects.get(pk=first.pk).state == RunState.CRASHED


def test_run_cap_and_states(w):
    sweep = services.sweep_create(actor=w.member, project=w.project, config={**BAYES, "method": "random", "run_cap": 2})
    assert services.sweep_next(actor=w.member, sweep=sweep)
    services.sweep_control(actor=w.member, sweep=sweep, state="paused")
    assert services.sweep_next(actor=w.member, sweep=sweep) is None
    services.sweep_control(actor=w.member, sweep=sweep, state="running")
    assert services.sweep_next(actor=w.member, sweep=sweep)
    assert services.sweep_next(actor=w.member, sweep=sweep) is None  # run_cap
    with pytest.raises(ValidationError):
        services.sweep_control(actor=w.member, sweep=sweep, state="sleeping")


def test_cancel_asks_running_runs_to_stop(w):
    sweep = services.sweep_create(actor=w.member, project=w.project, config=GRID)
    run = services.sweep_next(actor=w.member, sweep=sweep)
    services.sweep_control(actor=w.admin, sweep=sweep, state="cancelled")
    assert Run.objects.get(pk=run.pk).stop_requested
    assert services.sweep_next(actor=w.member, sweep=sweep) is None
    with pytest.raises(ValidationError):
        services.sweep_control(actor=w.admin, sweep=sweep, state="running")


def test_bayes_through_the_database_uses_finished_runs(w):
    sweep = services.sweep_create(actor=w.member, project=w.project, config=BAYES)
    for _ in range(6):
        run = services.sweep_next(actor=w.member, sweep=sweep)
        assert -1.0 <= run.config["x"] <= 1.0
        services.run_update(actor=w.member, run=run, summary={"loss": (run.config["x"] - 0.5) ** 2}, state="finished")
    assert Sweep.objects.get(pk=sweep.pk).runs.count() == 6


def test_delete_keeps_the_runs(w):
    sweep = services.sweep_create(actor=w.member, project=w.project, config=GRID)
    run = services.sweep_next(actor=w.member, sweep=sweep)
    with pytest.raises(policy.Denied):
        services.sweep_delete(actor=w.member, sweep=sweep)
    services.sweep_delete(actor=w.admin, sweep=sweep)
    kept = Run.objects.get(pk=run.pk)
    assert kept.sweep is None and kept.sweep_slot is None and kept.config == run.config


def test_members_control_only_their_own_sweeps(w):
    sweep = services.sweep_create(actor=w.admin, project=w.project, config=GRID)
    with pytest.raises(policy.Denied) as refused:
        services.sweep_control(actor=w.member, sweep=sweep, state="paused")
    assert "sweep:control_own" in str(refused.value)
    services.sweep_control(actor=w.admin, sweep=sweep, state="paused")
    with pytest.raises(policy.Denied):
        services.sweep_create(actor=w.viewer, project=w.project, config=GRID)


def test_hyperband_stops_a_run_that_falls_behind_at_its_heartbeat(w):
    config = {**BAYES, "method": "random", "early_terminate": {"type": "hyperband", "min_iter": 3, "eta": 3}}
    sweep = services.sweep_create(actor=w.member, project=w.project, config=config)
    good, fair, bad = (services.sweep_next(actor=w.member, sweep=sweep) for _ in range(3))
    for run, values in ((good, [1.0, 0.5, 0.2]), (fair, [1.0, 0.7, 0.6]), (bad, [1.0, 1.1, 1.3])):
        services.history_append(actor=w.member, run=run, rows=[{"step": i, "values": {"loss": v}} for i, v in enumerate(values)])
    assert services.run_heartbeat(actor=w.member, run=Run.objects.get(pk=good.pk)) is False
    assert services.run_heartbeat(actor=w.member, run=Run.objects.get(pk=bad.pk)) is True
