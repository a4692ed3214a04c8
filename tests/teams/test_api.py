"""The organization, team and member endpoints of spec/api.md ("Organizations, teams, members")."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from teams import policy, roles, services
from teams.models import CustomRole, Invitation, Membership, Organization, OrganizationMember, Team
from tests import factories
from teams.policy import SYSTEM

pytestmark = pytest.mark.django_db

PUBLIC_PROFILE_FIELDS = {"slug", "name", "intro", "intro_html", "links", "projects_stay_inside"}
# The viewer column of spec/permissions.md, written out by hand.
VIEWER_SCOPES_FROM_SPEC = {
    "team:view",
    "run:view",
    "report:view",
    "report:follow",
    "report:comment",
    "artifact:view",
    "registry:view",
    "registry:download",
}


@pytest.fixture
def org(db):
    return services.organization_create(actor=SYSTEM, slug="acme", name="Acme")


@pytest.fixture
def team_admin(db):
    return factories.user(username="ada-admin")


@pytest.fixture
def team(org, team_admin):
    return services.team_create(organization=org, slug="lab", name="Lab", actor=SYSTEM, admin=team_admin)


@pytest.fixture
def join(org):
    """join(team, role, **user_fields) -> a new person, in the organization and in the team with `role`."""

    def make(team, role, **fields):
        person = factories.user(**fields)
        services.org_member_set(actor=SYSTEM, organization=org, user=person, role="member")
        services.member_add(actor=SYSTEM, team=team, user=person, role=role)
        return person

    return make


@pytest.fixture
def org_person(org):
    """An organization member who is in no team."""
    person = factories.user(username="cora-candidate")
    services.org_member_set(actor=SYSTEM, organization=org, user=person, role="member")
    return person


def error_of(response, status=None):
    if status is not None:
        assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]


def as_user(person):
    return factories.ApiClient(Client()).as_user(person)


def role_of(team, person):
    return Membership.objects.filter(team=team, user=person).values_list("role", "custom_role__name", "registry_admin").first()


# --- Organizations ----------------------------------------------------------------------


class TestOrganizations:
    def test_system_admin_creates_an_organization(self, api_client, superuser):
        response = api_client.as_user(superuser).post("/api/v1/organizations", {"slug": "acme", "name": "Acme Corp"})
        assert response.status_code == 201
        assert response.json()["slug"] == "acme" and response.json()["name"] == "Acme Corp"
        assert Organization.objects.get(slug="acme").name == "Acme Corp"

    def test_taken_slug_is_refused_whatever_the_case(self, api_client, superuser, org):
        response = api_client.as_user(superuser).post("/api/v1/organizations", {"slug": "ACME", "name": "Again"})
        assert "slug" in error_of(response, 400)["fields"]
        assert Organization.objects.count() == 1

    def test_anyone_else_is_403(self, api_client, user):
        error = error_of(api_client.as_user(user).post("/api/v1/organizations", {"slug": "x", "name": "X"}), 403)
        assert error["code"] == "forbidden" and "system:create_organization" in error["message"]
        assert not Organization.objects.exists()

    def test_system_admin_sets_an_org_role_and_the_new_org_admin_creates_teams(self, api_client, superuser, org, user):
        response = api_client.as_user(superuser).put(f"/api/v1/organizations/acme/members/{user.username}", {"role": "admin"})
        assert response.status_code == 200
        assert response.json() == {"username": user.username, "role": "admin"}
        assert OrganizationMember.objects.get(organization=org, user=user).role == "admin"
        created = as_user(user).post("/api/v1/organizations/acme/teams", {"slug": "vision", "name": "Vision"})
        assert created.status_code == 201

    def test_org_admin_sets_roles_and_a_plain_member_may_not(self, org):
        boss, plain, other = factories.user(), factories.user(), factories.user()
        services.org_member_set(actor=SYSTEM, organization=org, user=boss, role="admin")
        services.org_member_set(actor=SYSTEM, organization=org, user=plain, role="member")
        assert as_user(boss).put(f"/api/v1/organizations/acme/members/{other.username}", {"role": "member"}).status_code == 200
        error = error_of(as_user(plain).put(f"/api/v1/organizations/acme/members/{other.username}", {"role": "admin"}), 403)
        assert "org:manage_members" in error["message"]
        assert OrganizationMember.objects.get(organization=org, user=other).role == "member"

    def test_unknown_org_role_is_400(self, api_client, superuser, org, user):
        response = api_client.as_user(superuser).put(f"/api/v1/organizations/acme/members/{user.username}", {"role": "owner"})
        assert "role" in error_of(response, 400)["fields"]
        assert not OrganizationMember.objects.filter(user=user).exists()


# --- Creating teams -------------------------------------------------------------------------


class TestCreateTeam:
    @pytest.fixture
    def org_admin(self, org):
        person = factories.user(username="olga")
        services.org_member_set(actor=SYSTEM, organization=org, user=person, role="admin")
        return person

    def test_creator_becomes_admin(self, org_admin):
        api = as_user(org_admin)
        response = api.post("/api/v1/organizations/acme/teams", {"slug": "Vision.Lab", "name": "Vision Lab"})
        assert response.status_code == 201
        body = response.json()
        assert body["slug"] == "Vision.Lab" and body["name"] == "Vision Lab" and body["role"] == "admin"
        members = api.get("/api/v1/teams/Vision.Lab/members").json()["results"]
        assert [(m["username"], m["role"]) for m in members] == [("olga", "admin")]

    def test_system_admin_creates_a_team_and_becomes_its_admin(self, api_client, superuser, org):
        response = api_client.as_user(superuser).post("/api/v1/organizations/acme/teams", {"slug": "ops", "name": "Ops"})
        assert response.status_code == 201
        assert Membership.objects.get(team__slug="ops", user=superuser).role == "admin"

    @pytest.mark.parametrize("slug", ["admin", "settings", "api", "Admin", "API", "teams", "system"])
    def test_reserved_slugs_are_refused(self, org_admin, slug):
        response = as_user(org_admin).post("/api/v1/organizations/acme/teams", {"slug": slug, "name": "Nope"})
        error = error_of(response, 400)
        assert error["code"] == "invalid" and "slug" in error["fields"]
        assert not Team.objects.exists()

    @pytest.mark.parametrize("slug", ["lab", "LAB", "Lab"])
    def test_taken_slug_is_refused_whatever_the_case(self, org_admin, team, slug):
        response = as_user(org_admin).post("/api/v1/organizations/acme/teams", {"slug": slug, "name": "Again"})
        assert "slug" in error_of(response, 400)["fields"]
        assert Team.objects.count() == 1

    @pytest.mark.parametrize("slug", ["has space", "x" * 65, "", "a/b"])
    def test_malformed_slugs_are_refused(self, org_admin, slug):
        response = as_user(org_admin).post("/api/v1/organizations/acme/teams", {"slug": slug, "name": "Nope"})
        assert "slug" in error_of(response, 400)["fields"]
        assert not Team.objects.exists()


# --- The team's profile and settings -------------------------------------------------------


class TestTeamProfile:
    def test_anonymous_sees_the_public_profile(self, api_client, team):
        services.team_update(actor=SYSTEM, team=team, intro="We *train* models.", links=[{"label": "Home", "url": "https://lab.example.org"}])
        response = api_client.get("/api/v1/teams/lab")
        assert response.status_code == 200
        body = response.json()
        assert PUBLIC_PROFILE_FIELDS <= set(body)
        assert body["slug"] == "lab" and body["name"] == "Lab"
        assert body["intro"] == "We *train* models."
        assert "<em>train</em>" in body["intro_html"]
        assert body["links"] == [{"label": "Home", "url": "https://lab.example.org"}]
        assert body["projects_stay_inside"] is False
        assert "role" not in body

    def test_a_member_with_a_key_sees_their_role(self, team, join):
        body = as_user(join(team, "member")).get("/api/v1/teams/lab").json()
        assert PUBLIC_PROFILE_FIELDS <= set(body)
        assert body["role"] == "member"

    def test_unknown_team_is_404(self, api_client, user):
        assert error_of(api_client.as_user(user).get("/api/v1/teams/nope"), 404)["code"] == "not_found"

    def test_unknown_team_is_401_to_a_caller_without_a_key(self, api_client, db):
        assert error_of(api_client.get("/api/v1/teams/nope"), 401)["code"] == "unauthenticated"


class TestPatchTeam:
    def test_admin_changes_name_intro_links_and_privacy(self, team, team_admin):
        response = as_user(team_admin).patch(
            "/api/v1/teams/lab",
            {
                "name": "Vision Lab",
                "intro": "# About\n\n**bold** <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>",
                "links": [{"label": "Site", "url": "https://lab.example.org"}, {"label": "", "url": "http://blog.example.org/x"}],
                "projects_stay_inside": True,
            },
        )
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["name"] == "Vision Lab"
        html = body["intro_html"]
        assert "<strong>bold</strong>" in html and "<h1" in html
        assert "<script" not in html and "javascript:" not in html and "onerror" not in html
        assert body["links"][0] == {"label": "Site", "url": "https://lab.example.org"}
        assert body["links"][1]["url"] == "http://blog.example.org/x"
        assert body["projects_stay_inside"] is True
        team.refresh_from_db()
        assert team.name == "Vision Lab" and team.projects_stay_inside is True and len(team.links) == 2

    @pytest.mark.parametrize(
        "url", ["javascript:alert(1)", "example.com", "www.example.com/page", "ftp://example.com/x", "data:text/html,hi", ""]
    )
    def test_non_http_links_are_refused_and_nothing_changes(self, team, team_admin, url):
        before = Team.objects.values("name", "intro", "links").get(pk=team.pk)
        response = as_user(team_admin).patch(
            "/api/v1/teams/lab", {"name": "Changed", "intro": "changed", "links": [{"label": "x", "url": url}]}
        )
        error = error_of(response, 400)
        assert error["code"] == "invalid" and "links" in error["fields"]
        assert Team.objects.values("name", "intro", "links").get(pk=team.pk) == before

    def test_an_intro_of_50000_characters_is_accepted(self, team, team_admin):
        assert as_user(team_admin).patch("/api/v1/teams/lab", {"intro": "a" * 50_000}).status_code == 200
        team.refresh_from_db()
        assert team.intro == "a" * 50_000

    def test_an_intro_over_50000_characters_is_400_and_nothing_changes(self, team, team_admin):
        response = as_user(team_admin).patch("/api/v1/teams/lab", {"name": "Changed", "intro": "b" * 50_001})
        assert "intro" in error_of(response, 400)["fields"]
        team.refresh_from_db()
        assert team.intro == "" and team.name == "Lab"

    def test_a_member_may_not(self, team, join):
        error = error_of(as_user(join(team, "member")).patch("/api/v1/teams/lab", {"name": "Mine"}), 403)
        assert "team:manage" in error["message"]
        team.refresh_from_db()
        assert team.name == "Lab"


# --- Members ----------------------------------------------------------------------------------


class TestMembers:
    def test_list_shape(self, team, team_admin, join):
        services.custom_role_create(actor=SYSTEM, organization=team.organization, name="reviewer", base="viewer", scopes=["report:create"])
        viewer = join(team, "viewer", username="vera")
        join(team, "reviewer", username="rex")
        bot = services.service_account_create(team=team, name="ci", actor=team_admin)
        response = as_user(viewer).get("/api/v1/teams/lab/members")
        assert response.status_code == 200
        body = response.json()
        assert body["next"] is None
        rows = {row["username"]: row for row in body["results"]}
        for row in rows.values():
            assert {"username", "role", "registry_admin", "is_service"} <= set(row)
        assert rows["ada-admin"]["role"] == "admin" and rows["ada-admin"]["is_service"] is False
        assert rows["vera"]["role"] == "viewer" and rows["vera"]["registry_admin"] is False
        assert rows["rex"]["role"] == "reviewer"
        bot_row = rows[bot.service_account.user.username]
        assert bot_row["role"] == "service" and bot_row["is_service"] is True

    def test_add_an_org_member_with_a_role(self, team, team_admin, org_person):
        response = as_user(team_admin).put(f"/api/v1/teams/lab/members/{org_person.username}", {"role": "viewer"})
        assert response.status_code == 200
        body = response.json()
        assert body["username"] == org_person.username and body["role"] == "viewer" and body["registry_admin"] is False
        assert role_of(team, org_person) == ("viewer", None, False)

    def test_adding_someone_outside_the_organization_is_400(self, team, team_admin, user):
        response = as_user(team_admin).put(f"/api/v1/teams/lab/members/{user.username}", {"role": "member"})
        assert "username" in error_of(response, 400)["fields"]
        assert role_of(team, user) is None

    def test_a_new_member_needs_a_role(self, team, team_admin, org_person):
        response = as_user(team_admin).put(f"/api/v1/teams/lab/members/{org_person.username}", {})
        assert "role" in error_of(response, 400)["fields"]
        assert role_of(team, org_person) is None

    @pytest.mark.parametrize("role", ["owner", "service", "custom", "Admin"])
    def test_unknown_role_is_400_and_lists_the_choices(self, team, team_admin, org_person, role):
        services.custom_role_create(actor=SYSTEM, organization=team.organization, name="reviewer", base="viewer", scopes=["report:create"])
        response = as_user(team_admin).put(f"/api/v1/teams/lab/members/{org_person.username}", {"role": role})
        error = error_of(response, 400)
        assert "role" in error["fields"]
        message = " ".join(error["fields"]["role"])
        for choice in ("admin", "member", "viewer", "reviewer"):
            assert choice in message
        assert role_of(team, org_person) is None

    def test_unknown_user_is_404(self, team, team_admin):
        assert error_of(as_user(team_admin).put("/api/v1/teams/lab/members/ghost", {"role": "member"}), 404)

    def test_role_change(self, team, team_admin, join):
        person = join(team, "member")
        response = as_user(team_admin).put(f"/api/v1/teams/lab/members/{person.username}", {"role": "admin"})
        assert response.status_code == 200 and response.json()["role"] == "admin"
        assert role_of(team, person) == ("admin", None, False)

    def test_a_member_may_not_change_roles(self, team, join):
        person, other = join(team, "member"), join(team, "member")
        error = error_of(as_user(person).put(f"/api/v1/teams/lab/members/{other.username}", {"role": "admin"}), 403)
        assert "team:manage" in error["message"]
        assert role_of(team, other) == ("member", None, False)

    def test_a_registry_admin_who_is_not_a_team_admin_sets_the_flag_alone(self, team, join):
        registrar, other = join(team, "member"), join(team, "member")
        services.member_change_role(actor=SYSTEM, membership=Membership.objects.get(team=team, user=registrar), registry_admin=True)
        api = as_user(registrar)
        response = api.put(f"/api/v1/teams/lab/members/{other.username}", {"registry_admin": True})
        assert response.status_code == 200, response.content
        assert response.json()["registry_admin"] is True
        assert role_of(team, other) == ("member", None, True)
        # the flag gives registry:manage_admins, not team:manage
        error = error_of(api.put(f"/api/v1/teams/lab/members/{other.username}", {"role": "admin"}), 403)
        assert "team:manage" in error["message"]
        assert role_of(team, other) == ("member", None, True)

    def test_a_viewer_cannot_be_a_registry_admin(self, team, team_admin, join):
        viewer = join(team, "viewer")
        response = as_user(team_admin).put(f"/api/v1/teams/lab/members/{viewer.username}", {"registry_admin": True})
        assert "registry_admin" in error_of(response, 400)["fields"]
        assert role_of(team, viewer) == ("viewer", None, False)

    def test_demoting_a_registry_admin_to_viewer_is_refused(self, team, team_admin, join):
        person = join(team, "member")
        api = as_user(team_admin)
        assert api.put(f"/api/v1/teams/lab/members/{person.username}", {"registry_admin": True}).status_code == 200
        response = api.put(f"/api/v1/teams/lab/members/{person.username}", {"role": "viewer"})
        assert "registry_admin" in error_of(response, 400)["fields"]
        assert role_of(team, person) == ("member", None, True)

    def test_the_last_admin_cannot_be_demoted(self, team, team_admin):
        response = as_user(team_admin).put(f"/api/v1/teams/lab/members/{team_admin.username}", {"role": "member"})
        error = error_of(response, 409)
        assert error["code"] == "conflict" and error["message"]
        assert role_of(team, team_admin) == ("admin", None, False)

    def test_the_last_admin_cannot_be_removed(self, team, team_admin):
        error = error_of(as_user(team_admin).delete(f"/api/v1/teams/lab/members/{team_admin.username}"), 409)
        assert error["code"] == "conflict"
        assert role_of(team, team_admin) == ("admin", None, False)

    def test_with_a_second_admin_the_first_may_step_down(self, team, team_admin, join):
        join(team, "admin")
        response = as_user(team_admin).put(f"/api/v1/teams/lab/members/{team_admin.username}", {"role": "member"})
        assert response.status_code == 200
        assert role_of(team, team_admin) == ("member", None, False)

    def test_remove_a_member(self, team, team_admin, join):
        person = join(team, "member")
        response = as_user(team_admin).delete(f"/api/v1/teams/lab/members/{person.username}")
        assert response.status_code == 204
        assert not Membership.objects.filter(team=team, user=person).exists()
        assert as_user(team_admin).delete(f"/api/v1/teams/lab/members/{person.username}").status_code == 404

    def test_adding_a_registry_admin_without_registry_manage_admins_changes_nothing(self, team, org_person):
        services.custom_role_create(actor=SYSTEM, organization=team.organization, name="inviter", base="viewer", scopes=["team:invite"])
        inviter = factories.user()
        services.org_member_set(actor=SYSTEM, organization=team.organization, user=inviter, role="member")
        services.member_add(actor=SYSTEM, team=team, user=inviter, role="inviter")
        response = as_user(inviter).put(
            f"/api/v1/teams/lab/members/{org_person.username}", {"role": "member", "registry_admin": True}
        )
        assert "registry:manage_admins" in error_of(response, 403)["message"]
        assert role_of(team, org_person) is None


# --- Invitations --------------------------------------------------------------------------------


class TestInvitations:
    def test_invite_sends_one_email_with_the_link(self, team, team_admin, mailoutbox, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            response = as_user(team_admin).post("/api/v1/teams/lab/invitations", {"email": "grace@example.org", "role": "viewer"})
        assert response.status_code == 201, response.content
        body = response.json()
        assert {"id", "email", "role", "accept_url", "expires_at"} <= set(body)
        assert body["email"] == "grace@example.org" and body["role"] == "viewer"
        assert body["accept_url"].startswith("http")
        assert timezone.datetime.fromisoformat(body["expires_at"]) > timezone.now()
        assert len(mailoutbox) == 1
        assert mailoutbox[0].to == ["grace@example.org"]
        assert body["accept_url"] in mailoutbox[0].body
        assert Invitation.objects.pending().get().pk == body["id"]

    def test_pending_invitations_are_listed(self, team, team_admin):
        api = as_user(team_admin)
        api.post("/api/v1/teams/lab/invitations", {"email": "grace@example.org", "role": "member"})
        rows = api.get("/api/v1/teams/lab/invitations").json()["results"]
        assert [(row["email"], row["role"]) for row in rows] == [("grace@example.org", "member")]
        assert all("accept_url" not in row for row in rows)

    @pytest.mark.parametrize("email", ["not-an-email", "", "a@", "two@@example.org"])
    def test_invalid_email_is_400(self, team, team_admin, email, mailoutbox, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            response = as_user(team_admin).post("/api/v1/teams/lab/invitations", {"email": email, "role": "member"})
        assert "email" in error_of(response, 400)["fields"]
        assert not Invitation.objects.exists() and not mailoutbox

    def test_a_members_address_is_400(self, team, team_admin, join):
        member = join(team, "member", email="mia@example.org")
        response = as_user(team_admin).post("/api/v1/teams/lab/invitations", {"email": "MIA@example.org", "role": "member"})
        assert "email" in error_of(response, 400)["fields"]
        assert member.email == "mia@example.org" and not Invitation.objects.exists()

    def test_unknown_role_is_400(self, team, team_admin):
        response = as_user(team_admin).post("/api/v1/teams/lab/invitations", {"email": "grace@example.org", "role": "owner"})
        assert "role" in error_of(response, 400)["fields"]
        assert not Invitation.objects.exists()

    def test_duplicate_pending_invitation_is_400(self, team, team_admin):
        api = as_user(team_admin)
        assert api.post("/api/v1/teams/lab/invitations", {"email": "grace@example.org"}).status_code == 201
        response = api.post("/api/v1/teams/lab/invitations", {"email": "Grace@Example.org", "role": "viewer"})
        assert "email" in error_of(response, 400)["fields"]
        assert Invitation.objects.count() == 1

    def test_revoke(self, team, team_admin):
        api = as_user(team_admin)
        created = api.post("/api/v1/teams/lab/invitations", {"email": "grace@example.org"}).json()
        assert api.delete(f"/api/v1/teams/lab/invitations/{created['id']}").status_code == 204
        assert Invitation.objects.get().state == "revoked"
        assert api.get("/api/v1/teams/lab/invitations").json()["results"] == []
        # after revoking, a new invitation to the same address may be sent
        assert api.post("/api/v1/teams/lab/invitations", {"email": "grace@example.org"}).status_code == 201


class TestAcceptInvitation:
    @pytest.fixture
    def invite(self, team, team_admin):
        def make(email="grace@example.org", role="member"):
            created = services.member_invite(
                team=team, email=email, role=role, actor=team_admin, base_url="http://testserver/"
            )
            return created.invitation, created.token

        return make

    def test_the_invitee_accepts_once(self, team, invite):
        invitation, token = invite(role="viewer")
        grace = factories.user(username="grace", email="grace@example.org", verified=True)
        api = as_user(grace)
        response = api.post(f"/api/v1/invitations/{token}/accept")
        assert response.status_code == 200, response.content
        assert response.json() == {"team": "lab", "role": "viewer"}
        assert role_of(team, grace) == ("viewer", None, False)
        assert OrganizationMember.objects.filter(organization=team.organization, user=grace).exists()
        assert error_of(api.post(f"/api/v1/invitations/{token}/accept"), 404)["code"] == "not_found"
        assert Membership.objects.filter(team=team, user=grace).count() == 1

    def test_the_token_in_the_accept_url_works(self, team, team_admin):
        response = as_user(team_admin).post("/api/v1/teams/lab/invitations", {"email": "grace@example.org"})
        token = response.json()["accept_url"].rstrip("/").rsplit("/", 1)[-1]
        grace = factories.user(email="grace@example.org")
        assert as_user(grace).post(f"/api/v1/invitations/{token}/accept").json() == {"team": "lab", "role": "member"}

    def test_expired_is_404(self, team, invite):
        invitation, token = invite()
        Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
        grace = factories.user(email="grace@example.org")
        assert error_of(as_user(grace).post(f"/api/v1/invitations/{token}/accept"), 404)["code"] == "not_found"
        assert role_of(team, grace) is None

    def test_revoked_is_404(self, team, invite):
        invitation, token = invite()
        services.invitation_revoke(actor=SYSTEM, invitation=invitation)
        grace = factories.user(email="grace@example.org")
        assert error_of(as_user(grace).post(f"/api/v1/invitations/{token}/accept"), 404)["code"] == "not_found"
        assert role_of(team, grace) is None

    def test_unknown_token_is_404(self, user):
        assert error_of(as_user(user).post("/api/v1/invitations/not-a-token/accept"), 404)["code"] == "not_found"

    def test_someone_else_signed_in_is_403(self, team, invite):
        invitation, token = invite()
        mallory = factories.user(email="mallory@example.org")
        error = error_of(as_user(mallory).post(f"/api/v1/invitations/{token}/accept"), 403)
        assert error["code"] == "forbidden"
        assert role_of(team, mallory) is None
        assert Invitation.objects.get(pk=invitation.pk).state == "pending"

    def test_an_unverified_matching_address_is_403(self, team, invite):
        invitation, token = invite()
        grace = factories.user(email="grace@example.org", verified=False)
        error_of(as_user(grace).post(f"/api/v1/invitations/{token}/accept"), 403)
        assert role_of(team, grace) is None

    def test_anonymous_is_401(self, api_client, team, invite):
        invitation, token = invite()
        assert error_of(api_client.post(f"/api/v1/invitations/{token}/accept"), 401)["code"] == "unauthenticated"
        assert Invitation.objects.get(pk=invitation.pk).state == "pending"


# --- Custom roles -----------------------------------------------------------------------------


class TestCustomRoles:
    @pytest.fixture
    def org_admin(self, org):
        person = factories.user(username="olga")
        services.org_member_set(actor=SYSTEM, organization=org, user=person, role="admin")
        return person

    def test_create_and_list(self, org, org_admin, team, team_admin):
        response = as_user(org_admin).post(
            "/api/v1/organizations/acme/roles", {"name": "reviewer", "base": "viewer", "scopes": ["report:create"]}
        )
        assert response.status_code == 201, response.content
        assert response.json()["name"] == "reviewer" and response.json()["base"] == "viewer"
        # any organization member lists them (the team admin became an org member by creating the team)
        listed = as_user(team_admin).get("/api/v1/organizations/acme/roles")
        assert listed.status_code == 200
        assert [(row["name"], row["base"]) for row in listed.json()["results"]] == [("reviewer", "viewer")]

    def test_unknown_scope_is_400(self, org_admin):
        response = as_user(org_admin).post(
            "/api/v1/organizations/acme/roles", {"name": "reviewer", "base": "viewer", "scopes": ["report:create", "report:shred"]}
        )
        error = error_of(response, 400)
        assert "scopes" in error["fields"] and "report:shred" in " ".join(error["fields"]["scopes"])
        assert not CustomRole.objects.exists()

    @pytest.mark.parametrize("name", ["admin", "Admin", "viewer", "member", "service"])
    def test_built_in_names_are_400(self, org_admin, name):
        response = as_user(org_admin).post("/api/v1/organizations/acme/roles", {"name": name, "base": "member", "scopes": []})
        assert "name" in error_of(response, 400)["fields"]
        assert not CustomRole.objects.exists()

    def test_base_must_be_viewer_or_member(self, org_admin):
        response = as_user(org_admin).post("/api/v1/organizations/acme/roles", {"name": "boss", "base": "admin", "scopes": []})
        assert "base" in error_of(response, 400)["fields"]
        assert not CustomRole.objects.exists()

    def test_a_team_admin_who_is_no_org_admin_may_not_create_one(self, team, team_admin):
        response = as_user(team_admin).post("/api/v1/organizations/acme/roles", {"name": "r", "base": "viewer", "scopes": []})
        assert "org:manage_roles" in error_of(response, 403)["message"]
        assert not CustomRole.objects.exists()

    def test_an_assigned_custom_role_holds_exactly_its_base_plus_extra_scopes(self, org_admin, team, team_admin, org_person):
        as_user(org_admin).post(
            "/api/v1/organizations/acme/roles", {"name": "reviewer", "base": "viewer", "scopes": ["report:create"]}
        )
        response = as_user(team_admin).put(f"/api/v1/teams/lab/members/{org_person.username}", {"role": "reviewer"})
        assert response.status_code == 200 and response.json()["role"] == "reviewer"
        expected = VIEWER_SCOPES_FROM_SPEC | {"report:create"}
        held = {scope for scope in roles.SCOPES if policy.can(org_person, scope, team)}
        assert held == expected
        assert set(policy.team_access(org_person, team).scopes) == expected


# --- Service accounts ------------------------------------------------------------------------


class TestServiceAccounts:
    def test_create_use_and_revoke(self, team, team_admin):
        admin_api = as_user(team_admin)
        response = admin_api.post("/api/v1/teams/lab/service-accounts", {"name": "nightly-training"})
        assert response.status_code == 201, response.content
        body = response.json()
        assert {"username", "key"} <= set(body)
        bot_api = factories.ApiClient(Client())
        bot_api.key = body["key"]
        viewer = bot_api.get("/api/v1/viewer")
        assert viewer.status_code == 200
        assert viewer.json()["username"] == body["username"]
        assert viewer.json()["is_service"] is True
        assert viewer.json()["teams"] == [{"team": "lab", "role": "service"}]
        assert [row["username"] for row in admin_api.get("/api/v1/teams/lab/service-accounts").json()["results"]] == [
            body["username"]
        ]

        assert admin_api.delete(f"/api/v1/teams/lab/service-accounts/{body['username']}").status_code == 204
        assert error_of(bot_api.get("/api/v1/viewer"), 401)["code"] == "unauthenticated"
        assert not Membership.objects.filter(team=team, user__username=body["username"]).exists()

    def test_a_service_account_cannot_sign_in_to_the_web(self, team, team_admin, client):
        created = services.service_account_create(team=team, name="ci", actor=team_admin)
        bot = created.service_account.user
        bot.set_password("a-long-secret-77")  # even with a password, a service account never gets a session
        bot.save()
        response = client.post("/accounts/login/", {"login": bot.username, "password": "a-long-secret-77"})
        assert "_auth_user_id" not in client.session
        assert response.status_code == 200  # the sign-in form again, with its error
        assert response.context["form"].errors

    def test_a_member_may_not_create_one(self, team, join):
        response = as_user(join(team, "member")).post("/api/v1/teams/lab/service-accounts", {"name": "mine"})
        assert "team:manage" in error_of(response, 403)["message"]
        assert not Membership.objects.filter(team=team, role="service").exists()


# --- Deleting a team ---------------------------------------------------------------------------


class TestDeleteTeam:
    def test_system_admin_deletes_a_team(self, api_client, superuser, team, join):
        join(team, "member")
        response = api_client.as_user(superuser).delete("/api/v1/teams/lab")
        assert response.status_code == 204
        assert not Team.objects.filter(slug="lab").exists()
        assert not Membership.objects.filter(team_id=team.pk).exists()
        assert api_client.get("/api/v1/teams/lab").status_code == 404

    def test_team_admin_may_not(self, team, team_admin):
        error = error_of(as_user(team_admin).delete("/api/v1/teams/lab"), 403)
        assert error["code"] == "forbidden" and "system:delete_team" in error["message"]
        assert Team.objects.filter(slug="lab").exists()


@pytest.mark.django_db
def test_inviting_or_adding_an_admin_needs_team_manage(api_client):
    from teams import services as team_services

    boss = factories.user(username="boss-x")
    org = team_services.organization_create(actor=SYSTEM, slug="esc", name="Esc", admin=boss)
    team = team_services.team_create(organization=org, slug="esc-team", name="Esc", actor=SYSTEM, admin=boss)
    role = team_services.custom_role_create(actor=SYSTEM, organization=org, name="recruiter", base="viewer", scopes=["team:invite"])
    recruiter = factories.user(username="recruiter-x")
    team_services.org_member_set(actor=SYSTEM, organization=org, user=recruiter, role="member")
    team_services.member_add(actor=SYSTEM, team=team, user=recruiter, role=role.name)
    newcomer = factories.user(username="newcomer-x")
    team_services.org_member_set(actor=SYSTEM, organization=org, user=newcomer, role="member")
    api_client.as_user(recruiter)
    invite = api_client.post("/api/v1/teams/esc-team/invitations", {"email": "a@example.org", "role": "admin"})
    assert invite.status_code == 403 and "team:manage" in invite.json()["error"]["message"]
    add = api_client.put("/api/v1/teams/esc-team/members/newcomer-x", {"role": "admin"})
    assert add.status_code == 403
    assert api_client.put("/api/v1/teams/esc-team/members/newcomer-x", {"role": "viewer"}).status_code == 200


@pytest.mark.django_db
def test_a_put_that_changes_nothing_still_needs_the_scope(api_client):
    from teams import services as team_services

    boss = factories.user(username="noop-boss")
    org = team_services.organization_create(actor=SYSTEM, slug="noop", name="Noop", admin=boss)
    team_services.team_create(organization=org, slug="noop-team", name="Noop", actor=SYSTEM, admin=boss)
    outsider = factories.user(username="noop-outsider")
    response = api_client.as_user(outsider).put("/api/v1/teams/noop-team/members/noop-boss", {})
    assert response.status_code == 403
    assert "role" not in response.json()


@pytest.mark.django_db
def test_an_inviter_cannot_hand_out_a_custom_role_with_admin_powers(api_client):
    from teams import services as team_services

    boss = factories.user(username="esc2-boss")
    org = team_services.organization_create(actor=SYSTEM, slug="esc2", name="Esc2", admin=boss)
    team = team_services.team_create(organization=org, slug="esc2-team", name="Esc2", actor=SYSTEM, admin=boss)
    inviter = team_services.custom_role_create(actor=SYSTEM, organization=org, name="inviter2", base="viewer", scopes=["team:invite"])
    team_services.custom_role_create(actor=SYSTEM, organization=org, name="deputy", base="member", scopes=["team:manage"])
    person = factories.user(username="esc2-inviter")
    team_services.org_member_set(actor=SYSTEM, organization=org, user=person, role="member")
    team_services.member_add(actor=SYSTEM, team=team, user=person, role=inviter.name)
    api_client.as_user(person)
    refused = api_client.post("/api/v1/teams/esc2-team/invitations", {"email": "d@example.org", "role": "deputy"})
    assert refused.status_code == 403 and "team:manage" in refused.json()["error"]["message"]
    allowed = api_client.post("/api/v1/teams/esc2-team/invitations", {"email": "m@example.org", "role": "member"})
    assert allowed.status_code == 201
