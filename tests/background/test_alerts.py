"""Alerts, alert rules and crash detection: stored, mailed to creator and watchers, checked in the worker."""

import math
from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from experiments import events, rules, services
from experiments.models import AlertRule, ProjectWatch, Run, RunAlert
from tests import factories

from .world import build

pytestmark = pytest.mark.django_db
T = "/api/v1/teams/bg/projects/vision"


@pytest.fixture
def w(db):
    return build()


def api(client, person):
    return factories.ApiClient(client).as_user(person)


def log(w, values, start=0, who="member"):
    rows = [{"step": start + n, "values": {"loss": v}} for n, v in enumerate(values)]
    return services.history_append(actor=w.people[who], run=w.run, rows=rows)


def test_run_alert_is_listed_mailed_to_creator_and_watchers_and_deduplicated(w, client, outbox, django_capture_on_commit_callbacks):
    services.watch_set(actor=w.people["viewer"], project=w.project, on=True)
    member = api(client, w.people["member"])
    with django_capture_on_commit_callbacks(execute=True):
        first = member.post(f"{T}/runs/r1/alerts", {"title": "Loss exploded", "text": "nan at 300", "level": "error", "wait_duration": 60})
    assert first.status_code == 201 and first.json()["sent"] is True
    assert sorted(m.to[0] for m in outbox) == ["bg-member@example.com", "bg-viewer@example.com"]
    assert all("/settings/notifications/unsubscribe/" in m.body for m in outbox)
    with django_capture_on_commit_callbacks(execute=True):
        again = member.post(f"{T}/runs/r1/alerts", {"title": "Loss exploded", "text": "again", "level": "error", "wait_duration": 60})
    assert again.json()["sent"] is False and len(outbox) == 2
    listed = api(client, w.people["viewer"]).get(f"{T}/runs/r1/alerts").json()["results"]
    assert [a["sent"] for a in listed] == [False, True] and listed[0]["rule"] is None
    feed = api(client, w.people["viewer"]).get("/api/v1/teams/bg/alerts?level=error").json()["results"]
    assert len(feed) == 2 and feed[0]["project"] == "vision"
    assert api(client, w.people["viewer"]).get("/api/v1/teams/bg/alerts?level=info").json()["results"] == []


def test_a_person_who_turned_alerts_off_gets_none(w, client, outbox, django_capture_on_commit_callbacks):
    from accounts.services import notification_settings_save

    notification_settings_save(actor=w.people["member"], alerts=False)
    with django_capture_on_commit_callbacks(execute=True):
        services.alert_create(actor=w.people["member"], run=w.run, title="x", text="", level="info")
    assert outbox == []


def test_the_unsubscribe_link_turns_that_kind_off(w, client, outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.alert_create(actor=w.people["member"], run=w.run, title="x", text="", level="info")
    link = next(line for line in outbox[0].body.splitlines() if "/unsubscribe/" in line).split(": ", 1)[1].strip()
    path = link.split("8000", 1)[1]
    assert client.get(path).status_code == 200  # a confirmation first: mail scanners must not unsubscribe
    assert client.post(path).status_code == 200
    from accounts.notifications import settings_of

    assert settings_of(w.people["member"]).alerts is False and settings_of(w.people["member"]).runs is True


def test_watch_api(w, client):
    viewer = api(client, w.people["viewer"])
    assert viewer.put(f"{T}/watch").json() == {"watching": True}
    assert viewer.put(f"{T}/watch").json() == {"watching": True}
    assert ProjectWatch.objects.count() == 1
    assert viewer.delete(f"{T}/watch").json() == {"watching": False}
    assert api(client, w.people["outsider"]).put(f"{T}/watch").status_code == 404


def test_rules_api_and_permissions(w, client):
    body = {"name": "loss high", "metric": "loss", "kind": "threshold", "op": ">", "value": 0.5}
    assert api(client, w.people["viewer"]).post(f"{T}/alert-rules", body).status_code == 403
    created = api(client, w.people["member"]).post(f"{T}/alert-rules", body)
    assert created.status_code == 201 and created.json()["aggregate"] == "last" and created.json()["window"] == 1
    bad = api(client, w.people["member"]).post(f"{T}/alert-rules", {"name": "x", "metric": "loss", "kind": "change", "direction": "up", "amount": -1})
    assert bad.status_code == 400 and {"direction", "amount"} <= set(bad.json()["error"]["fields"])
    rule_id = created.json()["id"]
    patched = api(client, w.people["member"]).patch(f"{T}/alert-rules/{rule_id}", {"enabled": False})
    assert patched.json()["enabled"] is False
    assert [r["id"] for r in api(client, w.people["viewer"]).get(f"{T}/alert-rules").json()["results"]] == [rule_id]
    assert api(client, w.people["member"]).delete(f"{T}/alert-rules/{rule_id}").status_code == 204


def test_a_rule_fires_in_the_worker_once_per_24_hours_with_its_values(w, outbox, django_capture_on_commit_callbacks):
    rule = services.alert_rule_create(actor=w.people["member"], project=w.project, name="loss high", metric="loss", kind="threshold", op=">", value=0.5)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        log(w, [0.1, 0.9])
    assert RunAlert.objects.count() == 0  # not in the request: after the commit, in a task
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()
    fired = RunAlert.objects.get()
    assert fired.rule == rule and fired.values == {"metric": "loss", "value": 0.9, "step": 1.0, "aggregate": "last", "window": 1}
    assert len(outbox) == 1 and "loss high" in outbox[0].subject
    with django_capture_on_commit_callbacks(execute=True):
        log(w, [0.95], start=2)
    assert RunAlert.objects.count() == 1  # quiet for 24 hours on this run
    RunAlert.objects.update(created_at=timezone.now() - timedelta(hours=25))
    with django_capture_on_commit_callbacks(execute=True):
        log(w, [0.97], start=3)
    assert RunAlert.objects.count() == 2


def test_a_change_rule(w, django_capture_on_commit_callbacks):
    services.alert_rule_create(actor=w.people["member"], project=w.project, name="acc drop", metric="loss", kind="change",
                               direction="decrease", amount=0.05, relative=True, window=2, baseline_window=3)
    with django_capture_on_commit_callbacks(execute=True):
        log(w, [1.0, 1.0, 1.0, 0.97, 0.97])  # 3% down: not enough
    assert RunAlert.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        log(w, [0.9, 0.9], start=5)  # last 2 (0.9) against the 3 before (1.0, 0.97, 0.97)
    values = RunAlert.objects.get().values
    assert math.isclose(values["current_mean"], 0.9) and values["change"] < 0


# --- hypothesis: the worker's rules against a plain reference evaluator ----------------------


def reference(rule, values):
    """Straight from the spec, over the whole series."""
    if rule.kind == "threshold":
        if len(values) < rule.window:
            return False
        window = values[len(values) - rule.window :]
        x = {"last": window[-1], "min": min(window), "max": max(window), "mean": math.fsum(window) / len(window)}[rule.aggregate]
        return {">": x > rule.value, ">=": x >= rule.value, "<": x < rule.value, "<=": x <= rule.value}[rule.op]
    n, m = rule.window, rule.baseline_window
    if len(values) < n + m:
        return False
    current = math.fsum(values[len(values) - n :]) / n
    base = math.fsum(values[len(values) - n - m : len(values) - n]) / m
    if rule.relative and base == 0:
        return False
    need = rule.amount * abs(base) if rule.relative else rule.amount
    delta = current - base
    return {"increase": delta >= need, "decrease": -delta >= need, "any": abs(delta) >= need}[rule.direction]


numbers = st.floats(min_value=-100, max_value=100, allow_nan=False).map(lambda x: round(x, 3))
threshold_rules = st.builds(
    lambda op, value, aggregate, window: AlertRule(kind="threshold", metric="loss", op=op, value=value, aggregate=aggregate, window=window),
    st.sampled_from([">", ">=", "<", "<="]), numbers, st.sampled_from(["last", "mean", "min", "max"]), st.integers(1, 700),
)
change_rules = st.builds(
    lambda direction, amount, relative, window, baseline: AlertRule(kind="change", metric="loss", direction=direction, amount=amount,
                                                                     relative=relative, window=window, baseline_window=baseline),
    st.sampled_from(["increase", "decrease", "any"]), st.floats(0.001, 50).map(lambda x: round(x, 3)), st.booleans(),
    st.integers(1, 400), st.integers(1, 400),
)


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rule=st.one_of(threshold_rules, change_rules), curve=st.lists(numbers, min_size=0, max_size=1200))
def test_rules_fire_exactly_when_the_reference_says(w, rule, curve):
    """Through storage: the points are logged, read back from the packed blocks (history_tail), evaluated."""
    run = services.run_create(actor=w.people["member"], project=w.project, run_id=f"h{Run.objects.count()}")
    if curve:
        services.history_append(actor=w.people["member"], run=run, rows=[{"step": n, "values": {"loss": v}} for n, v in enumerate(curve)])
    rule.project = w.project
    rule.name = "r"
    rule.save()
    try:
        fired = events.rules_check(run.pk, [rule.pk])
        assert bool(fired) == reference(rule, curve), (rule.description, len(curve))
        if fired:
            assert fired[0].values["step"] == len(curve) - 1
    finally:
        RunAlert.objects.filter(run=run).delete()
        rule.delete()


def test_evaluate_ignores_windows_with_nan():
    rule = AlertRule(kind="threshold", metric="loss", op=">", value=0, aggregate="mean", window=2)
    assert rules.evaluate(rule, [(0, 1.0), (1, float("nan"))]) is None
    assert rules.evaluate(rule, [(0, 1.0), (1, 2.0)]) is not None


# --- crash detection and run endings -------------------------------------------------------


def test_crash_detection_stores_crashed_and_mails_by_the_team_setting(w, settings, outbox, django_capture_on_commit_callbacks):
    Run.objects.filter(pk=w.run.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=settings.RUN_CRASH_AFTER_SECONDS + 5))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.runs_mark_crashed() == 1
        assert services.runs_mark_crashed() == 0
    assert Run.objects.get(pk=w.run.pk).state == "crashed"
    assert [m.to for m in outbox] == [["bg-member@example.com"]] and "crashed" in outbox[0].subject


def test_a_finished_run_mails_only_when_the_team_chose_it(w, outbox, django_capture_on_commit_callbacks):
    from teams import services as teams

    with django_capture_on_commit_callbacks(execute=True):
        services.run_update(actor=w.people["member"], run=w.run, state="finished")
    assert outbox == []
    teams.team_run_mails_set(actor=w.people["admin"], team=w.team, finished=True, crashed=True)
    run2 = services.run_create(actor=w.people["member"], project=w.project, run_id="r2")
    with django_capture_on_commit_callbacks(execute=True):
        services.run_update(actor=w.people["member"], run=run2, state="failed")
    assert len(outbox) == 1 and "failed" in outbox[0].subject


def test_the_runs_table_as_csv_with_the_page_filters(w, client):
    services.run_update(actor=w.people["member"], run=w.run, config={"lr": 0.1}, summary={"acc": 0.9})
    other = services.run_create(actor=w.people["member"], project=w.project, run_id="r2", config={"lr": 0.2})
    services.run_update(actor=w.people["member"], run=other, state="finished")
    viewer = api(client, w.people["viewer"])
    response = client.get(f"{T}/runs?format=csv", headers={"Authorization": f"Bearer {viewer.key}"})
    assert response.status_code == 200 and response["Content-Type"] == "text/csv" and response.streaming
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].endswith("config.lr,summary.acc") and len(lines) == 3
    filtered = client.get(f"{T}/runs?format=csv&config=lr%3D0.2", headers={"Authorization": f"Bearer {viewer.key}"})
    rows = b"".join(filtered.streaming_content).decode().splitlines()
    assert len(rows) == 2 and rows[1].startswith("r2,")
    finished = client.get(f"{T}/runs?format=csv&state=finished", headers={"Authorization": f"Bearer {viewer.key}"})
    assert len(b"".join(finished.streaming_content).decode().splitlines()) == 2
    assert api(client, w.people["outsider"]).get(f"{T}/runs?format=csv").status_code == 404
