"""finish and the with block: the end state, once; failed on an exception; a bounded wait."""

import time

import pytest

import teamsite_client as ts
from teamsite_client import cli
from teamsite_client import session


def test_an_exception_in_the_with_block_marks_the_run_failed_and_goes_on(start, server):
    with pytest.raises(RuntimeError, match="boom"):
        with start() as run:
            run.log({"loss": 1.0})
            raise RuntimeError("boom")
    assert run.state == "failed"
    assert server.end_states() == ["failed"]
    lines = [line for request in server.sent("logs") for line in request.body["lines"]]
    assert "RuntimeError: boom" in lines and lines[0].startswith("Traceback")
    assert server.steps("loss") == [0]


def test_a_normal_exit_from_the_with_block_finishes(start, server):
    with start() as run:
        run.log({"loss": 1.0})
    assert run.state == "finished"
    assert server.end_states() == ["finished"]


def test_finish_is_idempotent_and_the_end_state_is_sent_last(start, server):
    run = start()
    run.log({"x": 1})
    run.config["lr"] = 0.1
    run.finish()
    run.finish()
    run.finish(state="failed")  # too late to change its mind
    assert server.end_states() == ["finished"]
    assert server.sent()[-1].body == {"state": "finished"}
    with pytest.raises(ts.TeamsiteError, match="is finished; it takes no more data"):
        run.log({"x": 2})
    with pytest.raises(ts.TeamsiteError):
        run.alert("too late")
    with pytest.raises(ValueError):
        start().finish(state="done")


def test_finish_gives_up_after_its_timeout_and_leaves_the_rest_for_sync(start, server, fast):
    run = start()
    server.offline = True
    run.log({"x": 1})
    run.log({"samples": ts.Table(columns=["a"], data=[[1]])})
    started = time.monotonic()
    with pytest.warns(ts.TeamsiteWarning):
        run.finish(timeout=0.5)
    assert time.monotonic() - started < 3
    (left,) = [message for message in run.warnings if "within the finish timeout" in message]
    assert "1 history points" in left and "the end state (finished)" in left and "1 media" in left
    assert f"teamsite sync {run.folder}" in left
    server.offline = False
    assert cli.main(["sync", str(run.folder), "--host", server.url, "--key", "k"]) == 0
    assert server.values("x") == [1] and server.end_states() == ["finished"]
    assert len([r for r in server.sent("media", "POST") if r.answered]) == 1
    assert cli.main(["sync", str(run.folder), "--host", server.url, "--key", "k"]) == 0  # twice: nothing twice
    assert server.values("x") == [1] and server.end_states() == ["finished"]


def test_runs_left_open_are_finished_at_exit_or_failed_after_an_uncaught_exception(start, server, monkeypatch):
    first = start()
    session._at_exit()
    assert first.state == "finished"
    second = start()
    monkeypatch.setattr(session, "_uncaught_exception", True)
    session._at_exit()
    assert second.state == "failed"
    assert server.end_states() == ["finished", "failed"]
