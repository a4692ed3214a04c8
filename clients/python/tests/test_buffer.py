"""The bounded buffer: while the server is away the newest points are kept, and ONE warning says so."""

import warnings

from teamsite_client import limits


def test_a_full_buffer_drops_the_oldest_points_with_one_warning(start, server, fast, monkeypatch):
    monkeypatch.setattr(limits, "FLUSH_INTERVAL", 60.0)  # nothing leaves until finish
    run = start()
    run.max_buffered_points = 100
    server.offline = True
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for step in range(300):
            run.log({"x": step})
        for step in range(300, 400):  # still full: still no second warning
            run.log({"x": step})
    overflow = [w for w in caught if "oldest points are being dropped" in str(w.message)]
    assert len(overflow) == 1
    assert overflow[0].filename == __file__  # it points at the script's log call
    assert run._dropped_points == 300
    server.offline = False
    run.finish()
    assert server.steps("x") == list(range(300, 400))
    assert run.summary["x"] == 399  # the local summary saw every point


def test_a_wide_log_call_counts_its_points(start, server, monkeypatch):
    monkeypatch.setattr(limits, "FLUSH_INTERVAL", 60.0)
    run = start()
    run.max_buffered_points = 10
    server.offline = True
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        for step in range(3):
            run.log({"a": step, "b": step, "c": step, "d": step})  # 4 points a step: 12 > 10
    server.offline = False
    run.finish()
    assert server.steps("a") == [1, 2]
