"""Retries with backoff: what is retried, for how long, with which batch_id, and what is dropped."""

import pytest
from fakeserver import wait_for

from teamsite_client import limits
from teamsite_client.transport import backoff


def test_backoff_doubles_from_the_base_with_jitter_up_to_the_cap():
    for attempts in range(1, 12):
        ceiling = min(limits.BACKOFF_CAP, limits.BACKOFF_BASE * 2 ** (attempts - 1))
        delays = [backoff(attempts) for _ in range(50)]
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays), attempts
    assert backoff(20) <= limits.BACKOFF_CAP
    assert backoff(1, retry_after=7) >= 7  # the server's Retry-After is a floor...
    assert backoff(1, retry_after=3600) <= limits.BACKOFF_CAP  # ...within the cap


def test_gateway_errors_are_retried_with_the_same_batch_id_and_stored_once(start, server, fast):
    run = start()
    server.answer("history", 503, {"error": {"message": "Try again."}}, times=3)
    run.log({"x": 1.0})
    run.finish()
    attempts = server.sent("history")
    assert len(attempts) == 4
    assert len({r.body["batch_id"] for r in attempts}) == 1
    assert server.steps("x") == [0]
    assert run.warnings == []  # a passing gateway error is not worth a warning


def test_a_lost_answer_resends_the_batch_and_the_server_keeps_it_once(start, server, fast):
    run = start()
    run.log({"x": 1.0})
    batch = run._take_history()
    assert run._post_rows("history", batch.rows, batch.batch_id) == 1
    assert run._post_rows("history", batch.rows, batch.batch_id) == 0  # as after a lost answer
    run.finish()
    assert server.steps("x") == [0]


def test_429_waits_at_least_what_retry_after_says(start, server, fast, monkeypatch):
    monkeypatch.setattr(limits, "BACKOFF_CAP", 5.0)
    run = start()
    server.answer("history", 429, {"error": {"message": "Slow down."}}, headers={"Retry-After": "0.4"})
    run.log({"x": 1.0})
    run.finish()
    first, second = server.sent("history")
    assert second.at - first.at >= 0.35
    assert server.steps("x") == [0]


def test_a_plain_500_is_given_up_after_a_few_attempts_with_one_warning(start, server, fast, monkeypatch):
    monkeypatch.setattr(limits, "MAX_SERVER_ERROR_ATTEMPTS", 3)
    run = start()
    server.answer("history", 500, {"error": {"message": "Boom."}}, times=100)
    with pytest.warns(UserWarning, match=r"refused history .*500: Boom.*dropped"):
        run.log({"x": 1.0})
        run.finish()
    assert len(server.sent("history")) == 3
    assert server.steps("x") == []


def test_another_4xx_drops_the_request_at_once_and_warns_once(start, server, fast, monkeypatch):
    monkeypatch.setattr(limits, "FLUSH_INTERVAL", 0.05)
    run = start()
    server.answer("history", 400, {"error": {"message": "Bad value."}}, times=2)
    with pytest.warns(UserWarning, match="Bad value"):
        run.log({"x": 1.0})
        assert wait_for(lambda: len(server.sent("history")) == 1)
        run.log({"x": 2.0})
        assert wait_for(lambda: len(server.sent("history")) == 2)
        run.log({"x": 3.0})
        run.finish()
    assert len(server.sent("history")) == 3  # each refused batch was sent once, not retried
    assert server.steps("x") == [2]
    assert sum("Bad value" in message for message in run.warnings) == 1


def test_an_unreachable_server_is_retried_until_it_is_back_and_warned_about_once(start, server, fast):
    run = start()
    server.offline = True
    with pytest.warns(UserWarning, match="cannot reach"):
        for step in range(50):
            run.log({"x": step})
        assert wait_for(lambda: len(server.sent("history")) >= 3), "the client did not keep retrying"
    server.offline = False
    run.finish()
    attempts = server.sent("history")
    assert [r.answered for r in attempts][-1] is True and not any(r.answered for r in attempts[:-1])
    assert len({r.body["batch_id"] for r in attempts}) == 1
    assert server.steps("x") == list(range(50))
    assert sum("cannot reach" in message for message in run.warnings) == 1
