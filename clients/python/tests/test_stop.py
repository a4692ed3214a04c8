"""Stop from the web page: the heartbeat says stop_requested, the client ends the run as
stopped by itself, calls on_stop, and the next run.log raises RunStopped."""

import pytest
from fakeserver import wait_for

import teamsite_client as ts


def test_a_heartbeat_asking_to_stop_ends_the_run_as_stopped(start, server):
    called = []
    run = start(heartbeat_interval=0.05, on_stop=called.append)
    run.log({"loss": 1.0})
    server.stop_requested = True
    assert wait_for(lambda: called), "on_stop was not called"
    assert called == [run]
    assert run.stopped and run.state == "stopped"
    assert server.end_states() == ["stopped"]
    assert server.steps("loss") == [0]  # what was logged before the stop went out first
    assert server.sent()[-1].route == "run"  # the end state is the last thing sent
    with pytest.raises(ts.RunStopped, match="stopped from the web page") as raised:
        run.log({"loss": 0.5})
    assert "teamsite_client.RunStopped" in str(raised.value)
    assert raised.value.code == "stopped"
    with pytest.raises(ts.RunStopped):  # and again: the training loop may call log once more
        run.log({"loss": 0.5})
    run.finish()
    assert server.end_states() == ["stopped"]  # finish after a stop sends nothing more
    assert server.steps("loss") == [0]


def test_run_stopped_out_of_a_with_block_leaves_the_run_stopped_not_failed(start, server):
    server.stop_requested = True
    with pytest.raises(ts.RunStopped):
        with start(heartbeat_interval=0.05) as run:
            for _ in range(1000):
                run.log({"loss": 1.0})
                wait_for(lambda: run.stopped, timeout=0.01, interval=0.005)
    assert run.state == "stopped"
    assert server.end_states() == ["stopped"]


def test_on_stop_may_call_finish_and_may_raise(start, server):
    finished = []

    def on_stop(run):
        run.finish()  # from the background thread: nothing to wait for
        finished.append(run.state)
        raise RuntimeError("checkpoint failed")

    run = start(heartbeat_interval=0.05, on_stop=on_stop)
    server.stop_requested = True
    with pytest.warns(ts.TeamsiteWarning, match="on_stop raised"):
        assert wait_for(lambda: finished)
        run.finish(timeout=2)
    assert finished == ["stopped"]
    assert server.end_states() == ["stopped"]
