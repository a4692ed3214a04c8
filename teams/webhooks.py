"""Webhooks: events POSTed as signed JSON to the URLs a team subscribed (spec/api.md).

Apps above call `emit(team, event, payload)` inside their transaction: one delivery row
per subscribed webhook is written with it, and a task sends each after the commit.
A failed attempt is retried with backoff (WEBHOOK_RETRY_BASE_SECONDS, tripling) by the
schedule's sweep, every attempt logged with its status code. Bodies are signed with
the webhook's secret: `X-Teamsite-Signature: sha256=<hex HMAC-SHA256 of the body>`.
Slack incoming-webhook URLs get `{"text": ...}`, a readable message.

No SSRF: a URL whose host resolves to a loopback, private, link-local or otherwise
non-public address is refused (unless WEBHOOK_ALLOW_PRIVATE_ADDRESSES=1), and the
connection goes to the address that was checked, so DNS cannot change it in between.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import socket
import ssl
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core import schedule

from .models import WEBHOOK_EVENTS, Team, Webhook, WebhookDelivery

logger = logging.getLogger("teamsite.webhooks")
TIMEOUT = 10
STALE_CLAIM = timedelta(minutes=5)


# --- where a webhook may point ----------------------------------------------------------


def _addresses(host: str, port: int) -> list:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ValidationError({"url": [f"The host {host} does not resolve ({exc.strerror})."]}) from None
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


def check_url(url: str) -> tuple[str, int, str]:
    """(host, port, the address to connect to) for an allowed URL; ValidationError otherwise."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError({"url": ["A webhook URL starts with https:// (or http://) and names a host."]})
    if parts.username or parts.password:
        raise ValidationError({"url": ["Put no user name or password in the URL; use the secret to sign deliveries."]})
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = _addresses(parts.hostname, port)
    if not settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
        for address in addresses:
            mapped = getattr(address, "ipv4_mapped", None) or address
            if not mapped.is_global or mapped.is_multicast:
                raise ValidationError({"url": [f"{parts.hostname} resolves to {address}, a loopback or private address; webhooks go to public addresses only."]})
    return parts.hostname, port, str(addresses[0])


# --- the body ---------------------------------------------------------------------------


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def slack_text(payload: dict) -> str:
    event, where = payload.get("event"), "/".join(filter(None, [payload.get("team"), payload.get("project")]))
    run, alert, url = payload.get("run") or {}, payload.get("alert") or {}, payload.get("url") or ""
    link = f" <{url}|open>" if url else ""
    if event == "alert":
        return f":rotating_light: *{alert.get('level', 'info').upper()}* {alert.get('title', '')} on run {run.get('name') or run.get('id', '')} in {where}{link}\n{alert.get('text', '')}".strip()
    if event in ("run.finished", "run.crashed"):
        return f"Run {run.get('name') or run.get('id', '')} in {where} is {run.get('state', event.split('.')[1])}{link}"
    if event == "report.published":
        return f"New report in {where}: {(payload.get('report') or {}).get('title', '')}{link}"
    if event == "registry.alias_set":
        return f"Registry: {payload.get('alias', '')} now points at {payload.get('version', '')} in {where}{link}"
    return payload.get("text") or f"{event} in {where}{link}"


def body_for(webhook: Webhook, payload: dict) -> bytes:
    data = {"text": slack_text(payload)} if webhook.is_slack else payload
    return json.dumps(data, separators=(",", ":"), sort_keys=True, default=str).encode()


# --- emitting ---------------------------------------------------------------------------


def emit(team: Team, event: str, payload: dict) -> list[WebhookDelivery]:
    """Queue `event` for every enabled webhook of the team that subscribed to it; sent after the commit."""
    if event not in WEBHOOK_EVENTS and event != "test":
        raise ValueError(f"Unknown webhook event {event!r}")
    body = {"event": event, "team": team.slug, "sent_at": timezone.now().isoformat(), **payload}
    hooks = [hook for hook in Webhook.objects.filter(team=team, enabled=True) if event in hook.events]
    return [queue(hook, event, body) for hook in hooks]


def queue(webhook: Webhook, event: str, body: dict) -> WebhookDelivery:
    delivery = WebhookDelivery.objects.create(webhook=webhook, event=event, payload=body, next_attempt_at=timezone.now())
    transaction.on_commit(lambda: _enqueue(delivery.pk))
    return delivery


def _enqueue(delivery_id: int) -> None:
    from .tasks import deliver_webhook

    try:
        deliver_webhook.enqueue(delivery_id)
    except Exception:  # noqa: BLE001 - the sweep sends it
        logger.exception("Could not enqueue webhook delivery %s", delivery_id)


# --- delivering -------------------------------------------------------------------------


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host, port, address, **kw):
        super().__init__(host, port, **kw)
        self.address = address

    def connect(self):
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, port, address, **kw):
        super().__init__(host, port, context=ssl.create_default_context(), **kw)
        self.address = address

    def connect(self):
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(webhook: Webhook, delivery: WebhookDelivery) -> int:
    """One attempt: the response's status code (the body is not read past 64 KB)."""
    host, port, address = check_url(webhook.url)
    parts = urlsplit(webhook.url)
    body = body_for(webhook, delivery.payload)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "teamsite-webhooks/1",
        "X-Teamsite-Event": delivery.event,
        "X-Teamsite-Delivery": str(delivery.pk),
    }
    if webhook.secret:
        headers["X-Teamsite-Signature"] = sign(webhook.secret, body)
    connection_class = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(host, port, address, timeout=TIMEOUT)
    try:
        connection.request("POST", (parts.path or "/") + (f"?{parts.query}" if parts.query else ""), body=body, headers=headers)
        response = connection.getresponse()
        response.read(65536)
        return response.status
    finally:
        connection.close()


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=settings.WEBHOOK_RETRY_BASE_SECONDS * 3 ** max(attempts - 1, 0))


def deliver(delivery_id: int) -> str:
    """Make one attempt if the delivery is due and unclaimed: 'delivered', 'retry', 'failed' or 'skipped'."""
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(pk=delivery_id, state=WebhookDelivery.PENDING, next_attempt_at__lte=now).update(
        state=WebhookDelivery.SENDING, claimed_at=now
    )
    if not claimed:
        return "skipped"
    delivery = WebhookDelivery.objects.select_related("webhook").get(pk=delivery_id)
    status, error = None, ""
    try:
        status = post(delivery.webhook, delivery)
        if not 200 <= status < 300:
            error = f"HTTP {status}"
    except ValidationError as exc:
        error = "; ".join(exc.messages)[:500]
    except (OSError, http.client.HTTPException) as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    attempts = delivery.attempts + 1
    log = [*delivery.log, {"at": now.isoformat(), "status_code": status, "error": error}]
    if not error:
        state, next_at = WebhookDelivery.DELIVERED, None
    elif attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        state, next_at = WebhookDelivery.FAILED, None
    else:
        state, next_at = WebhookDelivery.PENDING, timezone.now() + backoff(attempts)
    WebhookDelivery.objects.filter(pk=delivery_id).update(
        state=state, attempts=attempts, status_code=status, error=error, log=log, next_attempt_at=next_at, claimed_at=None
    )
    return {WebhookDelivery.DELIVERED: "delivered", WebhookDelivery.FAILED: "failed"}.get(state, "retry")


@schedule.every(5, name="webhooks.sweep")
def sweep() -> int:
    """Retry what is due; free the claims of workers that died mid-attempt."""
    now = timezone.now()
    WebhookDelivery.objects.filter(state=WebhookDelivery.SENDING, claimed_at__lt=now - STALE_CLAIM).update(
        state=WebhookDelivery.PENDING, claimed_at=None
    )
    due = WebhookDelivery.objects.filter(state=WebhookDelivery.PENDING, next_attempt_at__lte=now).order_by("next_attempt_at")
    return sum(deliver(pk) == "delivered" for pk in list(due.values_list("pk", flat=True)[:200]))


@schedule.every(3600, name="webhooks.cleanup")
def cleanup() -> int:
    """Deliveries are kept 30 days."""
    return WebhookDelivery.objects.filter(created_at__lt=timezone.now() - timedelta(days=30)).exclude(state=WebhookDelivery.PENDING).delete()[0]
