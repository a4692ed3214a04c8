"""Webhooks of a team (team:manage): create, change, delete, send a test; the team's run mails."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from .. import audit, policy, webhooks
from ..models import WEBHOOK_EVENTS, Team, Webhook, WebhookDelivery

MAX_WEBHOOKS = 20


def _clean(url, events, secret):
    errors = {}
    if url is not None:
        try:
            webhooks.check_url((url or "").strip())
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if events is not None:
        if not isinstance(events, list) or not events or any(event not in WEBHOOK_EVENTS for event in events):
            errors["events"] = [f"Choose at least one event of {', '.join(WEBHOOK_EVENTS)}."]
    if secret is not None and len(secret) > 200:
        errors["secret"] = ["Secrets are at most 200 characters."]
    if errors:
        raise ValidationError(errors)


def _shown(hook):
    return {"url": hook.url, "events": hook.events, "enabled": hook.enabled, "signed": bool(hook.secret)}


@transaction.atomic
def webhook_create(*, actor, team: Team, url: str, events: list, secret: str = "") -> Webhook:
    policy.require(actor, "team:manage", team)
    _clean(url, events, secret or "")
    if Webhook.objects.filter(team=team).count() >= MAX_WEBHOOKS:
        raise ValidationError({"url": [f"A team has at most {MAX_WEBHOOKS} webhooks."]})
    hook = Webhook.objects.create(
        team=team, url=url.strip(), events=[e for e in WEBHOOK_EVENTS if e in events], secret=secret or "", created_by=actor if actor.pk else None
    )
    audit.record(team=team, actor=actor, action="webhook.changed", target=hook.url, after=_shown(hook))
    return hook


@transaction.atomic
def webhook_update(*, actor, webhook: Webhook, url=None, events=None, secret=None, enabled=None) -> Webhook:
    policy.require(actor, "team:manage", webhook.team)
    _clean(url, events, secret)
    before = _shown(webhook)
    if url is not None:
        webhook.url = url.strip()
    if events is not None:
        webhook.events = [e for e in WEBHOOK_EVENTS if e in events]
    if secret is not None:
        webhook.secret = secret
    if enabled is not None:
        webhook.enabled = bool(enabled)
    webhook.save()
    audit.record(team=webhook.team, actor=actor, action="webhook.changed", target=webhook.url, before=before, after=_shown(webhook))
    return webhook


@transaction.atomic
def webhook_delete(*, actor, webhook: Webhook) -> None:
    policy.require(actor, "team:manage", webhook.team)
    audit.record(team=webhook.team, actor=actor, action="webhook.changed", target=webhook.url, before=_shown(webhook), after=None, deleted=True)
    webhook.delete()


@transaction.atomic
def webhook_test(*, actor, webhook: Webhook) -> WebhookDelivery:
    """"Send test": one `test` event to this webhook now (retried like any other)."""
    policy.require(actor, "team:manage", webhook.team)
    team = webhook.team
    payload = {"event": "test", "team": team.slug, "text": f"A test from {team.name}: this webhook works.", "url": ""}
    return webhooks.queue(webhook, "test", payload)


@transaction.atomic
def team_run_mails_set(*, actor, team: Team, finished: bool, crashed: bool) -> Team:
    """Which run endings the team's people are emailed about (the run's creator and the project's watchers)."""
    policy.require(actor, "team:manage", team)
    before = {"mail_run_finished": team.mail_run_finished, "mail_run_crashed": team.mail_run_crashed}
    team.mail_run_finished, team.mail_run_crashed = bool(finished), bool(crashed)
    team.save(update_fields=["mail_run_finished", "mail_run_crashed"])
    audit.record(team=team, actor=actor, action="team.settings_changed", target=team.slug, before=before,
                 after={"mail_run_finished": team.mail_run_finished, "mail_run_crashed": team.mail_run_crashed})
    return team
