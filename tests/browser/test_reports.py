"""Reports in a real browser: writing with the live preview (Markdown and a
drawn chart), the stale-save refusal across two browser contexts, comments,
stars and follows swapped in place (htmx), what viewers and signed-out
visitors see, "Add to report" from a workspace panel, and the revisions list
with its diffs.

Every test also checks that the browser logged no JavaScript error.
"""

import re

import pytest
from playwright.sync_api import expect

from experiments import services as experiment_services
from reports import services as report_services
from reports.models import Comment, Follow, Report, Star
from teams import services as team_services
from tests import factories
from tests.browser.conftest import sign_in
from teams.policy import SYSTEM

pytestmark = pytest.mark.django_db(transaction=True)

TEAM = "vision"
REPORTS = f"/{TEAM}/reports/"


# --- Helpers -------------------------------------------------------------------------


def add_member(team, username, role="member"):
    person = factories.user(username=username)
    team_services.org_member_set(actor=SYSTEM, organization=team.organization, user=person, role="member")
    team_services.member_add(actor=SYSTEM, team=team, user=person, role=role)
    return person


def setup_world():
    """Team `vision`: alice (admin), bob and carol (members), vera (viewer); project
    `mnist` with bob's runs `alpha` and `beta` that logged loss."""
    alice = factories.user(username="alice")
    org = team_services.organization_create(actor=SYSTEM, slug="acme", name="Acme", admin=alice)
    team = team_services.team_create(organization=org, slug=TEAM, name="Vision", actor=SYSTEM, admin=alice)
    people = {
        "alice": alice,
        "bob": add_member(team, "bob"),
        "carol": add_member(team, "carol"),
        "vera": add_member(team, "vera", role="viewer"),
    }
    project = experiment_services.project_create(team=team, name="mnist", actor=alice)
    for n, run_id in enumerate(("alpha", "beta")):
        run = experiment_services.run_create(project=project, actor=people["bob"], run_id=run_id, name=f"{run_id}-run")
        experiment_services.history_append(actor=SYSTEM, run=run, rows=[{"step": s, "values": {"loss": (n + 1) / (s + 1)}} for s in range(20)])
    return team, project, people


def make_report(team, author, *, title="Weekly results", body="Loss went **down**.", visibility="team"):
    return report_services.report_create(team=team, actor=author, title=title, body=body, visibility=visibility)


def report_url(report):
    return f"{REPORTS}{report.pk}/"


def assert_no_js_errors(page):
    # A 4xx answer (an expected refusal such as the 409) shows up as "Failed to load resource"; not a script error.
    errors = [e for e in page.js_errors if "Failed to load resource" not in e]
    assert errors == [], f"JavaScript errors in the browser console: {errors}"


def mark_document(page):
    page.evaluate("window.__sameDocument = true")


def assert_same_document(page):
    assert page.evaluate("window.__sameDocument === true"), "the page reloaded instead of swapping in place"


def drawn(scope):
    return scope.locator('.chart[data-chart][data-drawn="true"]')


def lf(text):
    return text.replace("\r\n", "\n")


def new_tab(browser, live_server):
    """A second, independent browser context (its own cookies), watched for script errors like `page`."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    tab = context.new_page()
    errors = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    tab.js_errors = errors
    return context, tab


# --- 1. Write a report with the live preview ----------------------------------------------------


def write_report_in_browser(page, title, *, visibility="public"):
    """Types a title and a Markdown body (heading, table, chart block) at /<team>/reports/new/,
    checking that the debounced preview follows, then saves. Returns the saved report."""
    page.goto(f"{REPORTS}new/")
    expect(page.get_by_role("heading", name="Write a report")).to_be_visible()
    preview = page.locator("#preview")
    expect(preview).to_contain_text("The preview follows your typing.")

    page.get_by_label("Title").fill(title)
    body = page.locator("#id_body")
    # typed key by key: the debounced preview follows
    body.press_sequentially("# Sweep results\n", delay=20)
    expect(page.locator("#preview h1")).to_have_text("Sweep results")

    rest = "\n| run | loss |\n|-----|------|\n| alpha | 0.05 |\n\n```chart\nruns: mnist/alpha, mnist/beta\nkeys: loss\n```\n"
    body.press_sequentially(rest, delay=5)
    expect(page.locator("#preview > table")).to_have_count(1)
    expect(page.locator("#preview > table td").first).to_have_text("alpha")
    expect(drawn(preview)).to_have_count(1)
    expect(drawn(preview).locator("canvas")).to_have_count(1)
    expect(drawn(preview).locator(".chart-legend")).to_contain_text("alpha-run")
    expect(page.locator("#preview h1")).to_have_text("Sweep results")

    page.locator(f"input[name=visibility][value={visibility}]").check()
    page.get_by_role("button", name="Save report").click()
    page.wait_for_url(re.compile(r"/vision/reports/\d+/$"))
    report = Report.objects.get(title=title)
    assert page.url.endswith(report_url(report))
    return report


def test_write_a_report_with_live_preview_and_chart(page):
    setup_world()
    sign_in(page, "bob", factories.PASSWORD)
    report = write_report_in_browser(page, "MNIST sweep")

    assert report.visibility == "public"
    assert report.revision == 1
    assert "runs: mnist/alpha, mnist/beta" in report.body
    expect(page.get_by_role("heading", name="MNIST sweep", level=1)).to_be_visible()
    expect(page.locator(".messages")).to_contain_text("Your report was saved.")
    expect(page.locator("header .badge-info")).to_have_text("Public")
    body_html = page.locator(".report-body")
    expect(body_html.locator("h1")).to_have_text("Sweep results")
    expect(body_html.locator(":scope > table")).to_have_count(1)
    snippet = page.locator("#badge-snippet")
    expect(snippet).to_have_value(
        re.compile(r"^\[!\[teamsite \| MNIST sweep\]\(http://.+/vision/reports/\d+/badge\.svg\)\]\(http://.+/vision/reports/\d+/\)$")
    )
    assert snippet.input_value().startswith("[![teamsite | ")
    assert_no_js_errors(page)


def test_chart_from_the_preview_is_drawn_on_the_saved_report(page):
    setup_world()
    sign_in(page, "bob", factories.PASSWORD)
    write_report_in_browser(page, "MNIST sweep")
    body_html = page.locator(".report-body")
    expect(body_html.locator("pre code")).to_have_count(0)
    expect(drawn(body_html)).to_have_count(1, timeout=3_000)
    expect(drawn(body_html).locator("canvas")).to_have_count(1)
    assert_no_js_errors(page)


# --- 2. A stale save is refused, then merged -----------------------------------------------------


def test_stale_save_is_refused_with_a_diff_and_then_saved(page, browser, live_server):
    team, _, people = setup_world()
    report = make_report(team, people["bob"], body="line one\nline two\n")
    edit = f"{report_url(report)}edit/"

    other_context, other = new_tab(browser, live_server)
    try:
        sign_in(page, "bob", factories.PASSWORD)
        sign_in(other, "bob", factories.PASSWORD)
        page.goto(edit)
        other.goto(edit)
        expect(page.locator("#id_body")).to_have_value("line one\nline two\n")
        expect(other.locator("#id_body")).to_have_value("line one\nline two\n")

        first_text = "line one\nline two, first edit"
        page.locator("#id_body").fill(first_text)
        page.get_by_role("button", name="Save revision").click()
        page.wait_for_url(f"**{report_url(report)}")
        expect(page.locator(".messages")).to_contain_text("Saved as a new revision.")
        report.refresh_from_db()
        assert report.revision == 2

        second_text = "line one\nline two, second edit\nline three"
        other.locator("#id_body").fill(second_text)
        with other.expect_response(lambda r: r.url.endswith(edit) and r.request.method == "POST") as answer:
            other.get_by_role("button", name="Save revision").click()
        assert answer.value.status == 409
        alert = other.locator(".alert-error", has=other.locator(".diff"))
        expect(alert).to_contain_text("This report changed since you opened it")
        expect(alert).to_contain_text("Nothing was overwritten.")
        diff = other.locator(".diff")
        expect(diff).to_be_visible()
        expect(diff.locator(".diff-del")).to_contain_text(["revision 2 (saved)", "-line two, first edit"])
        expect(diff.locator(".diff-add")).to_contain_text(["your text (not saved)", "+line two, second edit", "+line three"])
        expect(other.locator("#id_body")).to_have_value(second_text)
        report.refresh_from_db()
        assert lf(report.body) == first_text  # the browser submits CRLF line endings
        assert report.revision == 2

        # Saving again is now based on revision 2 and goes through.
        expect(other.locator("input[name=base_revision]")).to_have_value("2")
        other.get_by_role("button", name="Save revision").click()
        other.wait_for_url(f"**{report_url(report)}")
        expect(other.locator(".messages")).to_contain_text("Saved as a new revision.")
        expect(other.locator(".report-body")).to_contain_text("line three")
        report.refresh_from_db()
        assert report.revision == 3
        assert lf(report.body) == second_text
        assert list(report.revisions.order_by("number").values_list("number", flat=True)) == [1, 2, 3]
        assert_no_js_errors(page)
        assert_no_js_errors(other)
    finally:
        other_context.close()


# --- 3. Comments, stars and follows in place ------------------------------------------------------


def test_star_follow_comment_and_delete_in_place(page):
    team, _, people = setup_world()
    report = make_report(team, people["bob"])
    sign_in(page, "carol", factories.PASSWORD)
    page.goto(report_url(report))
    url = page.url
    mark_document(page)
    actions = page.locator("#report-actions")

    actions.get_by_role("button", name=re.compile("Star")).click()
    star = actions.get_by_role("button", name=re.compile("Starred"))
    expect(star).to_contain_text("★ Starred")
    expect(star.locator(".badge")).to_have_text("1")
    expect(star).to_have_attribute("aria-pressed", "true")
    assert Star.objects.filter(report=report, user=people["carol"]).exists()

    actions.get_by_role("button", name=re.compile("^Follow")).click()
    follow = actions.get_by_role("button", name=re.compile("Following"))
    expect(follow).to_have_attribute("aria-pressed", "true")
    expect(follow.locator(".badge")).to_have_text("2")  # bob follows his own report
    assert Follow.objects.filter(report=report, user=people["carol"]).exists()
    assert_same_document(page)

    panel = page.locator("#comments-panel")
    expect(panel).to_contain_text("No comments yet.")
    panel.get_by_label("Comment").fill("Nice *curve*, what learning rate?")
    panel.get_by_role("button", name="Comment").click()
    comment = panel.locator("article.comment")
    expect(comment).to_have_count(1)
    expect(comment).to_contain_text("carol")
    expect(comment.locator("em")).to_have_text("curve")
    expect(panel.get_by_label("Comment")).to_have_value("")
    assert page.url == url
    assert_same_document(page)
    assert Comment.objects.filter(report=report, author=people["carol"]).count() == 1

    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    comment.get_by_role("button", name="Delete").click()
    expect(comment).to_have_count(0)
    expect(panel).to_contain_text("No comments yet.")
    assert asked == ["Delete this comment?"]
    assert page.url == url
    assert_same_document(page)
    assert not Comment.objects.filter(report=report).exists()
    assert_no_js_errors(page)


def test_a_comment_can_be_deleted_only_after_confirming(page):
    team, _, people = setup_world()
    report = make_report(team, people["bob"])
    report_services.comment_add(report=report, actor=people["carol"], body="keep me")
    sign_in(page, "carol", factories.PASSWORD)
    page.goto(report_url(report))
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.locator("#comments-panel article.comment").get_by_role("button", name="Delete").click()
    page.wait_for_timeout(300)
    expect(page.locator("#comments-panel article.comment")).to_have_count(1)
    assert Comment.objects.filter(report=report).count() == 1
    assert_no_js_errors(page)


# --- 4. Viewers and signed-out visitors -----------------------------------------------------------


def test_viewer_can_comment_but_not_edit(page):
    team, _, people = setup_world()
    report = make_report(team, people["bob"])
    sign_in(page, "vera", factories.PASSWORD)
    response = page.goto(report_url(report))
    assert response.status == 200
    expect(page.get_by_role("heading", name="Weekly results", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Edit", exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name="Delete")).to_have_count(0)
    mark_document(page)

    panel = page.locator("#comments-panel")
    panel.get_by_label("Comment").fill("Read it, thanks.")
    panel.get_by_role("button", name="Comment").click()
    expect(panel.locator("article.comment")).to_contain_text("Read it, thanks.")
    assert_same_document(page)
    assert Comment.objects.get(report=report).author == people["vera"]

    assert page.goto(f"{report_url(report)}edit/").status == 403
    assert_no_js_errors(page)


def test_anonymous_visitor_reads_a_public_report(page):
    team, _, people = setup_world()
    report = make_report(team, people["bob"], title="Open results", body="## Findings\n\nPublic **text**.", visibility="public")
    report_services.comment_add(report=report, actor=people["carol"], body="First!")
    response = page.goto(report_url(report))
    assert response.status == 200
    expect(page.get_by_role("heading", name="Open results", level=1)).to_be_visible()
    expect(page.locator(".report-body h2")).to_have_text("Findings")
    expect(page.locator(".report-body")).to_contain_text("Public text.")
    panel = page.locator("#comments-panel")
    expect(panel.locator("article.comment")).to_contain_text("First!")
    expect(panel).to_contain_text("Sign in to comment, follow or star.")
    sign_in_link = panel.get_by_role("link", name="Sign in")
    expect(sign_in_link).to_have_attribute("href", re.compile(r"^/accounts/login/\?next=(/|%2F)vision"))
    expect(panel.locator("form")).to_have_count(0)
    expect(page.locator("textarea")).to_have_count(0)
    expect(page.get_by_role("link", name="Edit", exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name="Delete")).to_have_count(0)
    expect(page.locator("#report-actions button")).to_have_count(0)
    expect(page.locator("#report-actions")).to_contain_text("★ 0")
    assert_no_js_errors(page)


# --- 5. Add to report from the workspace ---------------------------------------------------------------


def test_add_a_workspace_panel_to_a_report(page):
    team, project, people = setup_world()
    experiment_services.project_panels_save(actor=people["bob"], project=project, panels=[{"keys": ["loss"]}])
    make_report(team, people["alice"], title="Someone else's report")
    report = make_report(team, people["bob"], title="Bob's notes", body="Intro text.")
    sign_in(page, "bob", factories.PASSWORD)
    page.goto(f"/{TEAM}/{project.name}/")
    expect(drawn(page)).to_have_count(1)

    select = page.get_by_label("Report to add chart 1 to")
    # only reports bob may edit are offered
    expect(select.locator("option")).to_have_text(["Bob's notes"])
    select.select_option(label="Bob's notes")
    page.get_by_role("button", name="Add to report").click()
    page.wait_for_url(f"**{report_url(report)}")
    expect(page.locator(".messages")).to_contain_text("The chart was added to “Bob's notes”.")
    body = page.locator(".report-body")
    expect(body).to_contain_text("Intro text.")
    expect(drawn(body)).to_have_count(1)
    expect(drawn(body).locator("canvas")).to_have_count(1)
    expect(drawn(body).locator(".chart-legend")).to_contain_text("alpha-run")
    expect(drawn(body).locator(".chart-legend")).to_contain_text("beta-run")
    report.refresh_from_db()
    assert report.revision == 2
    assert "```chart\n" in report.body
    assert "keys: loss" in report.body
    assert "mnist/alpha" in report.body and "mnist/beta" in report.body
    assert_no_js_errors(page)


# --- 6. Revisions and their diffs ---------------------------------------------------------------------


def test_revisions_list_and_changes(page):
    team, _, people = setup_world()
    bob = people["bob"]
    report = make_report(team, bob, body="alpha\nbeta\n")
    report = report_services.report_save(report=report, actor=bob, base_revision=1, body="alpha\nbeta changed\n")
    report = report_services.report_save(report=report, actor=bob, base_revision=2, body="alpha\nbeta changed\ngamma\n")
    sign_in(page, "carol", factories.PASSWORD)
    page.goto(report_url(report))
    rows = page.locator("ol.revisions li")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("3. bob")
    expect(rows.last).to_contain_text("1. bob")
    expect(rows.last.get_by_role("link", name="changes")).to_have_count(0)

    row2 = rows.filter(has_text=re.compile(r"^\s*2\. bob"))
    expect(row2).to_have_count(1)
    row2.get_by_role("link", name="changes").click()
    page.wait_for_url(re.compile(r"\?diff=2$"))
    expect(page.get_by_role("heading", name="Changes in revision 2")).to_be_visible()
    diff = page.locator(".diff")
    expect(diff.locator(".diff-del")).to_contain_text(["--- revision 1", "-beta"])
    expect(diff.locator(".diff-add")).to_contain_text(["+++ revision 2", "+beta changed"])
    expect(diff).not_to_contain_text("gamma")
    expect(diff.locator(".diff-same")).to_contain_text([" alpha"])

    page.get_by_role("link", name="read").nth(2).click()  # revision 1, the oldest
    page.wait_for_url(re.compile(r"\?revision=1$"))
    expect(page.locator(".alert-info")).to_contain_text("You are reading revision 1 of 3.")
    expect(page.locator(".report-body")).to_contain_text("beta")
    expect(page.locator(".report-body")).not_to_contain_text("changed")
    assert_no_js_errors(page)


def test_saving_unchanged_text_makes_no_revision(page):
    team, _, people = setup_world()
    report = make_report(team, people["bob"], body="line one\nline two\n")
    sign_in(page, "bob", factories.PASSWORD)
    page.goto(f"{report_url(report)}edit/")
    page.get_by_role("button", name="Save revision").click()
    page.wait_for_url(f"**{report_url(report)}")
    report.refresh_from_db()
    assert report.revision == 1
    assert report.revisions.count() == 1
