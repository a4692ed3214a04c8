"""A team's webhooks (spec/api.md): T/webhooks, T/webhooks/{id}, their deliveries; team:manage."""

from __future__ import annotations

from django.http import Http404
from ninja import Router, Schema, Status
from pydantic import Field

from core.pagination import paginate

from . import policy, services
from .models import Webhook
from .selectors import team_or_404

router = Router(tags=["webhooks"])
T = "/teams/{team}/webhooks"


class WebhookIn(Schema):
    url: str = Field(max_length=2000)
    events: list[str]
    secret: str = Field(default="", max_length=1000)


class WebhookPatch(Schema):
    url: str | None = Field(default=None, max_length=2000)
    events: list[str] | None = None
    secret: str | None = Field(default=None, max_length=1000)
    enabled: bool | None = None


def webhook_out(hook):
    return {"id": hook.pk, "url": hook.url, "events": hook.events, "enabled": hook.enabled, "signed": bool(hook.secret),
            "created_at": hook.created_at.isoformat()}


def delivery_out(delivery):
    return {"id": delivery.pk, "event": delivery.event, "created_at": delivery.created_at.isoformat(), "attempts": delivery.attempts,
            "status_code": delivery.status_code, "delivered": delivery.delivered, "state": delivery.state, "error": delivery.error,
            "next_attempt_at": delivery.next_attempt_at.isoformat() if delivery.next_attempt_at else None, "log": delivery.log}


def _team(request, team):
    found = team_or_404(team)
    policy.require(request.auth, "team:manage", found)
    return found


def _hook(request, team, webhook_id):
    found = team_or_404(team)
    if not policy.can_see(request.auth, found):
        raise Http404
    hook = Webhook.objects.filter(team=found, pk=webhook_id).select_related("team").first()
    if hook is None:
        raise Http404(f"{found.name} has no webhook {webhook_id}.")
    return hook


@router.get(T, summary="The team's webhooks (team:manage)")
def webhook_list(request, team: str):
    return paginate(request, Webhook.objects.filter(team=_team(request, team)), webhook_out)


@router.post(T, response={201: dict}, summary="Add a webhook (team:manage); the secret is write-only")
def webhook_create(request, team: str, payload: WebhookIn):
    hook = services.webhook_create(actor=request.auth, team=team_or_404(team), url=payload.url, events=payload.events, secret=payload.secret)
    return Status(201, webhook_out(hook))


@router.patch(T + "/{webhook_id}", response=dict, summary="Change a webhook (team:manage)")
def webhook_update(request, team: str, webhook_id: int, payload: WebhookPatch):
    hook = services.webhook_update(actor=request.auth, webhook=_hook(request, team, webhook_id), **payload.dict(exclude_unset=True))
    return webhook_out(hook)


@router.delete(T + "/{webhook_id}", response={204: None}, summary="Delete a webhook (team:manage)")
def webhook_delete(request, team: str, webhook_id: int):
    services.webhook_delete(actor=request.auth, webhook=_hook(request, team, webhook_id))
    return Status(204, None)


@router.get(T + "/{webhook_id}/deliveries", summary="Every delivery of the webhook, newest first (team:manage)")
def delivery_list(request, team: str, webhook_id: int):
    hook = _hook(request, team, webhook_id)
    policy.require(request.auth, "team:manage", hook.team)
    return paginate(request, hook.deliveries.all(), delivery_out)


@router.post(T + "/{webhook_id}/test", response={202: dict}, summary="Send a test event (team:manage)")
def webhook_test(request, team: str, webhook_id: int):
    delivery = services.webhook_test(actor=request.auth, webhook=_hook(request, team, webhook_id))
    return Status(202, delivery_out(delivery))
