"""Team members in a real browser: an invitation from the email to the team,
role changes and removals in place (htmx), the last-admin refusal, and what a
view-only member sees.

Every test also checks that the browser logged no JavaScript error.
"""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import User
from teams import services
from teams.models import Invitation, Membership
from tests import factories
from tests.browser.conftest import htmx_settled, sign_in
from teams.policy import SYSTEM

pytestmark = pytest.mark.django_db(transaction=True)

MEMBERS = "/vision/settings/members/"
ACCEPT_LINK = re.compile(r"https?://[^\s]+/invitations/[^\s]+/")



# --- Helpers -------------------------------------------------------------------------


def setup_team(admin):
    org = services.organization_create(actor=SYSTEM, slug="acme", name="Acme", admin=admin)
    return services.team_create(organization=org, slug="vision", name="Vision", actor=SYSTEM, admin=admin)


def add_member(team, username, role="member", **fields):
    person = factories.user(username=username, **fields)
    services.org_member_set(actor=SYSTEM, organization=team.organization, user=person, role="member")
    services.member_add(actor=SYSTEM, team=team, user=person, role=role)
    return person


def role_of(team, user):
    membership = Membership.objects.filter(team=team, user=user).first()
    return membership.role if membership else None


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


# --- 1. An invitation, end to end ----------------------------------------------------------


def test_invitation_from_email_to_membership(page, browser, live_server, mailoutbox, settings):
    settings.SITE_URL = live_server.url  # emails link to the site's real address
    admin = factories.user(username="alice", display_name="Alice Admin")
    team = setup_team(admin)
    sign_in(page, "alice", factories.PASSWORD)
    page.goto(MEMBERS)
    expect(page.locator("#invitations-panel")).to_contain_text("No pending invitations.")
    mark_document(page)

    panel = page.locator("#invitations-panel")
    panel.locator("input[name=email]").fill("ivy@example.com")
    panel.locator("select[name=role]").select_option("viewer")
    with page.expect_response(posted_to(f"{MEMBERS}invite/")) as answer:
        panel.get_by_role("button", name="Send invitation").click()
    assert answer.value.status == 200
    expect(panel).to_contain_text("Invitation sent to ivy@example.com as viewer.")
    invitation = Invitation.objects.get(team=team)
    row = page.locator(f"#invitation-{invitation.pk}")
    expect(row).to_contain_text("ivy@example.com")
    expect(row).to_contain_text("viewer")
    assert_same_document(page, MEMBERS)
    expect(panel.locator("input[name=email]")).to_have_value("")  # a fresh form for the next one

    assert len(mailoutbox) == 1, "the invitation email was not sent on commit"
    message = mailoutbox[0]
    assert message.to == ["ivy@example.com"]
    assert "Vision" in message.subject
    link = ACCEPT_LINK.search(message.body)
    assert link, f"no invitation link in the email:\n{message.body}"
    accept_url = link.group(0)
    assert accept_url.startswith(live_server.url)

    guest = open_tab(browser, live_server)
    try:
        guest.goto(accept_url)
        expect(guest.get_by_role("heading", name="Join Vision")).to_be_visible()
        expect(guest.locator("main")).to_contain_text("as viewer")
        guest.get_by_role("link", name="Create an account").click()
        guest.wait_for_url("**/accounts/signup/**")
        # issue 13: the invited address is filled in and already proven by the invitation
        expect(guest.locator("input[name=email]")).to_have_value("ivy@example.com")
        guest.fill("input[name=username]", "ivy")
        guest.fill("input[name=password1]", factories.PASSWORD)
        guest.fill("input[name=password2]", factories.PASSWORD)
        guest.click("form.form button[type=submit]")
        # no second verification mail: the person lands in the team
        guest.wait_for_url(f"{live_server.url}/vision/")
        expect(guest.locator(".messages")).to_contain_text("Welcome to Vision! You joined as viewer.")
        assert len(mailoutbox) == 1
        ivy = User.objects.get(username="ivy")
        assert ivy.emailaddress_set.get(email="ivy@example.com").verified
        expect(guest.locator(".member-card", has_text="ivy")).to_contain_text("viewer")
        assert role_of(team, ivy) == "viewer"
        invitation.refresh_from_db()
        assert invitation.state == "accepted" and invitation.accepted_by == ivy
        assert_no_js_errors(guest)
    finally:
        guest.context.close()

    page.reload()
    member_row = page.locator("#member-ivy")
    expect(member_row).to_contain_text("ivy")
    expect(member_row.locator("select[name=role]")).to_have_value("viewer")
    expect(member_row.locator("select[name=role] option:checked")).to_have_text("View-only")
    expect(page.locator(f"#invitation-{invitation.pk}")).to_have_count(0)
    expect(page.locator("#invitations-panel")).to_contain_text("No pending invitations.")
    assert_no_js_errors(page)


# --- 2. Role changes in place -----------------------------------------------------------------


def test_role_change_saves_on_change_in_place(page):
    admin = factories.user(username="alice")
    team = setup_team(admin)
    bob = add_member(team, "bob", display_name="Bob B")
    carol = add_member(team, "carol", display_name="Carol C")
    sign_in(page, "alice", factories.PASSWORD)
    page.goto(MEMBERS)
    expect(page.locator("#single-admin-warning")).to_be_visible()
    # JavaScript is on: the no-JS Save buttons beside the selects are hidden
    expect(page.locator("#member-bob").get_by_role("button", name="Save")).to_be_hidden()
    page.wait_for_function("() => !!window.htmx && document.readyState === 'complete'")
    mark_document(page)

    with page.expect_response(posted_to(f"{MEMBERS}bob/role/")) as answer:
        page.select_option("#role-bob", "viewer")
    assert answer.value.status == 200, f"role change answered {answer.value.status}"
    htmx_settled(page)
    expect(page.locator("#role-bob")).to_have_value("viewer")
    assert role_of(team, bob) == "viewer"
    assert_same_document(page, MEMBERS)

    with page.expect_response(posted_to(f"{MEMBERS}carol/role/")) as answer:
        page.select_option("#role-carol", "admin")
    assert answer.value.status == 200, f"role change answered {answer.value.status}"
    htmx_settled(page)
    expect(page.locator("#single-admin-warning")).to_have_count(0)
    expect(page.locator("#role-carol")).to_have_value("admin")
    assert role_of(team, carol) == "admin"
    assert_same_document(page, MEMBERS)
    assert_no_js_errors(page)


# --- 3. Removal in place -------------------------------------------------------------------------


def test_remove_member_in_place(page):
    admin = factories.user(username="alice")
    team = setup_team(admin)
    bob = add_member(team, "bob", display_name="Bob B")
    sign_in(page, "alice", factories.PASSWORD)
    page.goto(MEMBERS)
    expect(page.locator("#member-bob")).to_be_visible()
    mark_document(page)

    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    with page.expect_response(posted_to(f"{MEMBERS}bob/remove/")) as answer:
        page.get_by_role("button", name="Remove Bob B from the team").click()
    assert asked and asked[0].startswith("Remove Bob B from Vision?")
    assert answer.value.status == 200, f"removal answered {answer.value.status}"
    expect(page.locator("#member-bob")).to_have_count(0)
    expect(page.locator("#member-alice")).to_be_visible()
    assert role_of(team, bob) is None
    assert User.objects.filter(pk=bob.pk, is_active=True).exists()
    assert_same_document(page, MEMBERS)
    assert_no_js_errors(page)


# --- 4. The last admin stays --------------------------------------------------------------------


def test_last_admin_is_refused_in_the_row(page):
    admin = factories.user(username="alice")
    team = setup_team(admin)
    add_member(team, "bob")
    sign_in(page, "alice", factories.PASSWORD)
    page.goto(MEMBERS)
    mark_document(page)
    row = page.locator("#member-alice")

    with page.expect_response(posted_to(f"{MEMBERS}alice/role/")) as answer:
        page.select_option("#role-alice", "member")
    assert answer.value.status == 409, f"the refused role change answered {answer.value.status}"
    expect(row.locator(".field-error")).to_contain_text("last admin")
    expect(page.locator("#role-alice")).to_have_value("admin")  # the select shows the truth again
    assert role_of(team, admin) == "admin"
    assert_same_document(page, MEMBERS)

    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_response(posted_to(f"{MEMBERS}alice/remove/")) as answer:
        row.get_by_role("button", name="Remove").click()
    assert answer.value.status == 409, f"the refused removal answered {answer.value.status}"
    expect(page.locator("#member-alice .field-error")).to_contain_text("last admin")
    assert role_of(team, admin) == "admin"
    assert_same_document(page, MEMBERS)
    assert_no_js_errors(page)


# --- 5. A view-only member -------------------------------------------------------------------------


def test_viewer_sees_members_but_not_settings(page):
    admin = factories.user(username="alice", display_name="Alice Admin")
    team = setup_team(admin)
    add_member(team, "vera", role="viewer", display_name="Vera V")
    sign_in(page, "vera", factories.PASSWORD)

    response = page.goto("/vision/")
    assert response.status == 200
    expect(page.get_by_role("heading", name="Vision", exact=True)).to_be_visible()
    expect(page.locator(".team-header")).to_contain_text("you are viewer")
    cards = page.locator(".member-card")
    expect(cards).to_have_count(2)
    expect(cards.filter(has_text="Alice Admin")).to_contain_text("admin")
    expect(cards.filter(has_text="Vera V")).to_contain_text("viewer")
    expect(page.get_by_role("link", name="Team settings")).to_have_count(0)
    expect(page.get_by_role("link", name="Invite people")).to_have_count(0)
    expect(page.get_by_role("link", name="Invite Team")).to_have_count(0)

    response = page.goto(MEMBERS)
    assert response.status == 403
    expect(page.locator("form[action$='/invite/']")).to_have_count(0)
    expect(page.locator("select[name=role]")).to_have_count(0)
    assert_no_js_errors(page)
