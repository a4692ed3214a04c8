"""The team profile in a real browser: what a signed-out visitor and a member see
on /<team>/, the admin editing the introduction with its live preview, reordering
and removing showcased items in place (htmx), and the privacy page changing a
project's visibility (with the confirmation when it widens access) while a
separate signed-out browser watches the visitor view follow.

Every test also checks that the browser logged no JavaScript error.
"""

import pytest
from playwright.sync_api import expect

from experiments import services as experiment_services
from experiments.models import Project
from reports import services as report_services
from profiles import services as profile_services
from teams import services as team_services
from tests import factories
from tests.browser.conftest import sign_in
from teams.policy import SYSTEM

pytestmark = pytest.mark.django_db(transaction=True)

TEAM = "vision"
HOME = f"/{TEAM}/"
SETTINGS = f"/{TEAM}/settings/"
PRIVACY = f"/{TEAM}/settings/privacy/"
PROJECTS = f"/{TEAM}/projects/"

INTRO = (
    "## Seeing machines\n\n"
    "We teach computers to **see**.\n\n"
    "[![stars](https://img.shields.io/badge/stars-42-blue)](https://github.com/vision/vision)\n"
)
LINKS = [
    {"label": "Lab website", "url": "https://lab.example.org/vision"},
    {"label": "Our paper", "url": "https://papers.example.com/seeing"},
]


# --- Helpers -------------------------------------------------------------------------


def add_member(team, username, role="member"):
    person = factories.user(username=username)
    team_services.org_member_set(actor=SYSTEM, organization=team.organization, user=person, role="member")
    team_services.member_add(actor=SYSTEM, team=team, user=person, role=role)
    return person


def setup_world():
    """Team `vision` with an intro and two links; alice (admin), bob (member).

    Projects: `open-eyes` (public, showcased, with a recent run), `hidden-lab`
    (team, showcased, with a recent run), `quiet-net` (team). Reports: `Public
    findings` (public, showcased) and `Internal notes` (team, showcased).
    """
    alice = factories.user(username="alice", display_name="Alice Admin")
    org = team_services.organization_create(actor=SYSTEM, slug="acme", name="Acme", admin=alice)
    team = team_services.team_create(organization=org, slug=TEAM, name="Vision", actor=SYSTEM, admin=alice)
    bob = add_member(team, "bob")
    team_services.team_update(actor=SYSTEM, team=team, intro=INTRO, links=LINKS)

    public_project = experiment_services.project_create(
        team=team, name="open-eyes", actor=alice, description="Public detection models", visibility="public"
    )
    hidden_project = experiment_services.project_create(team=team, name="hidden-lab", actor=alice, visibility="team")
    quiet_project = experiment_services.project_create(team=team, name="quiet-net", actor=alice, visibility="team")
    experiment_services.run_create(project=public_project, actor=alice, run_id="pub-1")
    experiment_services.run_create(project=hidden_project, actor=alice, run_id="hid-1")

    public_report = report_services.report_create(
        team=team, actor=alice, title="Public findings", body="We found things.", visibility="public", project=public_project
    )
    team_report = report_services.report_create(team=team, actor=alice, title="Internal notes", body="Shh.", visibility="team")

    profile_services.showcase_add(actor=SYSTEM, team=team, report=public_report)
    profile_services.showcase_add(actor=SYSTEM, team=team, project=public_project)
    profile_services.showcase_add(actor=SYSTEM, team=team, project=hidden_project)
    profile_services.showcase_add(actor=SYSTEM, team=team, report=team_report)
    return {
        "team": team,
        "alice": alice,
        "bob": bob,
        "public_project": public_project,
        "hidden_project": hidden_project,
        "quiet_project": quiet_project,
        "public_report": public_report,
        "team_report": team_report,
    }


def mark_document(page):
    """Tag the current document; a full page load loses the tag."""
    page.evaluate("window.__sameDocument = true")


def assert_same_document(page, path):
    assert page.url.endswith(path), page.url
    assert page.evaluate("window.__sameDocument === true"), "the page reloaded instead of swapping in place"


def assert_no_js_errors(page):
    # Offline shields.io badges and expected refusals log "Failed to load resource"; not script errors.
    errors = [e for e in page.js_errors if "Failed to load resource" not in e]
    assert errors == [], f"JavaScript errors in the browser console: {errors}"


def open_tab(browser, live_server):
    """A second, signed-out browser with the same error capture as the `page` fixture."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    tab = context.new_page()
    errors = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    tab.js_errors = errors
    return tab


def posted_to(path):
    return lambda response: response.request.method == "POST" and response.url.endswith(path)


def showcase_titles(page):
    return page.locator("section[aria-labelledby=showcase-heading] .showcase-grid h3").all_inner_texts()


def admin_showcase_names(page):
    return page.locator("#showcase-panel .showcase-list li strong").all_inner_texts()


# --- 1. A signed-out visitor --------------------------------------------------------------


def test_visitor_sees_only_the_public_profile(page):
    setup_world()
    page.goto(HOME)

    expect(page.get_by_role("heading", level=1, name="Vision")).to_be_visible()
    intro = page.locator("section[aria-label='About Vision']")
    expect(intro.get_by_role("heading", level=2, name="Seeing machines")).to_be_visible()
    expect(intro.locator("strong")).to_have_text("see")
    badge = intro.locator("a[href='https://github.com/vision/vision'] img")
    expect(badge).to_have_attribute("src", "https://img.shields.io/badge/stars-42-blue")
    expect(page.locator("header.team-header")).to_contain_text("2 members")

    links = page.get_by_role("list", name="Links")
    expect(links.get_by_role("link", name="Lab website")).to_have_attribute("href", "https://lab.example.org/vision")
    expect(links.get_by_role("link", name="Our paper")).to_have_attribute("href", "https://papers.example.com/seeing")
    expect(links).to_contain_text("lab.example.org")
    expect(links).to_contain_text("papers.example.com")

    assert showcase_titles(page) == ["Public findings", "open-eyes"]
    expect(page.locator("section[aria-labelledby=active-heading]")).to_contain_text("open-eyes")

    body = page.locator("main")
    for secret in ("hidden-lab", "quiet-net", "Internal notes"):
        expect(body).not_to_contain_text(secret)
    expect(page.get_by_role("heading", name="Members")).to_have_count(0)
    expect(page.get_by_role("link", name="Team settings")).to_have_count(0)
    expect(body).to_contain_text("Are you on this team?")
    assert_no_js_errors(page)


# --- 2. A member ------------------------------------------------------------------------


def test_member_sees_team_items_and_members(page):
    setup_world()
    sign_in(page, "bob", factories.PASSWORD)
    page.goto(HOME)

    expect(page.locator("section[aria-label='About Vision']")).to_contain_text("Seeing machines")
    assert showcase_titles(page) == ["Public findings", "open-eyes", "hidden-lab", "Internal notes"]
    active = page.locator("section[aria-labelledby=active-heading]")
    expect(active).to_contain_text("open-eyes")
    expect(active).to_contain_text("hidden-lab")
    projects = page.locator("section[aria-labelledby=projects-heading]")
    for name in ("open-eyes", "hidden-lab", "quiet-net"):
        expect(projects.get_by_role("link", name=name)).to_be_visible()

    members = page.locator("section[aria-labelledby=members-heading]")
    expect(members).to_contain_text("Alice Admin")
    expect(members).to_contain_text("bob")
    expect(page.locator("header.team-header")).to_contain_text("you are member")
    expect(page.get_by_role("link", name="Team settings")).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text("Are you on this team?")
    assert_no_js_errors(page)


# --- 3. The admin edits the introduction -----------------------------------------------------


def test_admin_intro_preview_updates_and_saves(page):
    setup_world()
    sign_in(page, "alice", factories.PASSWORD)
    page.goto(HOME)
    page.get_by_role("link", name="Team settings").click()
    page.wait_for_url(f"**{SETTINGS}")

    preview = page.locator("#intro-preview")
    expect(preview.get_by_role("heading", name="Seeing machines")).to_be_visible()
    mark_document(page)

    new_intro = "# Fresh *vision*\n\nWe now also do **depth**.\n\n<script>window.__pwned = 1</script>"
    with page.expect_response(posted_to(f"/{TEAM}/settings/intro-preview/")) as answer:
        page.locator("#id_intro").fill(new_intro)
    assert answer.value.status == 200
    expect(preview.get_by_role("heading", level=1)).to_have_text("Fresh vision")
    expect(preview.locator("h1 em")).to_have_text("vision")
    expect(preview.locator("strong")).to_have_text("depth")
    expect(preview.get_by_role("heading", name="Seeing machines")).to_have_count(0)
    expect(preview.locator("script")).to_have_count(0)
    assert page.evaluate("window.__pwned === undefined")
    assert_same_document(page, SETTINGS)

    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The team settings were saved.")).to_be_visible()
    page.get_by_role("link", name="See the profile").click()
    page.wait_for_url(f"**{HOME}")
    intro = page.locator("section[aria-label='About Vision']")
    expect(intro.get_by_role("heading", level=1)).to_have_text("Fresh vision")
    expect(intro.locator("strong")).to_have_text("depth")
    expect(intro).not_to_contain_text("Seeing machines")
    assert page.evaluate("window.__pwned === undefined")
    assert_no_js_errors(page)


# --- 4. The admin reorders the showcase ----------------------------------------------------------


def test_admin_reorders_and_removes_showcase_items(page, browser, live_server):
    setup_world()
    sign_in(page, "alice", factories.PASSWORD)
    page.goto(SETTINGS)
    expect(page.locator("#showcase-panel .showcase-list li")).to_have_count(4)
    assert admin_showcase_names(page) == ["Public findings", "open-eyes", "hidden-lab", "Internal notes"]
    # The team-only items are marked for the admin, not hidden.
    expect(page.locator("#showcase-panel li", has_text="hidden-lab").locator(".badge-warning")).to_be_visible()
    expect(page.locator("#showcase-panel li", has_text="open-eyes").locator(".badge-warning")).to_have_count(0)
    mark_document(page)

    with page.expect_response(posted_to(f"/{TEAM}/settings/showcase/")) as answer:
        page.get_by_role("button", name="Move open-eyes up").click()
    assert answer.value.status == 200
    expect(page.locator("#showcase-panel .showcase-list li").first).to_contain_text("open-eyes")
    assert admin_showcase_names(page) == ["open-eyes", "Public findings", "hidden-lab", "Internal notes"]

    with page.expect_response(posted_to(f"/{TEAM}/settings/showcase/")):
        page.get_by_role("button", name="Move Internal notes up").click()
    expect(page.locator("#showcase-panel .showcase-list li").nth(2)).to_contain_text("Internal notes")
    assert admin_showcase_names(page) == ["open-eyes", "Public findings", "Internal notes", "hidden-lab"]
    # The first has no ↑ and the last no ↓.
    expect(page.get_by_role("button", name="Move open-eyes up")).to_have_count(0)
    expect(page.get_by_role("button", name="Move hidden-lab down")).to_have_count(0)
    assert_same_document(page, SETTINGS)

    page.goto(HOME)
    assert showcase_titles(page) == ["open-eyes", "Public findings", "Internal notes", "hidden-lab"]

    visitor = open_tab(browser, live_server)
    try:
        visitor.goto(HOME)
        assert showcase_titles(visitor) == ["open-eyes", "Public findings"]

        page.goto(SETTINGS)
        mark_document(page)
        with page.expect_response(posted_to(f"/{TEAM}/settings/showcase/")):
            page.get_by_role("button", name="Remove open-eyes from the showcase").click()
        expect(page.locator("#showcase-panel .showcase-list li")).to_have_count(3)
        assert admin_showcase_names(page) == ["Public findings", "Internal notes", "hidden-lab"]
        # It is offered again in the picker.
        expect(page.locator("#showcase-item option", has_text="open-eyes")).to_have_count(1)
        assert_same_document(page, SETTINGS)

        page.goto(HOME)
        assert showcase_titles(page) == ["Public findings", "Internal notes", "hidden-lab"]
        visitor.goto(HOME)
        assert showcase_titles(visitor) == ["Public findings"]
        assert_no_js_errors(visitor)
    finally:
        visitor.context.close()
    assert_no_js_errors(page)


# --- 5. The privacy page -------------------------------------------------------------------


def test_privacy_visibility_change_is_confirmed_and_reaches_visitors(page, browser, live_server):
    world = setup_world()
    quiet = world["quiet_project"]
    sign_in(page, "alice", factories.PASSWORD)
    visitor = open_tab(browser, live_server)
    try:
        visitor.goto(PROJECTS)
        expect(visitor.get_by_role("link", name="open-eyes")).to_be_visible()
        expect(visitor.locator("main")).not_to_contain_text("quiet-net")

        page.goto(PRIVACY)
        row = page.locator("#privacy-quiet-net")
        expect(row.get_by_label("Visibility of quiet-net")).to_have_value("team")
        expect(page.locator("#privacy-open-eyes").get_by_label("Visibility of open-eyes")).to_have_value("public")
        expect(page.locator("#privacy-hidden-lab")).to_contain_text("1")  # one run
        expect(row).to_contain_text("alice")
        mark_document(page)

        # Widening asks first, in place; nothing is saved yet.
        with page.expect_response(posted_to(PRIVACY)) as answer:
            row.get_by_label("Visibility of quiet-net").select_option("public")
        assert answer.value.status == 200
        confirm = page.locator("#privacy-table [role=alert]")
        expect(confirm).to_contain_text("Make quiet-net public?")
        quiet.refresh_from_db()
        assert quiet.visibility == "team"
        assert_same_document(page, PRIVACY)

        with page.expect_response(posted_to(PRIVACY)):
            confirm.get_by_role("button", name="Yes, make it public").click()
        expect(page.locator("#privacy-table [role=alert]")).to_have_count(0)
        expect(page.locator("#privacy-quiet-net").get_by_label("Visibility of quiet-net")).to_have_value("public")
        assert_same_document(page, PRIVACY)
        quiet.refresh_from_db()
        assert quiet.visibility == "public"

        visitor.goto(PROJECTS)
        expect(visitor.get_by_role("link", name="quiet-net")).to_be_visible()

        # Narrowing saves at once, without a question.
        with page.expect_response(posted_to(PRIVACY)):
            page.locator("#privacy-quiet-net").get_by_label("Visibility of quiet-net").select_option("team")
        expect(page.locator("#privacy-table [role=alert]")).to_have_count(0)
        expect(page.locator("#privacy-quiet-net").get_by_label("Visibility of quiet-net")).to_have_value("team")
        assert_same_document(page, PRIVACY)
        quiet.refresh_from_db()
        assert quiet.visibility == "team"

        visitor.goto(PROJECTS)
        expect(visitor.get_by_role("link", name="open-eyes")).to_be_visible()
        expect(visitor.locator("main")).not_to_contain_text("quiet-net")
        assert_no_js_errors(visitor)
    finally:
        visitor.context.close()
    assert_no_js_errors(page)


def test_privacy_visibility_reaches_the_most_active_list(page, browser, live_server):
    """A project with recent runs shows up in the visitor's "Most active" list once public, and leaves it again."""
    world = setup_world()
    hidden = world["hidden_project"]
    sign_in(page, "alice", factories.PASSWORD)
    visitor = open_tab(browser, live_server)
    try:
        visitor.goto(HOME)
        active = visitor.locator("section[aria-labelledby=active-heading]")
        expect(active).to_contain_text("open-eyes")
        expect(visitor.locator("main")).not_to_contain_text("hidden-lab")

        page.goto(PRIVACY)
        with page.expect_response(posted_to(PRIVACY)):
            page.get_by_label("Visibility of hidden-lab").select_option("public")
        page.locator("#privacy-table [role=alert]").get_by_role("button", name="Yes, make it public").click()
        expect(page.get_by_label("Visibility of hidden-lab")).to_have_value("public")
        hidden.refresh_from_db()
        assert hidden.visibility == "public"

        visitor.goto(HOME)
        expect(active.get_by_role("link", name="hidden-lab")).to_be_visible()
        assert "hidden-lab" in showcase_titles(visitor)  # the showcased project returns to visitors too

        with page.expect_response(posted_to(PRIVACY)):
            page.get_by_label("Visibility of hidden-lab").select_option("team")
        expect(page.get_by_label("Visibility of hidden-lab")).to_have_value("team")

        visitor.goto(HOME)
        expect(active).to_contain_text("open-eyes")
        expect(visitor.locator("main")).not_to_contain_text("hidden-lab")
        assert_no_js_errors(visitor)
    finally:
        visitor.context.close()
    assert_no_js_errors(page)


def test_keep_projects_inside_lists_public_ones_and_moves_them(page, browser, live_server):
    world = setup_world()
    team = world["team"]
    experiment_services.project_create(team=team, name="wide-open", actor=world["alice"], visibility="open")
    sign_in(page, "alice", factories.PASSWORD)
    page.goto(PRIVACY)
    expect(page.locator("section[aria-labelledby=inside-heading]")).to_contain_text("Off:")

    page.get_by_role("button", name="Keep every project inside the team").click()
    warning = page.locator("section[aria-labelledby=inside-heading] [role=alert]")
    expect(warning).to_contain_text("These projects will become visible to the team only")
    expect(warning).to_contain_text("open-eyes (public)")
    expect(warning).to_contain_text("wide-open (open)")
    expect(warning).not_to_contain_text("quiet-net")
    expect(warning).not_to_contain_text("hidden-lab")
    # Nothing moved before the confirmation.
    assert Project.objects.get(team=team, name="open-eyes").visibility == "public"
    team.refresh_from_db()
    assert team.projects_stay_inside is False

    warning.get_by_role("button", name="Keep projects inside").click()
    page.wait_for_url(f"**{PRIVACY}")
    expect(page.get_by_text("Projects now stay inside the team.")).to_be_visible()
    expect(page.locator("section[aria-labelledby=inside-heading]")).to_contain_text("On:")
    expect(page.get_by_label("Visibility of open-eyes")).to_have_value("team")
    expect(page.get_by_label("Visibility of wide-open")).to_have_value("team")
    expect(page.get_by_label("Visibility of quiet-net").locator("option[value=public]")).to_be_disabled()
    assert set(Project.objects.filter(team=team).values_list("visibility", flat=True)) == {"team"}
    team.refresh_from_db()
    assert team.projects_stay_inside is True

    visitor = open_tab(browser, live_server)
    try:
        visitor.goto(PROJECTS)
        main = visitor.locator("main")
        for name in ("open-eyes", "wide-open", "hidden-lab", "quiet-net"):
            expect(main).not_to_contain_text(name)
        visitor.goto(HOME)
        assert showcase_titles(visitor) == ["Public findings"]
        expect(visitor.locator("section[aria-labelledby=active-heading]")).to_have_count(0)
        assert_no_js_errors(visitor)
    finally:
        visitor.context.close()
    assert_no_js_errors(page)
