"""teamsite_client end to end: a training script's view, checked on the server."""

import math
import os
import sys
import time
import warnings

import pytest

import teamsite_client as ts
from teamsite_client import limits, session
from experiments import selectors, services
from experiments.models import Run, RunAlert, SeriesKind
from teams.services import member_add, org_member_set, service_account_create
from tests import factories

from .conftest import api_get, dead_url, run_path, settle, wait_for
from teams.policy import SYSTEM

pytestmark = pytest.mark.django_db(transaction=True)


def server_run(run):
    return Run.objects.select_related("created_by", "logged_by").get(run_id=run.run_id)


def steps_of(run, key, kind=SeriesKind.HISTORY):
    series = selectors.history_read(server_run(run), kind=kind, keys=[key], samples=0)["series"]
    return series[key]["steps"] if key in series else []


def test_init_log_finish_end_to_end(site):
    run = site.start(
        project="mnist",  # does not exist yet: the server creates it
        config={"lr": 1e-3},
        name="baseline",
        tags=["cnn"],
        group="sweep-1",
        job_type="train",
        notes="first try",
    )
    assert run.name == "baseline"
    assert run.run_id and run.run_id in run.url and run.url.startswith(site.url)
    for step in range(3):
        run.log({"loss": 1.0 / (step + 1), "acc": 0.5 + step / 10})
    run.log({"weird": math.nan, "huge": math.inf})
    run.config.update({"batch": 64})
    run.config["epochs"] = 5
    run.summary["best_acc"] = 0.97
    run.finish()
    run.finish()  # idempotent
    assert run.state == "finished"

    detail = api_get(site, run_path(run))
    assert detail["state"] == "finished" and detail["finished_at"]
    assert detail["config"] == {"lr": 1e-3, "batch": 64, "epochs": 5}
    assert detail["summary"]["loss"] == pytest.approx(1 / 3)
    assert detail["summary"]["acc"] == pytest.approx(0.7)
    assert detail["summary"]["best_acc"] == 0.97
    assert (detail["name"], detail["tags"], detail["group"], detail["job_type"], detail["notes"]) == (
        "baseline", ["cnn"], "sweep-1", "train", "first try",
    )
    assert detail["created_by"] == detail["logged_by"] == "ada"

    history = api_get(site, run_path(run) + "/history?samples=0")
    assert history["series"]["loss"]["steps"] == [0, 1, 2]
    assert history["series"]["acc"]["values"] == pytest.approx([0.5, 0.6, 0.7])
    assert history["total_points"]["weird"] == 1 and history["total_points"]["huge"] == 1
    csv = api_get(site, run_path(run) + "/history?format=csv&keys=weird,huge", raw=True).decode()
    assert "nan" in csv and "inf" in csv  # NaN and infinity were stored as such
    assert run.summary["loss"] == pytest.approx(1 / 3)  # the local summary follows the log too
    with pytest.raises(ts.TeamsiteError, match="finished"):
        run.log({"loss": 0.1})


def test_a_summary_value_the_script_sets_wins_over_later_logs(site):
    run = site.start()
    run.log({"acc": 0.9})
    run.summary["acc"] = 0.99  # the best value, not the last one
    run.log({"acc": 0.5})
    run.log({"acc": 0.4})
    run.finish()
    assert api_get(site, run_path(run))["summary"]["acc"] == 0.99
    assert run.summary["acc"] == 0.99


def test_a_run_ended_on_the_server_takes_no_more_data(site):
    run = site.start()
    settle(lambda: services.run_update(actor=SYSTEM, run=server_run(run), state="finished"))
    with pytest.warns(ts.TeamsiteWarning, match="no longer takes history"):
        run.log({"x": 1})  # the training loop is not told: the sender warns and drops
        assert wait_for(lambda: any("no longer takes history" in message for message in run.warnings), timeout=5)
        run.log({"x": 2})
        run.finish()
    assert steps_of(run, "x") == []


def test_explicit_and_implicit_steps(site):
    run = site.start()
    run.log({"x": 0})  # step 0
    run.log({"x": 1})  # step 1
    run.log({"x": 10}, step=10)
    run.log({"x": 11})  # the counter follows an explicit step: 11
    with pytest.warns(ts.TeamsiteWarning, match="step 5 is lower than the last step 11"):
        run.log({"x": 5}, step=5)  # dropped
    run.log({"y": 2}, step=11)  # the same step again is fine
    run.log({"x": 12})
    run.finish()
    assert steps_of(run, "x") == [0, 1, 10, 11, 12]
    assert steps_of(run, "y") == [11]


def test_log_checks_values_at_once(site):
    run = site.start()
    with pytest.raises(TypeError, match="'loss' must be a number, not str"):
        run.log({"loss": "0.3"})
    with pytest.raises(TypeError, match="must be a number"):
        run.log({"loss": None})
    with pytest.raises(TypeError):
        run.log([("loss", 1)])
    with pytest.raises(ValueError):
        run.log({"x": 1}, step=-1)
    run.log({"ok": True, "nested": {"a": 1}})  # bools count as 0/1; nested dicts become a/b keys
    run.finish()
    history = selectors.history_read(server_run(run), samples=0)
    assert set(history["series"]) == {"ok", "nested/a"}
    assert history["series"]["ok"]["values"] == [1]


def test_exception_inside_with_marks_the_run_failed(site):
    with pytest.raises(RuntimeError, match="boom"):
        with site.start() as run:
            run.log({"loss": 1.0})
            raise RuntimeError("boom")
    assert run.state == "failed"
    detail = api_get(site, run_path(run))
    assert detail["state"] == "failed"
    assert detail["summary"]["loss"] == 1.0
    lines = api_get(site, run_path(run) + "/logs")["lines"]
    assert any("RuntimeError: boom" in line for line in lines)


def test_normal_exit_from_with_finishes(site):
    with site.start() as run:
        run.log({"loss": 1.0})
    assert api_get(site, run_path(run))["state"] == "finished"


def test_stop_requested_from_the_web_page(site):
    called = []
    run = site.start(heartbeat_interval=0.2, on_stop=called.append)
    run.log({"loss": 1.0})
    settle(lambda: services.run_stop(actor=SYSTEM, run=server_run(run)))
    assert wait_for(lambda: called, timeout=10), "on_stop was not called within 10 s"
    assert called == [run]
    assert run.stopped and run.state == "stopped"
    with pytest.raises(ts.RunStopped, match="stopped from the web page"):
        run.log({"loss": 0.5})
    with pytest.raises(ts.RunStopped):
        run.log({"loss": 0.5})
    run.finish()  # nothing left to do
    detail = api_get(site, run_path(run))
    assert detail["state"] == "stopped" and detail["stop_requested"] is True
    assert detail["summary"]["loss"] == 1.0  # what was logged before the stop was sent


def test_stop_ends_a_with_block_as_stopped(site):
    with pytest.raises(ts.RunStopped):
        with site.start(heartbeat_interval=0.1) as run:
            settle(lambda: services.run_stop(actor=SYSTEM, run=server_run(run)))
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                run.log({"loss": 1.0})
                time.sleep(0.01)
    assert api_get(site, run_path(run))["state"] == "stopped"


def test_the_server_away_never_blocks_the_training_loop(site):
    run = site.start(heartbeat_interval=0.2)
    run.log({"loss": 0.0}, step=0)
    assert wait_for(lambda: steps_of(run, "loss") == [0], timeout=5)
    live = run._transport.base_url
    run._transport.base_url = dead_url()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        started = time.perf_counter()
        for step in range(1, 1001):
            run.log({"loss": 1.0 / step}, step=step)
        elapsed = time.perf_counter() - started
        assert elapsed < 1.0, f"1,000 log calls took {elapsed:.2f} s"
        assert wait_for(lambda: any("cannot reach" in message for message in run.warnings), timeout=5)
    assert any(issubclass(w.category, ts.TeamsiteWarning) and "cannot reach" in str(w.message) for w in caught)
    run._transport.base_url = live  # the server is back: what waited is sent, once
    run.finish()
    steps = steps_of(run, "loss")
    assert steps == list(range(0, 1001))
    assert api_get(site, run_path(run))["state"] == "finished"


def test_a_full_buffer_drops_the_oldest_points_with_one_warning(site):
    run = site.start()
    live = run._transport.base_url
    run._transport.base_url = dead_url()
    run.max_buffered_points = 100
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for step in range(300):
            run.log({"x": step}, step=step)
    overflow = [w for w in caught if "oldest points are being dropped" in str(w.message)]
    assert len(overflow) == 1
    run._transport.base_url = live
    run.finish()
    steps = steps_of(run, "x")
    assert steps[-1] == 299 and 0 not in steps
    assert len(steps) <= 200  # the buffer, plus at most one batch the sender had already taken


def test_finish_waits_a_bounded_time_when_the_server_is_gone(site):
    run = site.start()
    run._transport.base_url = dead_url()
    run.log({"x": 1})
    started = time.monotonic()
    with pytest.warns(ts.TeamsiteWarning):
        run.finish(timeout=1.0)
    assert time.monotonic() - started < 5
    assert any("within the finish timeout" in message and "teamsite sync" in message for message in run.warnings)


def test_a_retried_batch_is_stored_once(site):
    run = site.start()
    rows = [{"step": step, "values": {"x": step * 2.0}} for step in range(3)]
    assert run._post_rows("history", rows, "batch-1") == 3
    assert run._post_rows("history", rows, "batch-1") == 0  # the same batch again, as after a lost answer
    assert run._post_rows("system", rows, "batch-1") == 3  # another kind, its own batch ids
    assert run._post_rows("system", rows, "batch-1") == 0
    run.finish()
    assert steps_of(run, "x") == [0, 1, 2]
    assert steps_of(run, "x", kind=SeriesKind.SYSTEM) == [0, 1, 2]


def test_system_metrics_are_sampled(site):
    run = site.start(system_metrics_interval=0.2)

    def keys():
        return set(api_get(site, run_path(run) + "/system-metrics")["series"])

    found = wait_for(lambda: "cpu" in keys() and keys(), timeout=10)
    run.finish()
    assert {"cpu", "memory", "disk"} <= set(found)
    series = api_get(site, run_path(run) + "/system-metrics?keys=cpu&samples=0")["series"]["cpu"]
    assert all(0 <= value <= 100 for value in series["values"])


def test_console_output_is_captured_and_restored(site):
    before_out, before_err = sys.stdout, sys.stderr
    run = site.start(capture_console=True)
    print("hello from the training loop")
    print("epoch 1", end="")
    print(" done")
    sys.stderr.write("a warning line\n")
    sys.stdout.write("10%\r50%\r100%\n")  # a progress bar: only what the terminal shows
    print("no newline at the end", end="")
    run.finish()
    assert sys.stdout is before_out and sys.stderr is before_err
    lines = api_get(site, run_path(run) + "/logs")["lines"]
    for line in ["hello from the training loop", "epoch 1 done", "a warning line", "100%", "no newline at the end"]:
        assert line in lines
    print("after finish")
    assert "after finish" not in api_get(site, run_path(run) + "/logs")["lines"]


def test_service_account_runs_are_credited_to_the_named_member(site, monkeypatch):
    person = factories.user(username="grace")
    org_member_set(actor=SYSTEM, organization=site.org, user=person, role="member")
    member_add(actor=SYSTEM, team=site.team, user=person, role="member")
    bot = service_account_create(team=site.team, name="nightly", actor=site.admin)
    monkeypatch.setenv("TEAMSITE_BASE_URL", site.url)
    monkeypatch.setenv("TEAMSITE_API_KEY", bot.key)
    monkeypatch.setenv("TEAMSITE_TEAM", "vision")
    monkeypatch.setenv("TEAMSITE_USERNAME", "grace")
    run = ts.init(project="nightly", capture_console=False, system_metrics_interval=None)
    run.log({"loss": 1.0})
    run.finish()
    detail = api_get(site, run_path(run))
    assert detail["created_by"] == "grace"
    assert detail["logged_by"] == bot.service_account.user.username

    factories.user(username="mallory")  # not in the team
    monkeypatch.setenv("TEAMSITE_USERNAME", "mallory")
    with pytest.raises(ts.TeamsiteError, match="mallory is not a member of Vision") as raised:
        ts.init(project="nightly", capture_console=False, system_metrics_interval=None)
    assert raised.value.status == 400


def test_a_bad_key_is_refused_at_init(site):
    with pytest.raises(ts.TeamsiteError, match="API key is not valid") as raised:
        site.start(api_key="not-a-key")
    assert raised.value.status == 401
    assert not Run.objects.exists()


def test_an_unreachable_server_at_init_is_a_clear_error(site, monkeypatch):
    monkeypatch.setattr(limits, "BACKOFF_BASE", 0.01)
    with pytest.raises(ts.TeamsiteError, match="Cannot reach the teamsite server"):
        site.start(base_url=dead_url())


def test_the_only_team_is_the_default(site):
    run = site.start(team=None)
    assert run.team == "vision"
    run.finish()


def test_save_uploads_a_file(site, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    os.makedirs("checkpoints")
    content = b"\x00weights\xff" * 1000
    with open("checkpoints/model.bin", "wb") as handle:
        handle.write(content)
    run = site.start()
    assert run.save("checkpoints/model.bin") == ["checkpoints/model.bin"]
    assert run.save(str(tmp_path / "checkpoints" / "model.bin"), name="best.bin") == ["best.bin"]
    with pytest.raises(FileNotFoundError):
        run.save("missing.txt")
    with pytest.raises(ValueError):
        run.save("checkpoints/model.bin", name="../escape.bin")
    run.finish()
    files = {entry["path"]: entry for entry in api_get(site, run_path(run) + "/files")["results"]}
    assert set(files) == {"checkpoints/model.bin", "best.bin"}
    assert files["checkpoints/model.bin"]["size"] == len(content)
    assert api_get(site, run_path(run) + "/files/checkpoints/model.bin", raw=True) == content


def test_alert_is_sent(site):
    run = site.start()
    run.alert(title="loss diverged", text="loss is NaN at step 10", level="warn", wait_duration=300)
    with pytest.raises(ValueError):
        run.alert(title="x", level="panic")
    run.finish()
    alert = RunAlert.objects.get(run__run_id=run.run_id)
    assert (alert.title, alert.text, alert.level) == ("loss diverged", "loss is NaN at step 10", "warn")


def test_runs_left_open_are_finished_at_exit(site):
    run = site.start()
    run.log({"x": 1})
    session._at_exit()
    assert run.state == "finished"
    assert api_get(site, run_path(run))["state"] == "finished"
