"""The Python client end to end against the live server (issue 4): a script
logs, a team member presses "Stop run" in the browser, the script's next
heartbeat learns of it, the client ends the run as `stopped` on its own, calls
`on_stop`, and the training loop's next `run.log` raises RunStopped.

The test database is SQLite in memory with a shared cache: a write that meets
another live-server thread's statement fails at once ("table is locked", a 500)
instead of waiting as the file database in production does. The client retries
such answers by itself; the browser steps below retry them too.
"""

import time
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

import teamsite_client as ts
from experiments.models import Run
from teams import services as team_services
from tests import factories
from tests.client.conftest import ENV, settle, wait_for
from teams.policy import SYSTEM

pytestmark = pytest.mark.django_db(transaction=True)

TRIES = 30


def assert_no_js_errors(page):
    # A refused or failed request shows up as "Failed to load resource"; it is not a script error.
    errors = [e for e in page.js_errors if "Failed to load resource" not in e]
    assert errors == [], f"JavaScript errors in the browser console: {errors}"


def open_page(page, path):
    """page.goto, again while the server answers 500 (a lock clash)."""
    for _ in range(TRIES):
        response = page.goto(path)
        if response.status != 500:
            return response
        time.sleep(0.1)
    raise AssertionError(f"{path} kept answering 500")


def sign_in(page, username, password):
    """tests/browser/conftest.sign_in, again while the login POST answers 500."""
    for _ in range(TRIES):
        open_page(page, "/accounts/login/")
        page.fill("input[name=login]", username)
        page.fill("input[name=password]", password)
        with page.expect_response(lambda r: r.request.method == "POST" and "/accounts/login/" in r.url) as answer:
            page.click("form.form button[type=submit]")
        if answer.value.status != 500:
            page.wait_for_url(lambda url: "/accounts/login/" not in url)
            return
        time.sleep(0.1)
    raise AssertionError("signing in kept answering 500")


def test_stop_from_the_browser_ends_the_client_run_as_stopped(page, live_server, monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    alice = factories.user(username="alice")
    org = team_services.organization_create(actor=SYSTEM, slug="acme", name="Acme", admin=alice)
    team = team_services.team_create(organization=org, slug="vision", name="Vision", actor=SYSTEM, admin=alice)
    bob = factories.user(username="bob")
    team_services.org_member_set(actor=SYSTEM, organization=org, user=bob, role="member")
    team_services.member_add(actor=SYSTEM, team=team, user=bob, role="member")
    key = factories.api_key(bob)

    called = []
    run = ts.init(
        project="mnist",  # created by the server on the first run
        team="vision",
        base_url=live_server.url,
        api_key=key,
        name="stoppable",
        heartbeat_interval=0.3,
        system_metrics_interval=60,
        capture_console=False,
        capture=False,  # this test is about Stop; capture has its own tests
        on_stop=called.append,
    )
    try:
        for step in range(5):
            run.log({"loss": 1.0 / (step + 1)})
        assert not run.stopped and run.state == "running"

        sign_in(page, "bob", factories.PASSWORD)
        run_page = urlsplit(run.url).path
        assert run_page == f"/vision/mnist/runs/{run.run_id}/"
        open_page(page, run_page)
        expect(page.locator("#run-state")).to_contain_text("Running")
        asked = []
        page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
        status = None
        for _ in range(TRIES):
            with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/stop/")) as answer:
                page.get_by_role("button", name="Stop run").click()
            status = answer.value.status
            if status != 500:
                break
            time.sleep(0.1)
            open_page(page, run_page)
        assert status == 302, f"the stop POST answered {status}"
        page.wait_for_load_state()
        if page.locator(".messages").count() == 0:  # the page after the redirect met a lock clash
            open_page(page, run_page)
        expect(page.locator(".messages")).to_contain_text("Stop requested")
        assert asked and asked[0].startswith("Stop stoppable?")
        assert settle(lambda: Run.objects.get(run_id=run.run_id).stop_requested) is True

        # The training loop goes on until the client hears of the stop.
        step = 5
        deadline = time.monotonic() + 15
        with pytest.raises(ts.RunStopped, match="stopped from the web page"):
            while time.monotonic() < deadline:
                run.log({"loss": 1.0 / (step + 1)})
                step += 1
                time.sleep(0.1)
        assert run.stopped

        # on_stop runs in the background thread once the end state was sent.
        assert wait_for(lambda: called, timeout=15), "on_stop was not called within 15 s"
        assert called == [run]
        assert run.state == "stopped"
        with pytest.raises(ts.RunStopped):
            run.log({"loss": 0.0})

        server = settle(lambda: Run.objects.get(run_id=run.run_id))
        assert server.state == "stopped" and server.stop_requested is True
        assert server.summary["loss"] == pytest.approx(1.0 / step)  # the last point logged before the stop was sent
        open_page(page, run_page)
        badge = page.locator("#run-state")
        expect(badge).to_have_text("Stopped")
        expect(badge).to_have_class("badge state-stopped")
        expect(page.get_by_role("button", name="Stop run")).to_have_count(0)
        assert run.warnings == [], run.warnings
        assert_no_js_errors(page)
    finally:
        run.finish(timeout=2)  # no background thread may outlive the test
        assert not run._thread.is_alive()
