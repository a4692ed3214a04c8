"""The pages of issue 12 in a real browser: notification choices, alert rules, webhooks with "Send test",
and an export from start to download. Each also checks that the browser logged no JavaScript error."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from accounts.notifications import settings_of
from experiments.models import AlertRule
from teams.models import WebhookDelivery
from tests import factories
from tests.background.world import build
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def w(db):
    return build("br")


def test_notification_choices_save_in_place(page, w):
    sign_in(page, "br-member", factories.PASSWORD)
    page.goto("/settings/")
    page.get_by_role("link", name="Notifications").click()
    box = page.get_by_label("Alerts on runs I created or projects I watch")
    expect(box).to_be_checked()
    box.uncheck()
    page.get_by_role("button", name="Save choices").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    assert settings_of(w.people["member"]).alerts is False and settings_of(w.people["member"]).comments is True
    assert page.js_errors == []


def test_alert_rules_page_adds_turns_off_and_watch(page, w):
    sign_in(page, "br-member", factories.PASSWORD)
    page.goto("/br/vision/")
    page.get_by_role("button", name="Watch").click()
    expect(page.get_by_role("button", name="Watching")).to_be_visible()
    page.get_by_role("link", name="Alerts", exact=True).click()
    expect(page.get_by_text("No alert rules yet.")).to_be_visible()
    page.get_by_label("Name", exact=True).fill("val loss high")
    page.get_by_label("Metric", exact=True).fill("val_loss")
    page.get_by_label("Threshold: fires when").select_option(">")
    page.get_by_label("Threshold value").fill("0.5")
    page.get_by_role("button", name="Add rule").click()
    expect(page.locator("#rules")).to_contain_text("val_loss > 0.5")
    page.get_by_role("button", name="Turn off val loss high").click()
    expect(page.get_by_role("button", name="Turn on val loss high")).to_be_visible()
    assert AlertRule.objects.get().enabled is False
    assert page.js_errors == []


def test_webhooks_page_sends_a_test_and_lists_the_delivery(page, w, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        sign_in(page, "br-admin", factories.PASSWORD)
        page.goto("/br/settings/webhooks/")
        expect(page.get_by_text("No webhooks yet.")).to_be_visible()
        page.get_by_label("Payload URL").fill(f"http://127.0.0.1:{server.server_port}/hook")
        page.get_by_label("alert", exact=True).check()
        page.get_by_role("button", name="Add webhook").click()
        page.get_by_role("button", name="Send test to").click()
        expect(page.locator("table.deliveries")).to_contain_text("Delivered")
        assert len(received) == 1 and WebhookDelivery.objects.get().status_code == 200
    finally:
        server.shutdown()
    assert page.js_errors == []


def test_export_page_builds_and_downloads(page, w):
    sign_in(page, "br-admin", factories.PASSWORD)
    page.goto("/br/settings/export/")
    expect(page.get_by_text("No exports yet.")).to_be_visible()
    page.get_by_role("button", name="Start an export").click()
    link = page.get_by_role("link", name="Download")
    expect(link).to_be_visible()
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.endswith(".zip")
    assert page.js_errors == []
