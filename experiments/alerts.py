"""Reads for alerts, alert rules and watching: answers for many objects at once."""

from __future__ import annotations

from teams import policy

from .models import AlertRule, Project, ProjectWatch, RunAlert


def team_alerts(actor, team, *, level: str | None = None, project: str | None = None):
    """The team's alerts from every project the actor can see, newest first."""
    projects = policy.visible(actor, Project.objects.filter(team=team))
    if project:
        projects = projects.filter(name__iexact=project)
    alerts = RunAlert.objects.filter(run__project__in=projects).select_related("run__project", "rule")
    if level:
        alerts = alerts.filter(level=level)
    return alerts.order_by("-created_at", "-id")


def run_alerts(run):
    return RunAlert.objects.filter(run=run).select_related("rule").order_by("-created_at", "-id")


def project_rules(project):
    return AlertRule.objects.filter(project=project).order_by("name", "id")


def project_firings(project, limit=50):
    return list(RunAlert.objects.filter(run__project=project, rule__isnull=False).select_related("run", "rule").order_by("-created_at", "-id")[:limit])


def watching(user, project) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and ProjectWatch.objects.filter(project=project, user=user).exists()


def rule_or_none(project, rule_id):
    return AlertRule.objects.filter(project=project, pk=rule_id).select_related("project__team").first()


def rule_out(rule) -> dict:
    out = {"id": rule.pk, "name": rule.name, "metric": rule.metric, "kind": rule.kind, "level": rule.level, "enabled": rule.enabled,
           "window": rule.window, "description": rule.description, "created_at": rule.created_at.isoformat()}
    if rule.kind == AlertRule.THRESHOLD:
        out.update(op=rule.op, value=rule.value, aggregate=rule.aggregate)
    else:
        out.update(direction=rule.direction, amount=rule.amount, relative=rule.relative, baseline_window=rule.baseline_window)
    return out


def alert_out(alert, with_run=False) -> dict:
    out = {"id": alert.pk, "title": alert.title, "text": alert.text, "level": alert.level, "created_at": alert.created_at.isoformat(),
           "sent": alert.sent, "rule": alert.rule_id, "values": alert.values}
    if with_run:
        out.update(project=alert.run.project.name, run=alert.run.run_id, run_name=alert.run.name)
    return out
