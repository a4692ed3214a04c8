"""Alerts, alert rules, watching, the team's alerts feed (spec/api.md "Alert rules, team alerts, webhooks")."""

from __future__ import annotations

from django.http import Http404
from ninja import Router, Schema, Status
from pydantic import Field

from accounts.api_auth import optional_auth
from core.pagination import paginate
from teams import policy
from teams.selectors import team_or_404

from . import alerts, services
from .api import P, _project

router = Router(tags=["alerts"])


class RuleIn(Schema):
    name: str | None = Field(default=None, max_length=200)
    metric: str | None = Field(default=None, max_length=500)
    kind: str | None = None
    level: str | None = None
    enabled: bool | None = None
    op: str | None = None
    value: float | None = None
    aggregate: str | None = None
    direction: str | None = None
    amount: float | None = None
    relative: bool | None = None
    window: int | None = None
    baseline_window: int | None = None


@router.get(P + "/alert-rules", auth=optional_auth, summary="The project's alert rules (run:view)")
def rule_list(request, team: str, project: str):
    found = _project(request, team, project)
    policy.require(request.auth, "run:view", found)
    return paginate(request, alerts.project_rules(found), alerts.rule_out, default_limit=100)


@router.post(P + "/alert-rules", response={201: dict}, summary="Create an alert rule (run:edit_workspace)")
def rule_create(request, team: str, project: str, payload: RuleIn):
    found = _project(request, team, project)
    rule = services.alert_rule_create(actor=request.auth, project=found, **payload.dict(exclude_unset=True))
    return Status(201, alerts.rule_out(rule))


def _rule(request, team, project, rule_id):
    found = _project(request, team, project)
    rule = alerts.rule_or_none(found, rule_id)
    if rule is None:
        raise Http404(f"{found} has no alert rule {rule_id}.")
    return rule


@router.patch(P + "/alert-rules/{rule_id}", response=dict, summary="Change an alert rule (run:edit_workspace)")
def rule_update(request, team: str, project: str, rule_id: int, payload: RuleIn):
    rule = services.alert_rule_update(actor=request.auth, rule=_rule(request, team, project, rule_id), **payload.dict(exclude_unset=True))
    return alerts.rule_out(rule)


@router.delete(P + "/alert-rules/{rule_id}", response={204: None}, summary="Delete an alert rule (run:edit_workspace)")
def rule_delete(request, team: str, project: str, rule_id: int):
    services.alert_rule_delete(actor=request.auth, rule=_rule(request, team, project, rule_id))
    return Status(204, None)


@router.put(P + "/watch", response=dict, summary="Watch the project: its alerts and run mails reach you")
def watch_put(request, team: str, project: str):
    return {"watching": services.watch_set(actor=request.auth, project=_project(request, team, project), on=True)}


@router.delete(P + "/watch", response=dict, summary="Stop watching the project")
def watch_delete(request, team: str, project: str):
    return {"watching": services.watch_set(actor=request.auth, project=_project(request, team, project), on=False)}


@router.get("/teams/{team}/alerts", auth=optional_auth, summary="The team's alerts, newest first (team:view)")
def team_alert_list(request, team: str, level: str = "", project: str = ""):
    found = team_or_404(team)
    policy.require(request.auth, "team:view", found)
    return paginate(request, alerts.team_alerts(request.auth, found, level=level or None, project=project or None),
                    lambda alert: alerts.alert_out(alert, with_run=True))
