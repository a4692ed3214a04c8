"""Artifacts in the browser: a script logs a version through the client, a member opens it,
sets an alias in place, links it to the registry and looks at the lineage; a viewer sees no
download button and gets 403 from the file's URL."""

import pytest
from playwright.sync_api import expect

import teamsite_client as ts
from registry import services as registry
from teams import services as team_services
from teams.policy import SYSTEM
from tests import factories
from tests.browser.test_client_stop import assert_no_js_errors, open_page, sign_in
from tests.client.conftest import ENV

pytestmark = pytest.mark.django_db(transaction=True)


def test_log_open_alias_link_lineage_and_the_viewer(page, live_server, monkeypatch, tmp_path):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TEAMSITE_CACHE_DIR", str(tmp_path / "cache"))
    alice = factories.user(username="alice")
    org = team_services.organization_create(actor=SYSTEM, slug="acme", name="Acme", admin=alice)
    team = team_services.team_create(organization=org, slug="vision", name="Vision", actor=SYSTEM, admin=alice)
    vera = factories.user(username="vera")
    team_services.org_member_set(actor=SYSTEM, organization=org, user=vera, role="member")
    team_services.member_add(actor=SYSTEM, team=team, user=vera, role="viewer")
    registry.model_create(actor=alice, team=team, name="classifier")

    weights = tmp_path / "weights.bin"
    weights.write_bytes(b"w" * 5000)
    run = ts.init(project="mnist", team="vision", base_url=live_server.url, api_key=factories.api_key(alice), name="trainer",
                  capture_console=False, system_metrics_interval=None)
    art = ts.Artifact("cnn", type="model", description="the first try")
    art.add_file(weights)
    assert run.log_artifact(art, progress=False)["version"] == "v0"
    run.finish()

    sign_in(page, "alice", factories.PASSWORD)
    open_page(page, "/vision/mnist/artifacts/")
    page.get_by_role("link", name="cnn").click()
    page.fill("#alias-v0", "best")
    page.locator("#version-v0").get_by_role("button", name="Set").click()
    expect(page.locator("#versions-panel .badge", has_text="best")).to_be_visible()
    page.get_by_role("link", name="v0").first.click()
    expect(page.get_by_role("heading", name="cnn:v0")).to_be_visible()
    expect(page.get_by_role("link", name="Download")).to_be_visible()
    page.get_by_role("button", name="Link to registry").click()
    expect(page.get_by_role("link", name="mnist/cnn:v0")).to_be_visible()
    page.get_by_role("link", name="mnist/cnn:v0").click()
    page.get_by_role("link", name="Lineage").click()
    expect(page.locator("svg.lineage .lineage-run")).to_have_count(1)
    expect(page.locator("svg.lineage .lineage-current")).to_have_count(1)
    assert_no_js_errors(page)

    page.context.clear_cookies()
    sign_in(page, "vera", factories.PASSWORD)
    open_page(page, "/vision/mnist/artifacts/cnn/v0/")
    expect(page.get_by_role("heading", name="cnn:v0")).to_be_visible()
    expect(page.get_by_role("link", name="Download")).to_have_count(0)
    assert page.request.get(f"{live_server.url}/vision/mnist/artifacts/cnn/v0/files/weights.bin").status == 403
