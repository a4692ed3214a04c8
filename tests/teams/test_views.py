"""Team pages through the Django test client: the members page's query count,
bad input answered with 400 and a sentence, progressive enhancement (plain
POST redirects with a message, htmx gets only the fragment) and every state of
an invitation link."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from allauth.account.models import EmailAddress
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from teams import services
from teams.models import CustomRole, Invitation, Membership, ServiceAccount, Team
from core.models import SiteSettings
from tests import factories
from teams.policy import SYSTEM

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
MEMBERS = "/vision/settings/members/"



# --- Set-up ----------------------------------------------------------------------------


@pytest.fixture
def admin(db):
    return factories.user(username="alice", display_name="Alice Admin")


@pytest.fixture
def org(admin):
    return services.organization_create(actor=SYSTEM, slug="acme", name="Acme", admin=admin)


@pytest.fixture
def team(org, admin):
    return services.team_create(organization=org, slug="vision", name="Vision", actor=SYSTEM, admin=admin)


def add_member(team, role="member", **user_fields):
    person = factories.user(**user_fields)
    services.org_member_set(actor=SYSTEM, organization=team.organization, user=person, role="member")
    services.member_add(actor=SYSTEM, team=team, user=person, role=role)
    return person


def invite(team, admin, email="invitee@example.com", role="viewer"):
    return services.member_invite(team=team, email=email, role=role, actor=admin, base_url="http://testserver/")


def invitation_path(created):
    return f"/invitations/{created.token}/"


def text_of(response):
    return response.content.decode()


def messages_after(client, response):
    """Follow a redirect and return the page it lands on."""
    assert response.status_code == 302, text_of(response)[:500]
    return text_of(client.get(response["Location"]))


@pytest.fixture
def admin_client(client, admin, team):
    client.force_login(admin)
    return client


# --- The members page stays at a fixed number of queries --------------------------------


def test_members_page_query_count_does_not_grow_with_members(admin_client, team, org):
    role = services.custom_role_create(actor=SYSTEM, organization=org, name="reviewer", base="viewer", scopes=["report:create"])
    for n in range(4):
        add_member(team, role="member" if n % 2 else "viewer")
    add_member(team, role=role.name)
    invite(team, team.memberships.get(role="admin").user)
    assert Membership.objects.filter(team=team).count() == 6  # the admin and five members
    admin_client.get(MEMBERS)  # warm the site-settings cache

    with CaptureQueriesContext(connection) as few:
        response = admin_client.get(MEMBERS)
    assert response.status_code == 200

    for n in range(195):
        add_member(team, role=["viewer", "member", "admin", role.name][n % 4])
    assert Membership.objects.filter(team=team).count() == 201
    with CaptureQueriesContext(connection) as many:
        response = admin_client.get(MEMBERS)
    assert response.status_code == 200
    assert text_of(response).count('<tr id="member-') == 201

    assert len(many.captured_queries) == len(few.captured_queries), "\n".join(
        query["sql"] for query in many.captured_queries
    )


# --- Bad input on pages: 400, a sentence, nothing created ---------------------------------


class TestInviteBadInput:
    @pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
    def test_invalid_address(self, admin_client, headers, mailoutbox):
        response = admin_client.post(f"{MEMBERS}invite/", {"email": "not-an-address", "role": "viewer"}, headers=headers)
        assert response.status_code == 400
        assert "Enter a valid email address" in text_of(response)
        assert not Invitation.objects.exists()
        assert mailoutbox == []

    @pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
    def test_address_of_an_existing_member(self, admin_client, team, headers, mailoutbox):
        member = add_member(team, email="bob@example.com")
        response = admin_client.post(f"{MEMBERS}invite/", {"email": "BOB@example.com", "role": "viewer"}, headers=headers)
        assert response.status_code == 400
        assert "already belongs to a member of Vision" in text_of(response)
        assert not Invitation.objects.exists()
        assert Membership.objects.get(team=team, user=member).role == "member"
        assert mailoutbox == []

    @pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
    def test_unknown_role(self, admin_client, headers, mailoutbox):
        response = admin_client.post(f"{MEMBERS}invite/", {"email": "new@example.com", "role": "owner"}, headers=headers)
        assert response.status_code == 400
        assert "Select a valid choice. owner is not one of the available choices." in text_of(response)
        assert not Invitation.objects.exists()
        assert mailoutbox == []

    def test_second_pending_invitation_to_the_same_address(self, admin_client, team, admin):
        invite(team, admin, email="carol@example.com")
        response = admin_client.post(f"{MEMBERS}invite/", {"email": "Carol@example.com", "role": "member"})
        assert response.status_code == 400
        assert "already has a pending invitation" in text_of(response)
        assert Invitation.objects.count() == 1

    def test_field_errors_keep_what_was_typed(self, admin_client):
        response = admin_client.post(f"{MEMBERS}invite/", {"email": "not-an-address", "role": "member"}, headers=HTMX)
        assert 'value="not-an-address"' in text_of(response)


class TestTeamCreationBadInput:
    @pytest.mark.parametrize("slug", ["settings", "api", "admin", "Settings"])
    def test_reserved_slug(self, admin_client, org, slug):
        response = admin_client.post("/teams/new/", {"organization": org.pk, "name": "Some team", "slug": slug})
        assert response.status_code == 400
        assert f"“{slug}” is a word the site uses itself; choose another name." in text_of(response)
        assert list(Team.objects.values_list("slug", flat=True)) == ["vision"]

    def test_taken_slug_in_another_case(self, admin_client, org):
        response = admin_client.post("/teams/new/", {"organization": org.pk, "name": "Vision again", "slug": "VISION"})
        assert response.status_code == 400
        assert "The team name “VISION” is taken." in text_of(response)
        assert Team.objects.count() == 1
        assert not Team.objects.filter(name="Vision again").exists()

    def test_good_slug_creates_the_team_and_sends_to_its_members_page(self, admin_client, org, admin):
        response = admin_client.post("/teams/new/", {"organization": org.pk, "name": "Speech", "slug": "speech"})
        assert response.status_code == 302
        assert response["Location"] == "/speech/settings/members/"
        assert "Speech is ready. Invite your colleagues." in messages_after(admin_client, response)
        assert Membership.objects.get(team__slug="speech").user == admin


class TestCustomRoleBadInput:
    def test_unknown_scope(self, admin_client, org):
        response = admin_client.post(
            "/orgs/acme/roles/", {"name": "reviewer", "base": "viewer", "scopes": ["report:create", "rocket:launch"]}
        )
        assert response.status_code == 400
        assert "rocket:launch is not one of the available choices" in text_of(response)
        assert not CustomRole.objects.exists()

    def test_built_in_name(self, admin_client, org):
        response = admin_client.post("/orgs/acme/roles/", {"name": "admin", "base": "viewer"})
        assert response.status_code == 400
        assert "is a built-in role; choose another name." in text_of(response)
        assert not CustomRole.objects.exists()


class TestSystemSettingsBadInput:
    def test_bad_domain_line(self, client, superuser):
        before = SiteSettings.current()
        client.force_login(superuser)
        response = client.post(
            "/system/settings/",
            {"site_name": "Renamed", "open_signup": "on", "allowed_signup_domains": "example.org\nnot a domain\n"},
        )
        assert response.status_code == 400
        assert "Not an email domain: not a domain. Write one per line, like example.org." in text_of(response)
        SiteSettings.forget()
        after = SiteSettings.current()
        assert after.site_name == before.site_name != "Renamed"
        assert after.allowed_signup_domains == ""

    def test_only_system_admins(self, admin_client):
        assert admin_client.get("/system/settings/").status_code == 403


# --- Progressive enhancement: plain POST redirects with a message, htmx gets a fragment ---


class TestPlainPostsRedirectWithAMessage:
    def test_invite(self, admin_client, django_capture_on_commit_callbacks, mailoutbox):
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(f"{MEMBERS}invite/", {"email": "dan@example.com", "role": "viewer"})
        assert response["Location"] == MEMBERS
        page = messages_after(admin_client, response)
        assert "Invitation sent to dan@example.com." in page
        assert "dan@example.com" in page  # now listed as pending
        invitation = Invitation.objects.get()
        assert (invitation.email, invitation.role, invitation.state) == ("dan@example.com", "viewer", "pending")
        assert [m.to for m in mailoutbox] == [["dan@example.com"]]
        assert re.search(re.escape(settings.SITE_URL) + r"/invitations/[\w-]+/", mailoutbox[0].body)  # the site's real address

    def test_revoke_invitation(self, admin_client, team, admin):
        created = invite(team, admin)
        response = admin_client.post(f"/vision/settings/invitations/{created.invitation.pk}/revoke/")
        assert response["Location"] == MEMBERS
        assert "The invitation to invitee@example.com was revoked." in messages_after(admin_client, response)
        created.invitation.refresh_from_db()
        assert created.invitation.state == "revoked"

    def test_revoking_an_accepted_invitation_says_only_why_not(self, admin_client, team, admin):
        created = invite(team, admin)
        invitee = factories.user(email="invitee@example.com")
        services.invitation_accept(invitation=created.invitation, actor=invitee)
        response = admin_client.post(f"/vision/settings/invitations/{created.invitation.pk}/revoke/")
        page = messages_after(admin_client, response)
        assert "That invitation is already accepted." in page
        assert "was revoked" not in page

    def test_add_organization_member(self, admin_client, team, org):
        person = factories.user(username="erin")
        services.org_member_set(actor=SYSTEM, organization=org, user=person, role="member")
        response = admin_client.post(f"{MEMBERS}add/", {"user": person.pk, "role": "member"})
        assert response["Location"] == MEMBERS
        assert "erin joined Vision as member." in messages_after(admin_client, response)
        assert Membership.objects.get(team=team, user=person).role == "member"

    def test_add_someone_outside_the_organization_is_refused(self, admin_client, team, org):
        services.org_member_set(actor=SYSTEM, organization=org, user=factories.user(username="frank"), role="member")
        stranger = factories.user(username="stranger")
        response = admin_client.post(f"{MEMBERS}add/", {"user": stranger.pk, "role": "member"})
        assert response.status_code == 400
        assert "Select a valid choice. That choice is not one of the available choices." in text_of(response)
        assert not Membership.objects.filter(team=team, user=stranger).exists()

    def test_refused_add_always_says_why(self, admin_client, team, org):
        frank = factories.user(username="frank")
        services.org_member_set(actor=SYSTEM, organization=org, user=frank, role="member")
        services.member_add(actor=SYSTEM, team=team, user=frank, role="member")  # someone else was quicker
        response = admin_client.post(f"{MEMBERS}add/", {"user": frank.pk, "role": "viewer"})
        assert response.status_code == 400
        assert "Select a valid choice" in text_of(response)
        assert Membership.objects.get(team=team, user=frank).role == "member"

    def test_change_role(self, admin_client, team):
        bob = add_member(team, username="bob")
        response = admin_client.post(f"{MEMBERS}bob/role/", {"role": "viewer"})
        assert response["Location"] == MEMBERS
        assert "bob is now viewer." in messages_after(admin_client, response)
        assert Membership.objects.get(team=team, user=bob).role == "viewer"

    def test_last_admin_cannot_step_down(self, admin_client, team, admin):
        response = admin_client.post(f"{MEMBERS}alice/role/", {"role": "member"})
        assert response["Location"] == MEMBERS
        assert "alice is the last admin of Vision; make someone else an admin first." in messages_after(
            admin_client, response
        )
        assert Membership.objects.get(team=team, user=admin).role == "admin"

    def test_remove_member(self, admin_client, team):
        bob = add_member(team, username="bob")
        response = admin_client.post(f"{MEMBERS}bob/remove/")
        assert response["Location"] == MEMBERS
        assert "bob was removed from Vision. What they made stays in the team." in messages_after(admin_client, response)
        assert not Membership.objects.filter(team=team, user=bob).exists()
        assert User.objects.filter(pk=bob.pk).exists()

    def test_last_admin_cannot_remove_themselves(self, admin_client, team, admin):
        response = admin_client.post(f"{MEMBERS}alice/remove/")
        assert response["Location"] == MEMBERS
        assert "alice is the last admin of Vision" in messages_after(admin_client, response)
        assert Membership.objects.filter(team=team, user=admin, role="admin").exists()

    def test_general_settings(self, admin_client, team):
        response = admin_client.post("/vision/settings/", {"name": "Vision Research"})
        assert response["Location"] == "/vision/settings/"
        assert "The team settings were saved." in messages_after(admin_client, response)
        team.refresh_from_db()
        assert team.name == "Vision Research"

    def test_revoke_service_account(self, admin_client, team, admin):
        created = services.service_account_create(team=team, name="nightly", actor=admin)
        username = created.service_account.user.username
        response = admin_client.post(f"/vision/settings/service-accounts/{username}/revoke/")
        assert response["Location"] == "/vision/settings/service-accounts/"
        assert "The service account nightly was revoked" in messages_after(admin_client, response)
        assert ServiceAccount.objects.get().revoked_at is not None

    def test_create_and_delete_custom_role(self, admin_client, org):
        response = admin_client.post("/orgs/acme/roles/", {"name": "reviewer", "base": "viewer", "scopes": ["report:create"]})
        assert response["Location"] == "/orgs/acme/roles/"
        assert "The role reviewer was created; team admins can assign it now." in messages_after(admin_client, response)
        assert CustomRole.objects.get().extra_scopes == ["report:create"]
        response = admin_client.post("/orgs/acme/roles/reviewer/delete/")
        assert response["Location"] == "/orgs/acme/roles/"
        assert "The role reviewer was deleted." in messages_after(admin_client, response)
        assert not CustomRole.objects.exists()

    def test_system_settings(self, client, superuser):
        client.force_login(superuser)
        response = client.post(
            "/system/settings/", {"site_name": "Lab Portal", "open_signup": "on", "allowed_signup_domains": "@Example.org\n"}
        )
        assert response["Location"] == "/system/settings/"
        assert "The system settings were saved." in messages_after(client, response)
        SiteSettings.forget()
        assert SiteSettings.current().allowed_signup_domains == "example.org"


def assert_fragment(response, starts_with):
    html = text_of(response)
    assert "<html" not in html
    assert "<body" not in html
    assert html.lstrip().startswith(starts_with), html[:300]
    return html


class TestHtmxGetsOnlyTheFragment:
    def test_invite(self, admin_client, django_capture_on_commit_callbacks, mailoutbox):
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(f"{MEMBERS}invite/", {"email": "dan@example.com", "role": "viewer"}, headers=HTMX)
        assert response.status_code == 200
        html = assert_fragment(response, '<div id="invitations-panel">')
        assert "Invitation sent to <strong>dan@example.com</strong> as viewer." in html
        invitation = Invitation.objects.get()
        assert f'id="invitation-{invitation.pk}"' in html
        assert len(mailoutbox) == 1

    def test_invalid_invite_is_a_fragment_too(self, admin_client):
        response = admin_client.post(f"{MEMBERS}invite/", {"email": "nope", "role": "viewer"}, headers=HTMX)
        assert response.status_code == 400
        assert_fragment(response, '<div id="invitations-panel">')

    def test_revoke_invitation(self, admin_client, team, admin):
        created = invite(team, admin)
        response = admin_client.post(f"/vision/settings/invitations/{created.invitation.pk}/revoke/", headers=HTMX)
        assert response.status_code == 200
        html = assert_fragment(response, '<div id="invitations-panel">')
        assert f'id="invitation-{created.invitation.pk}"' not in html
        assert "No pending invitations." in html

    def test_change_role(self, admin_client, team):
        bob = add_member(team, username="bob")
        response = admin_client.post(f"{MEMBERS}bob/role/", {"role": "viewer"}, headers=HTMX)
        assert response.status_code == 200
        html = assert_fragment(response, '<section class="card section" id="members-panel"')
        assert Membership.objects.get(team=team, user=bob).role == "viewer"
        assert re.search(r'<option value="viewer" selected>', html)

    def test_last_admin_refusal_in_the_row(self, admin_client, team, admin):
        response = admin_client.post(f"{MEMBERS}alice/role/", {"role": "member"}, headers=HTMX)
        assert response.status_code == 409
        html = assert_fragment(response, '<section class="card section" id="members-panel"')
        assert "alice is the last admin of Vision" in html
        assert Membership.objects.get(team=team, user=admin).role == "admin"

    def test_remove_member(self, admin_client, team):
        bob = add_member(team, username="bob")
        response = admin_client.post(f"{MEMBERS}bob/remove/", headers=HTMX)
        assert response.status_code == 200
        html = assert_fragment(response, '<section class="card section" id="members-panel"')
        assert 'id="member-bob"' not in html
        assert not Membership.objects.filter(team=team, user=bob).exists()

    def test_revoke_service_account(self, admin_client, team, admin):
        created = services.service_account_create(team=team, name="nightly", actor=admin)
        username = created.service_account.user.username
        response = admin_client.post(f"/vision/settings/service-accounts/{username}/revoke/", headers=HTMX)
        assert response.status_code == 200
        assert text_of(response) == ""  # the row is swapped for nothing
        assert ServiceAccount.objects.get().revoked_at is not None


# --- Invitation links ---------------------------------------------------------------------


class TestInvitationPage:
    def test_valid_link_signed_out_offers_sign_up_and_sign_in(self, client, team, admin):
        created = invite(team, admin)
        response = client.get(invitation_path(created))
        assert response.status_code == 200
        html = text_of(response)
        assert "Join Vision" in html
        assert "Create an account" in html and "Sign in" in html
        assert f'href="/accounts/signup/?email={created.invitation.email.replace("@", "%40")}"' in html  # prefilled

    def test_unknown_token(self, client, team):
        response = client.get("/invitations/not-a-real-token/")
        assert response.status_code == 404
        assert "This invitation link is not valid." in text_of(response)

    def test_expired(self, client, team, admin):
        created = invite(team, admin)
        Invitation.objects.filter(pk=created.invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
        response = client.get(invitation_path(created))
        assert response.status_code == 404
        html = text_of(response)
        assert "This invitation has expired (links last 7 days). Ask the team admin for a new one." in html
        assert "Accept and join" not in html

    def test_revoked(self, client, team, admin):
        created = invite(team, admin)
        services.invitation_revoke(actor=SYSTEM, invitation=created.invitation)
        response = client.get(invitation_path(created))
        assert response.status_code == 404
        assert "This invitation was revoked by a team admin." in text_of(response)

    def test_already_accepted(self, client, team, admin):
        created = invite(team, admin)
        invitee = factories.user(email="invitee@example.com")
        services.invitation_accept(invitation=created.invitation, actor=invitee)
        client.force_login(invitee)
        response = client.get(invitation_path(created))
        assert response.status_code == 404
        assert "This invitation was already accepted." in text_of(response)
        # and a second accept does nothing
        assert client.post(invitation_path(created)).status_code == 404
        assert Membership.objects.filter(team=team, user=invitee).count() == 1

    def test_wrong_account(self, client, team, admin):
        created = invite(team, admin)
        other = factories.user(email="someone-else@example.com")
        client.force_login(other)
        response = client.get(invitation_path(created))
        assert response.status_code == 403
        html = text_of(response)
        assert "This invitation was sent to invitee@example.com. Add and verify that address on your account" in html
        assert "Accept and join" not in html
        response = client.post(invitation_path(created))
        assert response.status_code == 403
        assert not Membership.objects.filter(team=team, user=other).exists()
        created.invitation.refresh_from_db()
        assert created.invitation.state == "pending"

    def test_unverified_matching_address_is_the_wrong_account_too(self, client, team, admin):
        created = invite(team, admin)
        other = factories.user(email="invitee@example.com", verified=False)
        assert not EmailAddress.objects.get(user=other).verified
        client.force_login(other)
        assert client.get(invitation_path(created)).status_code == 403
        assert client.post(invitation_path(created)).status_code == 403
        assert not Membership.objects.filter(team=team, user=other).exists()

    def test_already_a_member(self, client, team, admin):
        bob = add_member(team, username="bob", email="bob@example.com")
        created = invite(team, admin, email="bob-work@example.com")
        EmailAddress.objects.create(user=bob, email="bob-work@example.com", verified=True, primary=False)
        client.force_login(bob)
        response = client.get(invitation_path(created))
        assert response.status_code == 409
        html = text_of(response)
        assert "You are already a member of Vision." in html
        assert 'href="/vision/"' in html
        assert client.post(invitation_path(created)).status_code == 409

    def test_accept(self, client, team, admin):
        created = invite(team, admin, role="viewer")
        invitee = factories.user(username="ivy", email="Invitee@Example.com")
        client.force_login(invitee)
        page = client.get(invitation_path(created))
        assert page.status_code == 200
        assert "Accept and join Vision" in text_of(page)
        response = client.post(invitation_path(created))
        assert response.status_code == 302
        assert response["Location"] == "/vision/"
        assert "Welcome to Vision! You joined as viewer." in messages_after(client, response)
        assert Membership.objects.get(team=team, user=invitee).role == "viewer"
        created.invitation.refresh_from_db()
        assert created.invitation.accepted_by == invitee

    def test_accept_signed_out_asks_to_sign_in(self, client, team, admin):
        created = invite(team, admin)
        response = client.post(invitation_path(created))
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=/invitations/")
        assert not Membership.objects.filter(team=team).exclude(user=admin).exists()


class TestInviteOnlySite:
    def test_invitation_link_opens_sign_up_for_that_browser_only(self, client, team, admin, settings, mailoutbox):
        settings.OPEN_SIGNUP = False
        created = invite(team, admin)
        assert "Sign Up Closed" in text_of(client.get("/accounts/signup/"))

        assert client.get(invitation_path(created)).status_code == 200
        signup = client.get("/accounts/signup/")
        assert signup.status_code == 200
        assert "Sign Up Closed" not in text_of(signup)
        assert 'name="email"' in text_of(signup)

        fresh = Client()
        assert "Sign Up Closed" in text_of(fresh.get("/accounts/signup/"))
        fresh.post(
            "/accounts/signup/",
            {"email": "gate@example.com", "username": "gatecrasher", "password1": "a-long-secret-77", "password2": "a-long-secret-77"},
        )
        assert not User.objects.filter(username="gatecrasher").exists()

        response = client.post(
            "/accounts/signup/",
            {"email": "invitee@example.com", "username": "ivy", "password1": "a-long-secret-77", "password2": "a-long-secret-77"},
        )
        assert response.status_code == 302
        assert User.objects.filter(username="ivy", email="invitee@example.com").exists()

    def test_signing_up_from_the_invitation_verifies_the_address_and_joins_the_team(self, client, team, admin, mailoutbox):
        """Issue 13: no second verification mail; the person lands in the team."""
        created = invite(team, admin)
        client.get(invitation_path(created))
        signup = text_of(client.get(f"/accounts/signup/?email={created.invitation.email}"))
        assert f'value="{created.invitation.email}"' in signup
        mailoutbox.clear()
        response = client.post(
            "/accounts/signup/",
            {"email": created.invitation.email, "username": "ivy2", "password1": "a-long-secret-77", "password2": "a-long-secret-77"},
        )
        assert response.status_code == 302 and response["Location"] == f"/{team.slug}/"
        ivy = User.objects.get(username="ivy2")
        assert ivy.emailaddress_set.get().verified
        assert mailoutbox == []  # no verification mail: the invitation already reached that address
        assert team.memberships.filter(user=ivy).exists()
        assert "Welcome to Vision!" in text_of(client.get(response["Location"]))

    def test_dead_invitation_does_not_open_sign_up(self, client, team, admin, settings):
        settings.OPEN_SIGNUP = False
        created = invite(team, admin)
        services.invitation_revoke(actor=SYSTEM, invitation=created.invitation)
        assert client.get(invitation_path(created)).status_code == 404
        assert "Sign Up Closed" in text_of(client.get("/accounts/signup/"))

    def test_sign_up_closes_again_when_the_invitation_is_revoked(self, client, team, admin, settings):
        settings.OPEN_SIGNUP = False
        created = invite(team, admin)
        client.get(invitation_path(created))
        assert "Sign Up Closed" not in text_of(client.get("/accounts/signup/"))
        services.invitation_revoke(actor=SYSTEM, invitation=created.invitation)
        assert "Sign Up Closed" in text_of(client.get("/accounts/signup/"))
