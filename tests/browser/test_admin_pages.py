"""Admin pages in a real browser: creating a team from "Invite Team", custom
roles with the scope filter, the system settings, service accounts (key shown
once, revoked in place), the team's general settings, a project from creation
to deletion, and the skip link.

Every test also checks that the browser logged no JavaScript error.
"""

import pytest
from playwright.sync_api import expect

from experiments.models import Project
from teams import services
from teams.models import CustomRole, ServiceAccount, Team
from tests import factories
from tests.browser.conftest import sign_in
from teams.policy import SYSTEM

pytestmark = pytest.mark.django_db(transaction=True)


# --- Helpers -------------------------------------------------------------------------


def setup_org(admin):
    return services.organization_create(actor=SYSTEM, slug="acme", name="Acme", admin=admin)


def setup_team(admin):
    return services.team_create(organization=setup_org(admin), slug="vision", name="Vision", actor=SYSTEM, admin=admin)


def mark_document(page):
    """Tag the current document; a full page load loses the tag."""
    page.evaluate("window.__sameDocument = true")


def assert_same_document(page, path):
    assert page.url.endswith(path), page.url
    assert page.evaluate("window.__sameDocument === true"), "the page reloaded instead of swapping in place"


def assert_no_js_errors(page):
    # A 4xx answer (an expected refusal) shows up as "Failed to load resource"; it is not a script error.
    errors = [e for e in page.js_errors if "Failed to load resource" not in e]
    assert errors == [], f"JavaScript errors in the browser console: {errors}"


def posted_to(path):
    return lambda response: response.request.method == "POST" and response.url.endswith(path)


def submit(page, form, button_name, path, status):
    """Click a form's submit button and check the POST's answer (before any redirect)."""
    with page.expect_response(posted_to(path)) as answer:
        form.get_by_role("button", name=button_name).click()
    assert answer.value.status == status, f"POST {path} answered {answer.value.status}, expected {status}"
    page.wait_for_load_state()


# --- 1. Create a team from "Invite Team" -----------------------------------------------------


def test_org_admin_creates_a_team_from_invite_team(page, live_server):
    admin = factories.user(username="alice")
    org = setup_org(admin)
    sign_in(page, "alice", factories.PASSWORD)
    page.goto("/")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Invite Team").click()
    page.wait_for_url(f"{live_server.url}/teams/new/")
    expect(page.get_by_role("heading", name="Create a team")).to_be_visible()
    form = page.locator("main form.form")
    expect(form.locator("select[name=organization]")).to_have_value(str(org.pk))  # the only one, preselected

    form.get_by_label("Name", exact=True).fill("Robotics Lab")
    form.get_by_label("Address", exact=True).fill("robotics")
    submit(page, form, "Create team", "/teams/new/", 302)
    page.wait_for_url(f"{live_server.url}/robotics/settings/members/")
    expect(page.locator(".messages")).to_contain_text("Robotics Lab is ready. Invite your colleagues.")
    expect(page.locator(".page-header h1")).to_have_text("Robotics Lab settings")
    team = Team.objects.get(slug="robotics")
    assert team.organization == org and team.name == "Robotics Lab"
    assert team.memberships.get(user=admin).role == "admin"

    # a word the site uses itself is refused, with the sentence under the address field
    page.goto("/teams/new/")
    form = page.locator("main form.form")
    form.get_by_label("Name", exact=True).fill("Settings team")
    form.get_by_label("Address", exact=True).fill("settings")
    submit(page, form, "Create team", "/teams/new/", 400)
    assert page.url == f"{live_server.url}/teams/new/"
    expect(page.locator("#id_slug_error")).to_have_text("“settings” is a word the site uses itself; choose another name.")
    expect(form.get_by_label("Address", exact=True)).to_have_value("settings")  # what was typed stays
    assert not Team.objects.filter(slug__iexact="settings").exists()
    assert_no_js_errors(page)


# --- 2. Custom roles and the scope filter -----------------------------------------------------


def test_custom_roles_filter_create_and_duplicate(page):
    admin = factories.user(username="alice")
    org = setup_org(admin)
    sign_in(page, "alice", factories.PASSWORD)
    page.goto("/orgs/acme/roles/")
    expect(page.get_by_role("heading", name="Custom roles")).to_be_visible()
    expect(page.locator("main")).to_contain_text("No custom roles yet.")

    team_manage = page.locator("#scope-list li[data-filter-text^='team:manage ']")
    report_create = page.locator("#scope-list li[data-filter-text^='report:create ']")
    expect(team_manage).to_be_visible()
    page.get_by_label("Filter scopes").press_sequentially("report")
    expect(team_manage).to_be_hidden()
    expect(report_create).to_be_visible()
    visible_scopes = page.locator("#scope-list li[data-filter-text]:visible")
    for text in visible_scopes.evaluate_all("items => items.map(item => item.dataset.filterText)"):
        assert "report" in text.lower(), f"the filter left a non-matching scope visible: {text}"

    page.get_by_label("Name", exact=True).fill("reviewer")
    page.get_by_role("radio", name="View-only").check()
    report_create.locator("input[type=checkbox]").check()
    form = page.locator("section[aria-labelledby=new-role-heading] form")
    submit(page, form, "Create role", "/orgs/acme/roles/", 302)
    expect(page.locator(".messages")).to_contain_text("The role reviewer was created")
    row = page.locator("main table tbody tr", has_text="reviewer")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("View-only")
    expect(row.locator("code")).to_have_text(["report:create"])
    role = CustomRole.objects.get(organization=org, name="reviewer")
    assert role.base == "viewer" and list(role.extra_scopes) == ["report:create"]

    page.get_by_label("Name", exact=True).fill("reviewer")
    form = page.locator("section[aria-labelledby=new-role-heading] form")
    submit(page, form, "Create role", "/orgs/acme/roles/", 400)
    expect(page.locator("#id_name_error")).to_have_text("This organization already has a role named “reviewer”.")
    expect(page.locator("main table tbody tr", has_text="reviewer")).to_have_count(1)
    assert CustomRole.objects.filter(organization=org).count() == 1
    assert_no_js_errors(page)


# --- 3. System settings -------------------------------------------------------------------------


def test_system_admin_renames_the_site_and_gets_domain_errors(page, live_server):
    factories.user(username="root", is_superuser=True, is_staff=True)
    sign_in(page, "root", factories.PASSWORD)
    page.goto("/system/settings/")
    expect(page.get_by_role("heading", name="System settings")).to_be_visible()
    brand = page.locator(".site-header .brand")
    form = page.locator("section[aria-labelledby=site-heading] form")

    form.get_by_label("Site name").fill("Acme Lab Tracker")
    submit(page, form, "Save settings", "/system/settings/", 302)
    page.wait_for_url(f"{live_server.url}/system/settings/")
    expect(page.locator(".messages")).to_contain_text("The system settings were saved.")
    expect(brand).to_have_text("Acme Lab Tracker")
    expect(page).to_have_title("System settings · Acme Lab Tracker")

    form.get_by_label("Allowed email domains").fill("example.org\nnot a domain")
    submit(page, form, "Save settings", "/system/settings/", 400)
    expect(page.locator("#id_allowed_signup_domains_error")).to_have_text(
        "Not an email domain: not a domain. Write one per line, like example.org."
    )
    expect(brand).to_have_text("Acme Lab Tracker")  # the refused save changed nothing
    from core.models import SiteSettings

    SiteSettings.forget()
    assert SiteSettings.current().allowed_signup_domains == ""
    assert_no_js_errors(page)


# --- 4. Service accounts --------------------------------------------------------------------------


def test_service_account_key_shown_once_then_revoked_in_place(page, live_server):
    admin = factories.user(username="alice")
    team = setup_team(admin)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    sign_in(page, "alice", factories.PASSWORD)
    path = "/vision/settings/service-accounts/"
    page.goto(path)
    expect(page.locator("main")).to_contain_text("No service accounts yet.")

    form = page.locator("main form.form-inline")
    form.get_by_label("Name").fill("ci-bot")
    submit(page, form, "Create service account", path, 200)
    key = page.locator("#new-key-value")
    expect(key).to_be_visible()
    value = key.input_value()
    assert value.startswith("ts_"), value
    copy = page.locator("button[data-copy='#new-key-value']")
    expect(copy).to_have_text("Copy")
    copy.click()
    expect(copy).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == value
    account = ServiceAccount.objects.get(team=team, name="ci-bot")
    row = page.locator(f"#service-{account.user.username}")
    expect(row).to_contain_text("ci-bot")

    page.goto(path)  # shown once: a fresh load of the page no longer has it
    expect(page.locator("#new-key-value")).to_have_count(0)
    assert value not in page.content()
    mark_document(page)

    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    with page.expect_response(posted_to(f"{path}{account.user.username}/revoke/")) as answer:
        page.get_by_role("button", name="Revoke ci-bot").click()
    assert answer.value.status == 200, f"revoking answered {answer.value.status}"
    assert asked and asked[0].startswith("Revoke ci-bot?")
    expect(page.locator(f"#service-{account.user.username}")).to_have_count(0)
    assert_same_document(page, path)
    account.refresh_from_db()
    assert account.revoked_at is not None
    assert_no_js_errors(page)


# --- 5. General team settings ----------------------------------------------------------------------


def test_rename_the_team(page, live_server):
    admin = factories.user(username="alice")
    team = setup_team(admin)
    sign_in(page, "alice", factories.PASSWORD)
    page.goto("/vision/settings/")
    expect(page.locator(".page-header h1")).to_have_text("Vision settings")
    form = page.locator("section[aria-labelledby=general-heading] form")
    expect(form.get_by_label("Name")).to_have_value("Vision")

    form.get_by_label("Name").fill("Vision Research")
    submit(page, form, "Save", "/vision/settings/", 302)
    page.wait_for_url(f"{live_server.url}/vision/settings/")
    expect(page.locator(".messages")).to_contain_text("The team settings were saved.")
    expect(page.locator(".page-header h1")).to_have_text("Vision Research settings")
    expect(page.locator(".page-header .breadcrumbs")).to_contain_text("Vision Research")
    team.refresh_from_db()
    assert team.name == "Vision Research" and team.slug == "vision"
    assert_no_js_errors(page)


# --- 6. A project from creation to deletion ----------------------------------------------------------


def test_project_create_settings_and_delete(page, live_server):
    admin = factories.user(username="alice")
    team = setup_team(admin)
    sign_in(page, "alice", factories.PASSWORD)
    page.goto("/vision/projects/")
    expect(page.get_by_role("heading", name="No projects yet")).to_be_visible()

    form = page.locator("section[aria-labelledby=new-project-heading] form")
    form.get_by_label("Name").fill("vision-cnn")
    form.locator("input[name=visibility][value=public]").check()
    submit(page, form, "Create project", "/vision/projects/", 302)
    page.wait_for_url(f"{live_server.url}/vision/vision-cnn/")
    expect(page.locator(".messages")).to_contain_text("The project vision-cnn was created.")
    expect(page.get_by_role("heading", name="No runs yet")).to_be_visible()
    expect(page.locator(".empty-state .code-block")).to_contain_text('ts.init(project="vision-cnn"')
    project = Project.objects.get(team=team, name="vision-cnn")
    assert project.visibility == "public"

    settings_path = "/vision/vision-cnn/settings/"
    page.goto(settings_path)
    general = page.locator("section[aria-labelledby=general-heading] form")
    expect(general.locator("input[name=visibility][value=public]")).to_be_checked()
    general.locator("input[name=visibility][value=restricted]").check()
    submit(page, general, "Save", settings_path, 302)
    page.wait_for_url(f"{live_server.url}{settings_path}")
    expect(page.locator(".messages")).to_contain_text("The project settings were saved.")
    expect(general.locator("input[name=visibility][value=restricted]")).to_be_checked()
    project.refresh_from_db()
    assert project.visibility == "restricted"

    danger = page.locator("section[aria-labelledby=delete-heading] form")
    danger.locator("input[name=confirm]").fill("vision")
    submit(page, danger, "Delete project", settings_path, 400)
    expect(page.locator("#id_confirm_error")).to_have_text(
        "Type the project's name, “vision-cnn”, to delete it with all its runs."
    )
    assert Project.objects.filter(pk=project.pk).exists()

    danger.locator("input[name=confirm]").fill("vision-cnn")
    submit(page, danger, "Delete project", settings_path, 302)
    page.wait_for_url(f"{live_server.url}/vision/projects/")
    expect(page.locator(".messages")).to_contain_text("The project vision-cnn and all its runs were deleted.")
    expect(page.get_by_role("link", name="vision-cnn")).to_have_count(0)
    expect(page.get_by_role("heading", name="No projects yet")).to_be_visible()
    assert not Project.objects.filter(pk=project.pk).exists()
    assert_no_js_errors(page)


# --- 7. Keyboard: the skip link --------------------------------------------------------------------------


def test_skip_link_is_the_first_tab_stop(page, live_server):
    factories.user(username="alice")
    sign_in(page, "alice", factories.PASSWORD)
    page.goto("/settings/")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).not_to_be_in_viewport()  # tucked away until focused

    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()
    assert page.url == f"{live_server.url}/settings/#main"
    assert_no_js_errors(page)
