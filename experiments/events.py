"""What happens after runs change, in the worker: alert rules checked, alerts and run endings
mailed (run creator + project watchers, by their choices) and sent to the team's webhooks.

Services call these inside their transaction; the mails and deliveries they queue
leave after the commit (core/mail.py, teams/webhooks.py).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts import notifications
from core import schedule
from teams import policy, webhooks

from . import alerts, rules, selectors
from .models import AlertRule, MetricSeries, ProjectWatch, Run, RunAlert, RunState, SeriesKind, crash_after

RULE_QUIET = timedelta(hours=24)  # a rule fires at most once per run in this time


def _url(run: Run) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/{run.project.team.slug}/{run.project.name}/runs/{run.run_id}/"


def _run_json(run: Run) -> dict:
    return {"id": run.run_id, "name": run.name, "state": run.state, "created_by": run.created_by.username if run.created_by else None}


def _audience(run: Run, kind: str):
    """The run's creator and the project's watchers who still see the project and take this kind of mail."""
    people = [run.created_by] if run.created_by else []
    people += [watch.user for watch in ProjectWatch.objects.filter(project=run.project).select_related("user")]
    unique = {person.pk: person for person in people if person is not None}
    return [person for person in notifications.wanting(unique.values(), kind) if policy.can(person, "run:view", run.project)]


def alert_fired(alert: RunAlert) -> None:
    """Mail and webhooks for an alert that is sent (not a repeat inside wait_duration)."""
    run = alert.run
    project = run.project
    payload = {"project": project.name, "run": _run_json(run), "alert": alerts.alert_out(alert), "url": _url(run)}
    webhooks.emit(project.team, "alert", payload)
    subject = f"{alert.level.upper()} in {project}: {alert.title}"
    text = f"{alert.text}\n\n" if alert.text else ""
    if alert.values:
        text += "".join(f"{key}: {value}\n" for key, value in alert.values.items() if value is not None) + "\n"
    text += f"Run {run.name} ({run.run_id}) in {project}.\n{_url(run)}"
    people = _audience(run, "alerts")
    transaction.on_commit(lambda: [notifications.notify(person, "alerts", subject, text) for person in people])


def run_ended(run: Run, *, crashed: bool = False) -> None:
    """run.finished (finished, failed, stopped) or run.crashed: webhooks, and mail when the team chose it."""
    team = run.project.team
    event = "run.crashed" if crashed else "run.finished"
    webhooks.emit(team, event, {"project": run.project.name, "run": _run_json(run), "url": _url(run)})
    if not (team.mail_run_crashed if crashed else team.mail_run_finished):
        return
    subject = f"Run {run.name} in {run.project} {'crashed' if crashed else run.state}"
    text = (f"Run {run.name} ({run.run_id}) in {run.project} is {run.state}"
            + (f": no heartbeat for {settings.RUN_CRASH_AFTER_SECONDS} seconds." if crashed else ".") + f"\n{_url(run)}")
    people = _audience(run, "runs")
    transaction.on_commit(lambda: [notifications.notify(person, "runs", subject, text) for person in people])


def rules_check(run_pk: int, rule_ids: list[int] | None = None) -> list[RunAlert]:
    """Check the project's enabled rules (or those named) against the run's latest points; store and send each firing."""
    run = Run.objects.select_related("project__team", "created_by").filter(pk=run_pk).first()
    if run is None:
        return []
    chosen = AlertRule.objects.filter(project_id=run.project_id, enabled=True)
    if rule_ids is not None:
        chosen = chosen.filter(pk__in=rule_ids)
    chosen = list(chosen)
    series = {s.key: s for s in MetricSeries.objects.filter(run=run, kind=SeriesKind.HISTORY, key__in={r.metric for r in chosen})}
    fired = []
    for rule in chosen:
        found = series.get(rule.metric)
        if found is None or found.count < rules.points_needed(rule):
            continue
        values = rules.evaluate(rule, selectors.history_tail(found.pk, found.count, rules.points_needed(rule)))
        if values is None:
            continue
        with transaction.atomic():
            AlertRule.objects.select_for_update().filter(pk=rule.pk).first()  # two checks of one run wait for each other
            if RunAlert.objects.filter(run=run, rule=rule, created_at__gte=timezone.now() - RULE_QUIET).exists():
                continue
            alert = RunAlert.objects.create(run=run, rule=rule, title=rule.name[:64], text=rule.description, level=rule.level, sent=True, values=values)
            alert_fired(alert)
        fired.append(alert)
    return fired


def rules_for_batch(run: Run, keys) -> None:
    """After a history batch: queue the check of the rules on these metrics, once the batch is committed."""
    ids = list(AlertRule.objects.filter(project_id=run.project_id, enabled=True, metric__in=list(keys)).values_list("pk", flat=True))
    if ids:
        from .tasks import check_alert_rules

        transaction.on_commit(lambda: check_alert_rules.enqueue(run.pk, ids))


@schedule.every(30, name="runs.crash_detection")
def detect_crashes() -> int:
    """A running run without a heartbeat for RUN_CRASH_AFTER_SECONDS becomes crashed and fires run.crashed."""
    cutoff = timezone.now() - crash_after()
    crashed = 0
    for pk in list(Run.objects.filter(state=RunState.RUNNING, heartbeat_at__lt=cutoff).values_list("pk", flat=True)[:1000]):
        with transaction.atomic():
            if not Run.objects.filter(pk=pk, state=RunState.RUNNING, heartbeat_at__lt=cutoff).update(state=RunState.CRASHED):
                continue  # it came back, or another schedule took it
            run_ended(Run.objects.select_related("project__team", "created_by").get(pk=pk), crashed=True)
            crashed += 1
    return crashed
