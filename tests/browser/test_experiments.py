"""Experiment pages in a real browser: uPlot charts drawn from the history API,
ticking runs to chart them, comparing runs, adding and removing a chart, the
runs table filtered in place (htmx), the run page's tabs and its Stop button,
and what a view-only member sees.

Every test also checks that the browser logged no JavaScript error.
"""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from experiments import services
from experiments.models import Project, Run, Workspace
from teams import services as team_services
from tests import factories
from tests.browser.conftest import sign_in
from teams.policy import SYSTEM

pytestmark = pytest.mark.django_db(transaction=True)

WS = "/vision/mnist/"
NAMES = ("alpha-run", "beta-run", "gamma-run")


# --- Helpers -------------------------------------------------------------------------


def add_member(team, username, role="member"):
    person = factories.user(username=username)
    team_services.org_member_set(actor=SYSTEM, organization=team.organization, user=person, role="member")
    team_services.member_add(actor=SYSTEM, team=team, user=person, role=role)
    return person


def setup_world():
    """Team `vision`: alice (admin), bob (member), vera (viewer); project `mnist`
    with bob's three runs that logged loss and acc."""
    alice = factories.user(username="alice")
    org = team_services.organization_create(actor=SYSTEM, slug="acme", name="Acme", admin=alice)
    team = team_services.team_create(organization=org, slug="vision", name="Vision", actor=SYSTEM, admin=alice)
    bob = add_member(team, "bob")
    add_member(team, "vera", role="viewer")
    project = services.project_create(team=team, name="mnist", actor=alice)
    runs = {}
    for n, name in enumerate(NAMES):
        run = services.run_create(project=project, actor=bob, run_id=name.split("-")[0], name=name, config={"lr": 0.01 * (n + 1), "arch": "cnn"})
        services.history_append(actor=SYSTEM, 
            run=run, rows=[{"step": s, "values": {"loss": (n + 1) / (s + 1), "acc": s / (20 + n)}} for s in range(20)]
        )
        runs[name] = run
    return project, runs


def assert_no_js_errors(page):
    # A 4xx answer (an expected refusal) shows up as "Failed to load resource"; it is not a script error.
    errors = [e for e in page.js_errors if "Failed to load resource" not in e]
    assert errors == [], f"JavaScript errors in the browser console: {errors}"


def mark_document(page):
    page.evaluate("window.__sameDocument = true")


def assert_same_document(page):
    assert page.evaluate("window.__sameDocument === true"), "the page reloaded instead of swapping in place"


def charts(page):
    return page.locator(".chart[data-chart]")


def expect_drawn(page, count):
    drawn = page.locator('.chart[data-chart][data-drawn="true"]')
    expect(drawn).to_have_count(count)
    for n in range(count):
        expect(drawn.nth(n).locator("canvas")).to_have_count(1)


def legend(chart):
    return chart.locator(".chart-legend")


def runs_table_names(page):
    return page.locator(".runs-table tbody tr td:nth-child(3) a")


# --- 1. Charts, ticking runs, compare ----------------------------------------------------------


def test_workspace_charts_follow_the_ticked_runs_and_compare(page):
    setup_world()
    sign_in(page, "bob", factories.PASSWORD)
    page.goto(WS)
    expect(charts(page)).to_have_count(2)  # acc and loss, chosen automatically
    expect_drawn(page, 2)
    first = charts(page).first
    for name in NAMES:
        expect(legend(first)).to_contain_text(name)

    page.get_by_label("Select alpha-run").check()
    for n in range(2):
        chart = charts(page).nth(n)
        expect(legend(chart)).to_contain_text("alpha-run")
        expect(legend(chart)).not_to_contain_text("beta-run")
        expect(legend(chart)).not_to_contain_text("gamma-run")
        expect(chart.locator("canvas")).to_have_count(1)

    page.get_by_label("Select beta-run").check()
    expect(legend(first)).to_contain_text("beta-run")
    expect(legend(first)).not_to_contain_text("gamma-run")

    page.get_by_role("button", name="Compare selected").click()
    page.wait_for_url(re.compile(r"/vision/mnist/compare/\?runs=\w+&runs=\w+"))
    expect(page.get_by_role("heading", name="Compare 2 runs")).to_be_visible()
    runs_list = page.get_by_role("list", name="Runs compared")
    expect(runs_list).to_contain_text("alpha-run")
    expect(runs_list).to_contain_text("beta-run")
    expect(runs_list).not_to_contain_text("gamma-run")
    lr_row = page.locator("tr.differs", has=page.locator("th", has_text="lr"))
    expect(lr_row).to_have_count(1)
    expect(lr_row).to_contain_text("differs")
    expect(page.locator("tr", has=page.locator("th", has_text=re.compile(r"^arch$")))).not_to_contain_text("differs")
    expect_drawn(page, 2)  # the compare page overlays the same metrics
    expect(legend(charts(page).first)).to_contain_text("alpha-run")
    expect(legend(charts(page).first)).not_to_contain_text("gamma-run")
    assert_no_js_errors(page)


# --- 2. Add a chart, remove it ----------------------------------------------------------------------


def test_add_and_remove_a_chart(page):
    """A panel added goes to bob's own workspace, beside the automatic charts; nobody else's changes."""
    project, _ = setup_world()
    sign_in(page, "bob", factories.PASSWORD)
    page.goto(WS)
    expect_drawn(page, 2)

    page.locator("details.add-panel summary").click()
    form = page.locator("details.add-panel form")
    form.get_by_label("Metrics").fill("loss")
    form.get_by_label("Title").fill("Loss, smoothed")
    form.get_by_label("Smoothing").fill("0.5")
    form.get_by_label("Logarithmic y axis").check()
    form.get_by_role("button", name="Add chart").click()
    page.wait_for_url(f"**{WS}#panels")

    panel = page.locator("article.panel", has=page.get_by_role("heading", name="Loss, smoothed", exact=True))
    expect(panel).to_have_count(1)
    expect(charts(page)).to_have_count(3)  # the automatic charts stay
    chart = panel.locator(".chart")
    expect(chart).to_have_attribute("data-smoothing", "0.5")
    expect(chart).to_have_attribute("data-log-y", "true")
    expect_drawn(page, 3)
    expect(legend(chart)).to_contain_text("alpha-run")
    mine = Workspace.objects.get(project=project, owner__username="bob")
    assert mine.panels[-1] == {"type": "line", "title": "Loss, smoothed", "keys": ["loss"], "x": "step", "smoothing": 0.5, "log_y": True}

    panel.get_by_role("button", name="Remove chart 3").click()
    page.wait_for_url(f"**{WS}#panels")
    expect(page.get_by_role("button", name="Remove chart 3")).to_have_count(0)
    expect(charts(page)).to_have_count(2)
    expect_drawn(page, 2)
    assert not Workspace.objects.filter(owner__username="alice").exists()
    assert_no_js_errors(page)


# --- 3. Filters in place ---------------------------------------------------------------------------


def test_filters_update_the_runs_table_in_place(page):
    _, runs = setup_world()
    services.run_update(actor=SYSTEM, run=runs["beta-run"], state="finished")
    sign_in(page, "bob", factories.PASSWORD)
    page.goto(WS)
    expect(runs_table_names(page)).to_have_count(3)
    mark_document(page)

    search = page.get_by_label("Search")
    search.fill("alpha")
    search.press("Enter")
    page.wait_for_url(re.compile(r"[?&]q=alpha"))
    expect(runs_table_names(page)).to_have_text(["alpha-run"])
    assert_same_document(page)

    search.fill("")
    search.press("Enter")
    expect(runs_table_names(page)).to_have_count(3)

    page.get_by_label("State").select_option("finished")
    page.wait_for_url(re.compile(r"[?&]state=finished"))
    expect(runs_table_names(page)).to_have_text(["beta-run"])
    assert_same_document(page)

    page.get_by_label("State").select_option("failed")
    expect(page.locator("#runs-table")).to_contain_text("No run matches these filters.")
    assert_same_document(page)
    assert_no_js_errors(page)


def test_charts_follow_the_filtered_table(page):
    setup_world()
    sign_in(page, "bob", factories.PASSWORD)
    page.goto(WS)
    expect_drawn(page, 2)
    search = page.get_by_label("Search")
    search.fill("alpha")
    search.press("Enter")
    expect(runs_table_names(page)).to_have_text(["alpha-run"])
    first = charts(page).first
    expect(legend(first)).to_contain_text("alpha-run")
    expect(legend(first)).not_to_contain_text("beta-run", timeout=3_000)


# --- 4. The run page -------------------------------------------------------------------------------------


def test_run_page_tabs_and_stop(page):
    _, runs = setup_world()
    run = runs["alpha-run"]
    services.logs_append(actor=SYSTEM, run=run, lines=["epoch 1: loss 0.9", "epoch 2: loss 0.5", "done training"])
    services.files_save(actor=SYSTEM, run=run, files={"model/notes.txt": SimpleUploadedFile("notes.txt", b"best checkpoint")})
    sign_in(page, "bob", factories.PASSWORD)
    url = f"{WS}runs/{run.run_id}/"

    page.goto(url + "?tab=charts")
    expect(charts(page)).to_have_count(2)
    expect_drawn(page, 2)
    expect(legend(charts(page).first)).to_contain_text("alpha-run")

    page.get_by_role("link", name="Logs").click()
    log = page.locator("pre.log")
    expect(log).to_contain_text("epoch 1: loss 0.9")
    expect(log).to_contain_text("done training")
    expect(page.locator("main")).to_contain_text("Lines 1–3")

    page.get_by_role("link", name="Files").click()
    link = page.get_by_role("link", name="model/notes.txt")
    expect(link).to_have_attribute("download", "")
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename == "notes.txt"
    with open(download.path(), "rb") as handle:
        assert handle.read() == b"best checkpoint"

    page.get_by_role("link", name="Overview").click()
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="Stop run").click()
    expect(page.locator(".messages")).to_contain_text("Stop requested")
    assert asked and asked[0].startswith("Stop alpha-run?")
    assert Run.objects.get(pk=run.pk).stop_requested is True
    expect(page.locator("#run-state")).to_contain_text("stopping")
    assert_no_js_errors(page)


def test_dismissed_stop_confirmation_stops_nothing(page):
    _, runs = setup_world()
    run = runs["alpha-run"]
    sign_in(page, "bob", factories.PASSWORD)
    page.goto(f"{WS}runs/{run.run_id}/")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Stop run").click()
    page.wait_for_timeout(300)
    expect(page.locator(".messages")).to_have_count(0)
    assert Run.objects.get(pk=run.pk).stop_requested is False
    assert_no_js_errors(page)


# --- 5. A view-only member --------------------------------------------------------------------------------


def test_viewer_sees_runs_but_no_actions(page):
    _, runs = setup_world()
    run = runs["alpha-run"]
    sign_in(page, "vera", factories.PASSWORD)

    response = page.goto(f"{WS}runs/{run.run_id}/")
    assert response.status == 200
    expect(page.get_by_role("heading", name=re.compile("alpha-run"))).to_be_visible()
    expect(page.get_by_role("button", name="Stop run")).to_have_count(0)
    expect(page.get_by_role("button", name="Delete")).to_have_count(0)
    expect(page.locator("form[action$='/notes/']")).to_have_count(0)
    expect(page.get_by_role("heading", name="Notes and tags")).to_have_count(0)
    expect(page.locator("form[action$='/move/']")).to_have_count(0)

    page.goto(f"{WS}runs/{run.run_id}/?tab=charts")
    expect_drawn(page, 2)

    page.goto(WS)
    expect_drawn(page, 2)
    # a viewer arranges a workspace of their own, but shares no view with the team
    expect(page.locator("details.add-panel")).to_have_count(1)
    expect(page.locator("details.save-view")).to_have_count(0)
    expect(page.get_by_role("link", name="Project settings")).to_have_count(0)
    assert_no_js_errors(page)


# --- 6. A public project, signed out ----------------------------------------------------------------------


def test_anonymous_visitor_sees_public_charts(page):
    project, runs = setup_world()
    services.project_update(actor=SYSTEM, project=project, visibility="public")
    response = page.goto(WS)
    assert response.status == 200
    expect_drawn(page, 2)
    expect(legend(charts(page).first)).to_contain_text("gamma-run")
    page.goto(f"{WS}runs/{runs['alpha-run'].run_id}/")
    expect(page.get_by_role("button", name="Stop run")).to_have_count(0)
    expect(page.get_by_role("button", name="Delete")).to_have_count(0)
    assert Project.objects.get(pk=project.pk).visibility == "public"
    assert_no_js_errors(page)



def test_run_names_are_text_in_chart_legends(page):
    _, runs = setup_world()
    services.run_update(actor=SYSTEM, run=runs["gamma-run"], name='<img src=x onerror="window.__xss=1">gamma')
    sign_in(page, "bob", factories.PASSWORD)
    page.goto(WS)
    expect_drawn(page, 2)
    expect(legend(charts(page).first)).to_contain_text('<img src=x onerror="window.__xss=1">gamma')
    expect(page.locator(".u-legend img, .runs-table img")).to_have_count(0)
    assert page.evaluate("window.__xss") is None
    assert_no_js_errors(page)


def test_add_chart_form_does_not_refilter_the_runs_table(page):
    setup_world()
    sign_in(page, "bob", factories.PASSWORD)
    page.goto(WS)
    expect_drawn(page, 2)
    fetched = []
    page.on("request", lambda request: fetched.append(request.url) if request.headers.get("hx-request") else None)
    page.locator("details.add-panel summary").click()
    page.get_by_label("X axis").select_option("time")
    page.wait_for_timeout(1_000)
    assert fetched == [], f"choosing a chart's X axis fetched {fetched}"
    assert page.url.endswith(WS), page.url
