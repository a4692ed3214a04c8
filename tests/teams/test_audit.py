"""The audit log: every administrative change is recorded by the service that makes it,
with actor, target, before and after; read at T/audit and /<team>/settings/audit/
(team:manage), read-only in the Django admin."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import ApiKey
from teams import services
from teams.models import AuditEvent, Membership
from teams.policy import SYSTEM
from tests import factories

pytestmark = pytest.mark.django_db
T = "/api/v1/teams/lab"


@pytest.fixture
def lab(db):
    admin = factories.user(username="ann")
    org = services.organization_create(actor=SYSTEM, slug="org", name="Org", admin=admin)
    team = services.team_create(actor=SYSTEM, organization=org, slug="lab", name="Lab", admin=admin)
    people = {"admin": admin}
    for name, role in (("member", "member"), ("viewer", "viewer"), ("newcomer", None)):
        person = factories.user(username=name)
        services.org_member_set(actor=SYSTEM, organization=org, user=person, role="member")
        if role:
            services.member_add(actor=SYSTEM, team=team, user=person, role=role)
        people[name] = person
    people["outsider"] = factories.user(username="olga")
    AuditEvent.objects.all().delete()  # the set-up is not under test
    return team, people


def api(person):
    client = factories.ApiClient(Client())
    return client.as_user(person) if person else client


def events(action=None):
    """The team's events (the keys tests make for themselves are the site's, not the team's)."""
    found = AuditEvent.objects.filter(team__isnull=False).order_by("id")
    return list(found.filter(action=action) if action else found)


def test_each_administrative_change_is_recorded_with_before_and_after(lab):
    team, people = lab
    admin = api(people["admin"])
    assert admin.put(f"{T}/members/newcomer", {"role": "viewer"}).status_code == 200
    assert admin.put(f"{T}/members/newcomer", {"role": "member"}).status_code == 200
    assert admin.put(f"{T}/members/newcomer", {"registry_admin": True}).status_code == 200
    assert admin.delete(f"{T}/members/newcomer").status_code == 204
    invited = admin.post(f"{T}/invitations", {"email": "zed@example.com", "role": "member"}).json()
    assert admin.delete(f"{T}/invitations/{invited['id']}").status_code == 204
    assert admin.post(f"{T}/projects", {"name": "mnist"}).status_code == 201
    assert admin.patch(f"{T}/projects/mnist", {"visibility": "public"}).status_code == 200
    assert admin.delete(f"{T}/projects/mnist", {"confirm": "mnist"}).status_code == 204
    bot = admin.post(f"{T}/service-accounts", {"name": "ci"}).json()
    assert admin.delete(f"{T}/service-accounts/{bot['username']}").status_code == 204
    assert admin.patch(T, {"name": "Lab Two"}).status_code == 200

    by_action = {event.action: event for event in events()}
    assert [e.action for e in events()] == [
        "member.added", "member.role_changed", "registry.admin_changed", "member.removed",
        "invitation.created", "invitation.revoked", "project.visibility_changed", "project.deleted",
        "service_account.created", "api_key.created", "service_account.revoked", "team.settings_changed",
    ]
    assert all(event.actor == people["admin"] and event.actor_name == "ann" and event.team == team for event in events())
    assert by_action["member.added"].target == "newcomer" and by_action["member.added"].detail["after"] == {"role": "viewer", "registry_admin": False}
    assert by_action["member.role_changed"].detail == {"before": {"role": "viewer"}, "after": {"role": "member"}}
    assert by_action["registry.admin_changed"].detail == {"before": {"registry_admin": False}, "after": {"registry_admin": True}}
    assert by_action["member.removed"].detail["before"] == {"role": "member", "registry_admin": True}
    assert by_action["project.visibility_changed"].detail == {"before": {"visibility": "team"}, "after": {"visibility": "public"}}
    assert by_action["project.deleted"].target == "mnist"
    assert by_action["api_key.created"].target == bot["username"] and by_action["api_key.created"].detail["prefix"]
    assert by_action["team.settings_changed"].detail == {"before": {"name": "Lab"}, "after": {"name": "Lab Two"}, "fields": ["name"]}


def test_a_refused_change_records_nothing(lab):
    team, people = lab
    assert api(people["member"]).put(f"{T}/members/viewer", {"role": "admin"}).status_code == 403
    assert api(people["admin"]).put(f"{T}/members/ann", {"role": "member"}).status_code == 409  # the last admin
    assert events() == []


def test_personal_keys_are_recorded_for_the_site_and_service_account_keys_for_their_team(lab):
    team, people = lab
    member = api(people["member"])
    created = member.post("/api/v1/api-keys", {"name": "laptop"}).json()
    assert member.delete(f"/api/v1/api-keys/{created['prefix']}").status_code == 204
    laptop = AuditEvent.objects.filter(detail__prefix=created["prefix"]).order_by("id")
    assert [(e.action, e.team, e.target, e.actor) for e in laptop] == [
        ("api_key.created", None, "member", people["member"]),
        ("api_key.revoked", None, "member", people["member"]),
    ]
    assert events() == []
    assert api(people["admin"]).get(f"{T}/audit").json()["results"] == []  # not the team's business


def test_turning_on_projects_stay_inside_records_each_closed_project(lab):
    team, people = lab
    admin = api(people["admin"])
    for name, visibility in (("a", "public"), ("b", "open"), ("c", "team")):
        assert admin.post(f"{T}/projects", {"name": name, "visibility": visibility}).status_code == 201
    AuditEvent.objects.all().delete()
    assert admin.patch(T, {"projects_stay_inside": True}).status_code == 200
    closed = events("project.visibility_changed")
    assert sorted((e.target, e.detail["before"]["visibility"]) for e in closed) == [("a", "public"), ("b", "open")]
    assert all(e.detail["after"] == {"visibility": "team"} for e in closed)


def test_the_api_lists_filters_and_pages_for_team_managers_only(lab):
    team, people = lab
    for n in range(3):
        services.member_invite(actor=people["admin"], team=team, email=f"p{n}@example.com", role="member", base_url="http://x")
    services.member_change_role(actor=people["admin"], membership=Membership.objects.get(team=team, user=people["viewer"]), role="member")
    admin = api(people["admin"])
    body = admin.get(f"{T}/audit").json()
    assert [row["action"] for row in body["results"]] == ["member.role_changed", "invitation.created", "invitation.created", "invitation.created"]
    assert set(body["results"][0]) >= {"id", "at", "actor", "action", "target", "detail"} and body["results"][0]["actor"] == "ann"
    assert [row["target"] for row in admin.get(f"{T}/audit?action=invitation.created").json()["results"]] == ["p2@example.com", "p1@example.com", "p0@example.com"]
    assert admin.get(f"{T}/audit?actor=nobody").json()["results"] == []
    page = admin.get(f"{T}/audit?limit=2").json()
    assert len(page["results"]) == 2 and page["next"]
    assert api(people["member"]).get(f"{T}/audit").status_code == 403
    assert api(people["outsider"]).get(f"{T}/audit").status_code == 403
    assert api(None).get(f"{T}/audit").status_code == 401


def test_the_page_shows_filters_and_refuses_members(lab):
    team, people = lab
    services.member_invite(actor=people["admin"], team=team, email="p@example.com", role="member", base_url="http://x")
    services.member_change_role(actor=people["admin"], membership=Membership.objects.get(team=team, user=people["viewer"]), role="member")
    client = Client()
    client.force_login(people["admin"])
    page = client.get("/lab/settings/audit/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Invitation created" in html and "p@example.com" in html and "role: viewer → role: member" in html
    filtered = client.get("/lab/settings/audit/?action=member.role_changed").content.decode()
    assert "role: viewer" in filtered and "p@example.com" not in filtered
    assert "Nothing matches this filter" in client.get("/lab/settings/audit/?action=project.deleted").content.decode()
    member = Client()
    member.force_login(people["member"])
    assert member.get("/lab/settings/audit/").status_code == 403
    assert Client().get("/lab/settings/audit/").status_code == 302


def test_the_page_costs_the_same_queries_for_few_and_many_events(lab):
    team, people = lab
    client = Client()
    client.force_login(people["admin"])
    services.member_invite(actor=people["admin"], team=team, email="x0@example.com", role="member", base_url="http://x")
    client.get("/lab/settings/audit/")
    with CaptureQueriesContext(connection) as few:
        client.get("/lab/settings/audit/")
    for n in range(1, 120):
        services.member_invite(actor=people["admin"], team=team, email=f"x{n}@example.com", role="member", base_url="http://x")
    with CaptureQueriesContext(connection) as many:
        response = client.get("/lab/settings/audit/")
    assert len(many) == len(few)
    assert "Page 1 of 3" in response.content.decode()


def test_the_django_admin_shows_the_log_read_only(lab):
    team, people = lab
    services.member_invite(actor=people["admin"], team=team, email="p@example.com", role="member", base_url="http://x")
    root = factories.user(username="root", is_superuser=True, is_staff=True)
    client = Client()
    client.force_login(root)
    listing = client.get("/admin/teams/auditevent/")
    assert listing.status_code == 200 and "p@example.com" in listing.content.decode()
    event = AuditEvent.objects.get()
    assert client.get("/admin/teams/auditevent/add/").status_code == 403
    assert client.post(f"/admin/teams/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_revoking_keys_from_the_django_admin_goes_through_the_service(lab):
    team, people = lab
    key = factories.api_key(people["member"])
    root = factories.user(username="root", is_superuser=True, is_staff=True)
    client = Client()
    client.force_login(root)
    prefix = key.split("_")[1]
    pk = ApiKey.objects.get(prefix=prefix).pk
    response = client.post("/admin/accounts/apikey/", {"action": "revoke", "_selected_action": [pk]})
    assert response.status_code == 302
    assert ApiKey.objects.get(pk=pk).revoked_at is not None
    revoked = AuditEvent.objects.get(action="api_key.revoked", detail__prefix=prefix)
    assert revoked.actor == root and revoked.team is None
