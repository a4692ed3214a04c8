"""Webhooks: signed JSON to a real local receiver, retried when it fails, no SSRF, Slack-readable."""

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from experiments import services as experiments
from teams import policy, services, webhooks
from teams.models import AuditEvent, WebhookDelivery

from .world import build

pytestmark = pytest.mark.django_db(transaction=True)


class Receiver:
    """A local HTTP server that records each POST; `fail` answers 500 to that many requests first."""

    def __init__(self, fail=0):
        self.requests, self.fail = [], fail
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append((dict(self.headers), body))
                status = 500 if outer.fail > 0 else 204
                outer.fail -= 1
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"

    def close(self):
        self.server.shutdown()


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    made = []

    def make(fail=0):
        made.append(Receiver(fail))
        return made[-1]

    yield make
    for one in made:
        one.close()


@pytest.fixture
def w(db):
    return build("wh")


def test_an_alert_reaches_the_receiver_signed(w, receiver):
    got = receiver()
    services.webhook_create(actor=w.people["admin"], team=w.team, url=got.url, events=["alert"], secret="s3cret")
    experiments.alert_create(actor=w.people["member"], run=w.run, title="Loss exploded", text="nan", level="error")
    assert len(got.requests) == 1
    headers, body = got.requests[0]
    expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["X-Teamsite-Signature"] == expected and headers["X-Teamsite-Event"] == "alert"
    data = json.loads(body)
    assert data["event"] == "alert" and data["team"] == "wh" and data["project"] == "vision"
    assert data["run"]["id"] == "r1" and data["alert"]["title"] == "Loss exploded" and data["url"].endswith("/wh/vision/runs/r1/")
    delivery = WebhookDelivery.objects.get()
    assert delivery.delivered and delivery.status_code == 204 and delivery.attempts == 1


def test_a_failing_receiver_gets_the_retry_with_backoff(w, receiver, settings):
    got = receiver(fail=2)
    hook = services.webhook_create(actor=w.people["admin"], team=w.team, url=got.url, events=["run.finished"])
    experiments.run_update(actor=w.people["member"], run=w.run, state="finished")
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == "pending" and delivery.attempts == 1 and delivery.status_code == 500
    first_wait = delivery.next_attempt_at - timezone.now()
    assert timedelta(seconds=settings.WEBHOOK_RETRY_BASE_SECONDS - 2) < first_wait <= timedelta(seconds=settings.WEBHOOK_RETRY_BASE_SECONDS)
    assert webhooks.sweep() == 0  # not due yet
    for _ in range(2):
        WebhookDelivery.objects.update(next_attempt_at=timezone.now())
        webhooks.sweep()
    delivery.refresh_from_db()
    assert delivery.delivered and delivery.attempts == 3 and [a["status_code"] for a in delivery.log] == [500, 500, 204]
    assert len(got.requests) == 3 and len({body for _, body in got.requests}) == 1  # the same body each time
    assert json.loads(got.requests[0][1])["run"]["state"] == "finished"
    # the backoff: at least 5 attempts over at least 30 minutes
    waits = [webhooks.backoff(n).total_seconds() for n in range(1, settings.WEBHOOK_MAX_ATTEMPTS)]
    assert settings.WEBHOOK_MAX_ATTEMPTS >= 5 and sum(waits) >= 30 * 60
    listed = hook.deliveries.all()
    assert listed.count() == 1


def test_it_gives_up_after_the_last_attempt(w, receiver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    got = receiver(fail=10)
    hook = services.webhook_create(actor=w.people["admin"], team=w.team, url=got.url, events=["alert"])
    services.webhook_test(actor=w.people["admin"], webhook=hook)
    WebhookDelivery.objects.update(next_attempt_at=timezone.now())
    webhooks.sweep()
    assert WebhookDelivery.objects.get().state == "failed" and len(got.requests) == 2


def test_private_and_loopback_addresses_are_refused(w, settings):
    for url in ("http://127.0.0.1:8000/x", "http://localhost/x", "http://10.1.2.3/x", "http://169.254.169.254/latest", "http://[::1]/x", "ftp://example.com/"):
        with pytest.raises(ValidationError):
            services.webhook_create(actor=w.people["admin"], team=w.team, url=url, events=["alert"])
    assert not w.team.webhooks.exists()


def test_a_delivery_rechecks_the_address(w, receiver, settings):
    got = receiver()
    hook = services.webhook_create(actor=w.people["admin"], team=w.team, url=got.url, events=["alert"])
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False  # e.g. the DNS name now points inside
    services.webhook_test(actor=w.people["admin"], webhook=hook)
    delivery = WebhookDelivery.objects.get()
    assert got.requests == [] and "private" in delivery.error


def test_slack_urls_get_a_readable_message():
    from teams.models import Webhook

    hook = Webhook(url="https://hooks.slack.com/services/T/B/x")
    body = json.loads(webhooks.body_for(hook, {"event": "alert", "team": "lab", "project": "vision", "run": {"id": "r1", "name": "big"},
                                                "alert": {"title": "Loss exploded", "level": "error", "text": "nan"}, "url": "http://x/r1/"}))
    assert set(body) == {"text"} and "Loss exploded" in body["text"] and "lab/vision" in body["text"] and "<http://x/r1/|open>" in body["text"]


def test_only_team_managers_and_the_audit_log(w, receiver):
    got = receiver()
    with pytest.raises(policy.Denied):
        services.webhook_create(actor=w.people["member"], team=w.team, url=got.url, events=["alert"])
    hook = services.webhook_create(actor=w.people["admin"], team=w.team, url=got.url, events=["alert"], secret="x")
    services.webhook_update(actor=w.people["admin"], webhook=hook, events=["alert", "run.crashed"])
    services.webhook_delete(actor=w.people["admin"], webhook=hook)
    events = AuditEvent.objects.filter(action="webhook.changed")
    assert events.count() == 3 and all("secret" not in json.dumps(e.detail) or "signed" in json.dumps(e.detail) for e in events)
    assert "x" not in [e.detail.get("after", {}).get("secret") for e in events if e.detail.get("after")]


def test_the_api(w, receiver, client):
    from tests import factories

    got = receiver()
    admin = factories.ApiClient(client).as_user(w.people["admin"])
    created = admin.post("/api/v1/teams/wh/webhooks", {"url": got.url, "events": ["alert"], "secret": "abc"})
    assert created.status_code == 201 and "secret" not in created.json()
    hook_id = created.json()["id"]
    assert admin.post(f"/api/v1/teams/wh/webhooks/{hook_id}/test").status_code == 202
    deliveries = admin.get(f"/api/v1/teams/wh/webhooks/{hook_id}/deliveries").json()["results"]
    assert deliveries[0]["delivered"] is True and deliveries[0]["status_code"] == 204 and deliveries[0]["attempts"] == 1
    member = factories.ApiClient(client).as_user(w.people["member"])
    assert member.get("/api/v1/teams/wh/webhooks").status_code == 403
    assert admin.patch(f"/api/v1/teams/wh/webhooks/{hook_id}", {"enabled": False}).json()["enabled"] is False
    assert admin.delete(f"/api/v1/teams/wh/webhooks/{hook_id}").status_code == 204


def test_the_page(w, receiver, client):
    got = receiver()
    client.force_login(w.people["admin"])
    page = client.get("/wh/settings/webhooks/")
    assert page.status_code == 200 and b"No webhooks yet" in page.content
    response = client.post("/wh/settings/webhooks/", {"url": got.url, "events": ["alert", "run.crashed"], "secret": ""})
    assert response.status_code == 302
    hook = w.team.webhooks.get()
    client.post(f"/wh/settings/webhooks/{hook.pk}/test/")
    page = client.get("/wh/settings/webhooks/")
    assert b"Delivered" in page.content and b"204" in page.content
    refused = client.post("/wh/settings/webhooks/", {"url": "http://example.invalid/x", "events": ["alert"]})
    assert refused.status_code == 400
    client.force_login(w.people["member"])
    assert client.get("/wh/settings/webhooks/").status_code == 403
