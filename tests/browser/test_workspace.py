"""The workspace in a real browser (issue 13): exact tick labels, one request per panel,
smoothing with the raw line kept, hover of every run, zoom, the eye toggle in the URL,
grouping, panels over run values, saved views, and the page at phone width.

Screenshots go to tests/browser/screenshots/ (not committed) to look at while building.
"""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from experiments import services
from experiments.models import Workspace
from tests import factories
from tests.browser.conftest import sign_in
from tests.browser.test_experiments import add_member, assert_no_js_errors
from teams import services as team_services
from teams.policy import SYSTEM

pytestmark = pytest.mark.django_db(transaction=True)

WS = "/vision/mnist/"
SHOTS = Path(__file__).parent / "screenshots"


def setup_world(runs=4):
    alice = factories.user(username="alice")
    org = team_services.organization_create(actor=SYSTEM, slug="acme", name="Acme", admin=alice)
    team = team_services.team_create(organization=org, slug="vision", name="Vision", actor=SYSTEM, admin=alice)
    bob = add_member(team, "bob")
    add_member(team, "vera", role="viewer")
    project = services.project_create(team=team, name="mnist", actor=alice)
    made = []
    for n in range(runs):
        run = services.run_create(project=project, actor=bob, run_id=f"r{n}", name=f"run-{n}", config={"lr": 0.001 * (n + 1), "arch": "cnn" if n % 2 else "mlp"}, group="sweep-a" if n < 2 else "sweep-b")
        rows = [{"step": s, "ts": 1_700_000_000 + s * 5, "values": {"loss": (n + 1) / (s + 1) + 0.05 * ((s * 7) % 3), "lr": 1e-4 + 9e-4 * s / 49}} for s in range(50)]
        services.history_append(actor=SYSTEM, run=run, rows=rows)
        services.run_update(actor=SYSTEM, run=run, summary={"acc": 0.5 + 0.1 * n, "best_loss": 0.01 * (n + 1)}, state="finished")
        made.append(run)
    return project, made


def shot(page, name):
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def drawn(page):
    return page.locator('.chart[data-chart][data-drawn="true"]')


def panel(page, title):
    return page.locator("article.panel", has=page.get_by_role("heading", name=title, exact=True))


def ticks(page, title):
    """The y axis tick labels uPlot drew on one panel's canvas."""
    return page.evaluate(
        """(title) => {
          const c = window.tsCharts.instances().find(c => c.el.closest('article').querySelector('h3').textContent.trim() === title);
          return c ? c.chart.axes[1]._values : null;
        }""",
        title,
    )


def test_small_values_keep_their_digits_and_one_request_per_panel(page):
    setup_world()
    sign_in(page, "bob", factories.PASSWORD)
    bulk = []
    page.on("request", lambda r: bulk.append(r.url) if "/history?" in r.url or "/runs/" in r.url and "/history" in r.url else None)
    page.goto(WS)
    expect(drawn(page)).to_have_count(2)  # loss and lr, automatic
    labels = ticks(page, "lr")
    assert labels and "0" not in labels, labels
    assert any(re.fullmatch(r"\d(\.\d+)?e-4", label) for label in labels), labels
    assert len(bulk) == 2 and all("/projects/mnist/history?" in url for url in bulk), bulk
    assert "runs=r3%2Cr2%2Cr1%2Cr0" in bulk[0] or "runs=r3,r2,r1,r0" in bulk[0]

    # hover: every run's value at that x, formatted
    box = panel(page, "lr").locator(".u-over")
    box.hover(position={"x": 200, "y": 50})
    hover = panel(page, "lr").locator(".chart-hover")
    expect(hover).to_be_visible()
    for n in range(4):
        expect(hover).to_contain_text(f"run-{n}: ")
    expect(hover).to_contain_text(re.compile(r"e-4"))
    shot(page, "workspace-desktop")
    assert_no_js_errors(page)


def test_panel_controls_smoothing_log_x_axis_zoom_and_save(page):
    project, _ = setup_world()
    sign_in(page, "bob", factories.PASSWORD)
    page.goto(WS)
    expect(drawn(page)).to_have_count(2)
    loss = panel(page, "loss")
    loss.locator("[data-control=smoothing]").fill("0.6")
    expect(loss.locator(".chart-legend")).to_contain_text("run-0")
    series = page.evaluate("() => window.tsCharts.instances().find(c => c.el.closest('article').querySelector('h3').textContent.trim() === 'loss').chart.series.map(s => s.label)")
    assert "run-0 (raw)" in series, series  # the raw line stays, faint
    loss.locator("[data-control=log_y]").check()
    loss.locator("[data-control=x]").select_option("relative")
    expect(loss.locator("canvas")).to_have_count(1)
    page.wait_for_timeout(800)  # htmx saves the change after a short delay
    mine = Workspace.objects.get(project=project, owner__username="bob")
    saved = [p for p in mine.panels if p["keys"] == ["loss"]][0]
    assert saved["smoothing"] == 0.6 and saved["log_y"] is True and saved["x"] == "relative"

    # drag to zoom, double-click resets
    over = loss.locator(".u-over")
    area = over.bounding_box()
    page.mouse.move(area["x"] + 40, area["y"] + 60)
    page.mouse.down()
    page.mouse.move(area["x"] + 160, area["y"] + 60, steps=5)
    page.mouse.up()
    get_x = "() => { const c = window.tsCharts.instances().find(c => c.el.closest('article').querySelector('h3').textContent.trim() === 'loss').chart; return [c.scales.x.min, c.scales.x.max]; }"
    zoomed = page.evaluate(get_x)
    over.dblclick()
    reset = page.evaluate(get_x)
    assert zoomed[1] - zoomed[0] < reset[1] - reset[0], (zoomed, reset)
    assert_no_js_errors(page)


def test_eye_toggle_is_kept_in_the_url_and_grouping_draws_bands(page):
    setup_world()
    sign_in(page, "bob", factories.PASSWORD)
    page.goto(WS)
    expect(drawn(page)).to_have_count(2)
    page.get_by_label("Show run-1 in charts").click()
    expect(page).to_have_url(re.compile(r"hide=r1"))
    expect(panel(page, "loss").locator(".chart-legend")).not_to_contain_text("run-1")
    page.reload()
    expect(drawn(page)).to_have_count(2)
    expect(panel(page, "loss").locator(".chart-legend")).not_to_contain_text("run-1")
    expect(page.get_by_label("Show run-1 in charts")).to_have_attribute("aria-pressed", "false")

    loss = panel(page, "loss")
    loss.locator("[data-control=group_by]").select_option("group")
    expect(loss.locator(".chart-legend")).to_contain_text("sweep-a (1 run)")  # run-1 is hidden
    expect(loss.locator(".chart-legend")).to_contain_text("sweep-b (2 runs)")
    bands = page.evaluate("() => window.tsCharts.instances().find(c => c.el.closest('article').querySelector('h3').textContent.trim() === 'loss').chart.bands.length")
    assert bands == 2
    assert_no_js_errors(page)


def test_run_value_panels_and_a_note(page):
    project, _ = setup_world()
    bob = project.team.memberships.get(user__username="bob").user
    services.panel_edit(actor=bob, project=project, action="add", panel={"type": "scatter", "keys": ["config.lr", "summary.acc"]})
    services.panel_edit(actor=bob, project=project, action="add", panel={"type": "bar", "keys": ["summary.acc"]})
    services.panel_edit(actor=bob, project=project, action="add", panel={"type": "parallel", "keys": ["config.lr", "config.arch", "summary.acc"]})
    services.panel_edit(actor=bob, project=project, action="add", panel={"type": "markdown", "title": "Read me", "text": "Try **lr=3e-4** next."})
    sign_in(page, "bob", factories.PASSWORD)
    page.goto(WS)
    expect(page.locator(".chart-svg")).to_have_count(3)
    expect(page.locator(".panel-scatter circle")).to_have_count(4)
    expect(page.locator(".panel-bar rect")).to_have_count(4)
    expect(page.locator(".panel-parallel polyline")).to_have_count(4)
    expect(page.locator(".panel-markdown strong")).to_have_text("lr=3e-4")
    expect(page.locator(".panel-scatter circle title").first).to_contain_text("config.lr")
    shot(page, "workspace-panels-desktop")
    assert_no_js_errors(page)


def test_saved_view_opened_by_url_and_reset(page):
    project, _ = setup_world()
    sign_in(page, "bob", factories.PASSWORD)
    page.goto(WS)
    expect(drawn(page)).to_have_count(2)
    page.get_by_role("button", name="Remove chart 2").click()
    page.wait_for_url(f"**{WS}#panels")
    expect(drawn(page)).to_have_count(1)
    page.locator("details.save-view summary").click()
    page.get_by_label("View name").fill("Only loss")
    page.get_by_role("button", name="Save view").click()
    view = Workspace.objects.get(name="Only loss")
    page.wait_for_url(f"**{WS}views/{view.pk}/")
    expect(page.get_by_role("link", name="Only loss")).to_have_attribute("aria-current", "page")

    # vera (viewer) opens it by its address, still sees the automatic charts in her own workspace
    page.context.clear_cookies()
    sign_in(page, "vera", factories.PASSWORD)
    page.goto(f"{WS}views/{view.pk}/")
    expect(drawn(page)).to_have_count(1)
    expect(page.get_by_role("button", name="Remove chart 1")).to_have_count(0)
    page.goto(WS)
    expect(drawn(page)).to_have_count(2)

    page.context.clear_cookies()
    sign_in(page, "bob", factories.PASSWORD)
    page.goto(WS)
    expect(drawn(page)).to_have_count(1)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Reset to automatic").click()
    expect(page.locator(".messages")).to_contain_text("automatic charts again")
    expect(drawn(page)).to_have_count(2)
    assert_no_js_errors(page)


@pytest.mark.parametrize("path", [WS, WS + "runs/r0/", WS + "compare/?runs=r0,r1", "/vision/settings/members/", "/vision/projects/", "/"])
def test_pages_fit_a_phone(page, path):
    setup_world()
    sign_in(page, "alice", factories.PASSWORD)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(path)
    page.wait_for_load_state("networkidle")
    overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 390px"
    if path == WS:
        expect(drawn(page)).to_have_count(2)
        shot(page, "workspace-phone")
    assert_no_js_errors(page)
