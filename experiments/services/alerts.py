"""Alerts (run.alert), alert rules (P/alert-rules) and watching a project (P/watch)."""

from __future__ import annotations

import math
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from teams import policy

from ..models import AlertRule, Project, ProjectWatch, Run, RunAlert

RULE_FIELDS = ("name", "metric", "kind", "level", "enabled", "op", "value", "aggregate", "direction", "amount", "relative", "window", "baseline_window")
MAX_WINDOW = 10_000
MAX_RULES = 100


@transaction.atomic
def alert_create(*, actor, run: Run, title: str, text: str, level: str, wait_duration: float = 300) -> tuple[RunAlert, bool]:
    """Record an alert; mail the run's creator and the project's watchers and fire the `alert` webhook event.
    A repeat of the same title inside wait_duration seconds is recorded but not sent again. Returns (alert, sent)."""
    policy.require(actor, "run:log", run)
    errors = {}
    title, text = (title or "").strip(), (text or "").strip()
    if not title or len(title) > 64:
        errors["title"] = ["An alert needs a title of 1 to 64 characters."]
    if len(text) > 5000:
        errors["text"] = ["Alert texts may be at most 5,000 characters."]
    if level not in dict(RunAlert.LEVELS):
        errors["level"] = ["level is info, warn or error."]
    if not isinstance(wait_duration, (int, float)) or isinstance(wait_duration, bool) or not 0 <= wait_duration < 10**9:
        errors["wait_duration"] = ["wait_duration is a number of seconds."]
    if errors:
        raise ValidationError(errors)
    since = timezone.now() - timedelta(seconds=wait_duration)
    sent = not RunAlert.objects.filter(run=run, title=title, sent=True, created_at__gte=since).exists()
    alert = RunAlert.objects.create(run=run, title=title, text=text, level=level, sent=sent)
    if sent:
        from ..events import alert_fired

        alert_fired(alert)
    return alert, sent


def _clean_rule(data: dict, partial: AlertRule | None = None) -> dict:
    unknown = set(data) - set(RULE_FIELDS)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: [f"Alert rules have no field {sorted(unknown)[0]}."]})
    merged = {field: getattr(partial, field) for field in RULE_FIELDS} if partial else {}
    merged.update({k: v for k, v in data.items() if v is not None or k in ("value", "amount")})
    errors = {}
    name = str(merged.get("name") or "").strip()
    metric = str(merged.get("metric") or "").strip()
    if not 1 <= len(name) <= 64:
        errors["name"] = ["Name the rule in 1 to 64 characters."]
    if not 1 <= len(metric) <= 255:
        errors["metric"] = ["Which metric? Its key, as logged (e.g. val_loss)."]
    kind = merged.get("kind")
    if kind not in (AlertRule.THRESHOLD, AlertRule.CHANGE):
        errors["kind"] = ["kind is threshold or change."]
    if merged.get("level", "warn") not in dict(RunAlert.LEVELS):
        errors["level"] = ["level is info, warn or error."]
    window = merged.get("window")
    default_window = 1 if kind == AlertRule.THRESHOLD else 10
    window = default_window if window is None else window
    baseline = merged.get("baseline_window")
    baseline = 50 if baseline is None else baseline
    for field, number in (("window", window), ("baseline_window", baseline)):
        if type(number) is not int or not 1 <= number <= MAX_WINDOW:
            errors[field] = [f"{field} is a whole number of points from 1 to {MAX_WINDOW:,}."]
    clean = {"name": name, "metric": metric, "kind": kind, "level": merged.get("level") or "warn",
             "enabled": bool(merged.get("enabled", True)), "window": window, "baseline_window": baseline}
    number = (int, float)
    if kind == AlertRule.THRESHOLD:
        value = merged.get("value")
        if merged.get("op") not in dict(AlertRule.OPS):
            errors["op"] = ["op is >, >=, < or <=."]
        if type(value) not in number or not math.isfinite(value):
            errors["value"] = ["value is the number to compare with."]
        if (merged.get("aggregate") or "last") not in dict(AlertRule.AGGREGATES):
            errors["aggregate"] = ["aggregate is last, mean, min or max."]
        clean.update(op=merged.get("op"), value=value, aggregate=merged.get("aggregate") or "last", direction="", amount=None, relative=False)
    elif kind == AlertRule.CHANGE:
        amount = merged.get("amount")
        if merged.get("direction") not in dict(AlertRule.DIRECTIONS):
            errors["direction"] = ["direction is increase, decrease or any."]
        if type(amount) not in number or not math.isfinite(amount) or amount <= 0:
            errors["amount"] = ["amount is a positive number (a fraction such as 0.05 when relative)."]
        clean.update(direction=merged.get("direction"), amount=amount, relative=bool(merged.get("relative")), op="", value=None, aggregate="last")
    if errors:
        raise ValidationError(errors)
    return clean


@transaction.atomic
def alert_rule_create(*, actor, project: Project, **data) -> AlertRule:
    policy.require(actor, "run:edit_workspace", project)
    clean = _clean_rule(data)
    if AlertRule.objects.filter(project=project).count() >= MAX_RULES:
        raise ValidationError({"name": [f"A project has at most {MAX_RULES} alert rules."]})
    return AlertRule.objects.create(project=project, created_by=actor if actor.pk else None, **clean)


@transaction.atomic
def alert_rule_update(*, actor, rule: AlertRule, **data) -> AlertRule:
    policy.require(actor, "run:edit_workspace", rule.project)
    for field, value in _clean_rule(data, partial=rule).items():
        setattr(rule, field, value)
    rule.save()
    return rule


@transaction.atomic
def alert_rule_delete(*, actor, rule: AlertRule) -> None:
    policy.require(actor, "run:edit_workspace", rule.project)
    rule.delete()  # its firings stay on the runs, with rule set to null


def watch_set(*, actor, project: Project, on: bool) -> bool:
    """Watch a project or stop; doing it twice changes nothing. Returns whether the actor watches it now."""
    policy.require(actor, "run:view", project)
    if not getattr(actor, "is_authenticated", False):
        raise policy.Denied("Sign in to watch a project.", scope="run:view")
    if not on:
        ProjectWatch.objects.filter(project=project, user=actor).delete()
        return False
    try:
        with transaction.atomic():
            ProjectWatch.objects.get_or_create(project=project, user=actor)
    except IntegrityError:
        pass
    return True
