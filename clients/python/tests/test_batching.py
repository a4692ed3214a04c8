"""History leaves in batches: column form, bounded size, one batch_id each, early when enough wait."""

from fakeserver import wait_for

from teamsite_client import limits


def test_history_goes_out_in_column_form_with_null_where_a_step_lacks_a_metric(start, server):
    run = start()
    run.log({"loss": 1.0})
    run.log({"acc": 0.5})
    run.log({"loss": 0.5, "acc": 0.7})
    run.finish()
    (request,) = server.sent("history")
    assert set(request.body) == {"columns", "batch_id"}
    columns = request.body["columns"]
    assert columns["step"] == [0, 1, 2]
    assert len(columns["ts"]) == 3 and all(isinstance(ts, float) for ts in columns["ts"])
    assert columns["values"] == {"loss": [1.0, None, 0.5], "acc": [None, 0.5, 0.7]}


def test_a_batch_leaves_early_once_enough_points_wait(start, server, monkeypatch):
    monkeypatch.setattr(limits, "FLUSH_INTERVAL", 60.0)  # only the point count can send it
    run = start()
    for step in range(limits.FLUSH_POINTS - 1):
        run.log({"x": step})
    assert not wait_for(lambda: server.sent("history"), timeout=0.3)
    run.log({"x": 1.0})
    assert wait_for(lambda: server.sent("history"), timeout=3), "a full batch did not leave before the interval"
    assert server.steps("x") == list(range(limits.FLUSH_POINTS))


def test_no_request_carries_more_points_than_the_server_takes(start, server, monkeypatch):
    monkeypatch.setattr(limits, "MAX_POINTS_PER_REQUEST", 100)
    run = start()
    run.log({f"m{n}": n for n in range(250)})  # one call wider than a request
    for step in range(1, 301):
        run.log({"a": step, "b": step})
    run.finish()
    sizes = [server.batches[("history", r.body["batch_id"])] for r in server.sent("history")]
    assert max(sizes) <= 100
    assert sum(sizes) == 250 + 600
    assert sorted(server.steps("a")) == list(range(1, 301))
    assert server.steps("m249") == [0]


def test_each_batch_has_its_own_batch_id(start, server, monkeypatch):
    monkeypatch.setattr(limits, "MAX_POINTS_PER_REQUEST", 10)
    run = start()
    for step in range(95):
        run.log({"x": step})
    run.finish()
    ids = [r.body["batch_id"] for r in server.sent("history")]
    assert len(ids) == 10 and len(set(ids)) == 10
    assert server.steps("x") == list(range(95))
