"""One access matrix over the team, organization and system actions (spec/permissions.md).

In the style of readthedocs' test_privacy_urls: every (action, actor) cell is
asserted three ways where the path exists: (a) the policy module, (b) the JSON
API, (c) the web pages. The expected answers are written out by hand from
spec/permissions.md and spec/api.md; nothing below derives them from the code
under test.
"""

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, Callable

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from teams import policy, roles, services
from teams.models import CustomRole, Invitation, Membership, Organization, Team
from tests import factories
from teams.policy import SYSTEM

pytestmark = pytest.mark.django_db

ACTORS = ("anonymous", "outsider", "viewer", "member", "admin", "service", "custom", "org_admin", "sysadmin")
# Service accounts never get a web session (spec: "never signs in to the web UI").
WEB_ACTORS = tuple(actor for actor in ACTORS if actor != "service")

# --- The expected table: action -> actors allowed (spec/permissions.md) ----------------
#
# "custom" is an organization custom role built on viewer plus team:invite.
# "org_admin" is an organization admin who holds no membership in the team:
# the spec gives organization admins only "creates teams in the organization,
# creates custom roles". The system admin "holds every organization admin's
# powers and, as in Django, every scope on every object".
EXPECTED = {
    "team:view": {"viewer", "member", "admin", "service", "custom", "sysadmin"},
    "team:invite": {"admin", "custom", "sysadmin"},
    "team:remove_member": {"admin", "sysadmin"},
    "team:manage": {"admin", "sysadmin"},
    "registry:manage_admins": {"admin", "sysadmin"},  # plus registry admins; none of these actors is one
    "create organization": {"sysadmin"},
    "delete team": {"sysadmin"},
    "system settings": {"sysadmin"},
    "create team": {"org_admin", "sysadmin"},
    "create custom role": {"org_admin", "sysadmin"},
}


# --- The actions: how each is asked of the policy, the API and the pages ---------------


@dataclass(frozen=True)
class Call:
    """One HTTP request. `ok` is its status when allowed; `state` reads what a write changes."""

    method: str
    path: str  # formatted with the world's names
    ok: int
    data: Any = None  # a dict, or a callable(world) -> dict
    state: Callable | None = None  # callable(world) -> comparable snapshot; None for reads

    def url(self, w):
        return self.path.format(**w.names)

    def body(self, w):
        return self.data(w) if callable(self.data) else self.data


@dataclass(frozen=True)
class Action:
    scope: str  # the scope the policy is asked about and a 403 must name
    target: str  # "team", "org" or "site": the object the policy is asked about
    api: tuple = ()
    web: tuple = ()
    profile_page: bool = False  # team:view on /<team>/: members shown or not, never a redirect
    extra_policy_targets: tuple = field(default=())


def _membership(w, username):
    return Membership.objects.filter(team__slug="lab", user__username=username).values_list(
        "role", "custom_role__name", "registry_admin"
    ).first()


def _team_row(w):
    return Team.objects.filter(slug="lab").values_list("name", "intro", "links", "projects_stay_inside").first()


def _service_accounts(w):
    return sorted(Membership.objects.filter(team__slug="lab", role="service").values_list("user__username", flat=True))


def _invitations(email):
    return lambda w: list(Invitation.objects.filter(email=email).values_list("team__slug", "role"))


ACTIONS = {
    "team:view": Action(
        scope="team:view",
        target="team",
        api=(Call("GET", "/api/v1/teams/{team}/members", 200),),
        profile_page=True,
    ),
    "team:invite": Action(
        scope="team:invite",
        target="team",
        api=(
            Call(
                "POST", "/api/v1/teams/{team}/invitations", 201,
                data={"email": "api-invitee@example.org", "role": "member"},
                state=_invitations("api-invitee@example.org"),
            ),
            Call(
                "PUT", "/api/v1/teams/{team}/members/{candidate}", 200,
                data={"role": "member"},
                state=lambda w: _membership(w, w.names["candidate"]),
            ),
        ),
        web=(
            Call("GET", "/{team}/settings/members/", 200),
            Call(
                "POST", "/{team}/settings/members/invite/", 302,
                data={"email": "web-invitee@example.org", "role": "member"},
                state=_invitations("web-invitee@example.org"),
            ),
        ),
    ),
    "team:remove_member": Action(
        scope="team:remove_member",
        target="team",
        api=(
            Call(
                "DELETE", "/api/v1/teams/{team}/members/{target_api}", 204,
                state=lambda w: _membership(w, w.names["target_api"]),
            ),
        ),
        web=(
            Call(
                "POST", "/{team}/settings/members/{target_web}/remove/", 302,
                state=lambda w: _membership(w, w.names["target_web"]),
            ),
        ),
    ),
    "team:manage": Action(
        scope="team:manage",
        target="team",
        api=(
            Call("PATCH", "/api/v1/teams/{team}", 200, data={"name": "Renamed Lab"}, state=_team_row),
            Call(
                "PUT", "/api/v1/teams/{team}/members/{target_api}", 200,
                data={"role": "viewer"},
                state=lambda w: _membership(w, w.names["target_api"]),
            ),
            Call(
                "POST", "/api/v1/teams/{team}/service-accounts", 201,
                data={"name": "nightly"},
                state=_service_accounts,
            ),
        ),
        web=(
            Call("GET", "/{team}/settings/", 200),
            Call("GET", "/{team}/settings/service-accounts/", 200),
            Call(
                "POST", "/{team}/settings/members/{target_web}/role/", 302,
                data={"role": "viewer"},
                state=lambda w: _membership(w, w.names["target_web"]),
            ),
        ),
    ),
    "registry:manage_admins": Action(
        scope="registry:manage_admins",
        target="team",
        api=(
            Call(
                "PUT", "/api/v1/teams/{team}/members/{target_api}", 200,
                data={"registry_admin": True},
                state=lambda w: _membership(w, w.names["target_api"]),
            ),
        ),
        web=(
            Call(
                "POST", "/{team}/settings/members/{target_web}/role/", 302,
                data={"registry_admin_present": "1", "registry_admin": "on"},
                state=lambda w: _membership(w, w.names["target_web"]),
            ),
        ),
    ),
    "create organization": Action(
        scope="system:create_organization",
        target="site",
        api=(
            Call(
                "POST", "/api/v1/organizations", 201,
                data={"slug": "api-org", "name": "Api Org"},
                state=lambda w: list(Organization.objects.filter(slug="api-org").values_list("name", flat=True)),
            ),
        ),
    ),
    "delete team": Action(
        scope="system:delete_team",
        target="site",
        extra_policy_targets=("team",),
        api=(
            Call(
                "DELETE", "/api/v1/teams/{team}", 204,
                state=lambda w: (Team.objects.filter(slug="lab").count(), Membership.objects.filter(team__slug="lab").count()),
            ),
        ),
    ),
    "system settings": Action(
        scope="system:manage",
        target="site",
        web=(Call("GET", "/system/settings/", 200),),
    ),
    "create team": Action(
        scope="org:create_team",
        target="org",
        api=(
            Call(
                "POST", "/api/v1/organizations/{org}/teams", 201,
                data={"slug": "api-team", "name": "Api Team"},
                state=lambda w: list(Team.objects.filter(slug="api-team").values_list("organization__slug", flat=True)),
            ),
        ),
        web=(
            Call("GET", "/teams/new/", 200),
            Call(
                "POST", "/teams/new/", 302,
                data=lambda w: {"organization": w.org.pk, "name": "Web Team", "slug": "web-team"},
                state=lambda w: list(Team.objects.filter(slug="web-team").values_list("organization__slug", flat=True)),
            ),
        ),
    ),
    "create custom role": Action(
        scope="org:manage_roles",
        target="org",
        api=(
            Call(
                "POST", "/api/v1/organizations/{org}/roles", 201,
                data={"name": "api-role", "base": "viewer", "scopes": ["report:create"]},
                state=lambda w: list(CustomRole.objects.filter(name="api-role").values_list("base", "extra_scopes")),
            ),
        ),
        web=(
            Call(
                "POST", "/orgs/{org}/roles/", 302,
                data={"name": "web-role", "base": "viewer", "scopes": ["report:create"]},
                state=lambda w: list(CustomRole.objects.filter(name="web-role").values_list("base", "extra_scopes")),
            ),
        ),
    ),
}


# --- The world: one organization, one team, one person per actor -------------------------


def build_world():
    names = {
        "team": "lab",
        "org": "acme",
        "target_api": "tara-target-api",
        "target_web": "tom-target-web",
        "candidate": "cora-candidate",
    }
    people = {}
    people["sysadmin"] = factories.user(username="sys-op", is_superuser=True, is_staff=True)
    people["admin"] = factories.user(username="ada-admin")
    people["org_admin"] = factories.user(username="olga-orgadmin")
    people["outsider"] = factories.user(username="otto-outsider")
    org = services.organization_create(actor=SYSTEM, slug=names["org"], name="Acme")
    services.org_member_set(actor=SYSTEM, organization=org, user=people["org_admin"], role="admin")
    team = services.team_create(organization=org, slug=names["team"], name="Lab", actor=SYSTEM, admin=people["admin"])
    services.custom_role_create(actor=SYSTEM, organization=org, name="inviter", base="viewer", scopes=["team:invite"])
    for actor, username, role in [
        ("viewer", "vera-viewer", "viewer"),
        ("member", "max-member", "member"),
        ("custom", "ines-inviter", "inviter"),
        (None, names["target_api"], "member"),
        (None, names["target_web"], "member"),
    ]:
        person = factories.user(username=username)
        services.org_member_set(actor=SYSTEM, organization=org, user=person, role="member")
        services.member_add(actor=SYSTEM, team=team, user=person, role=role)
        if actor:
            people[actor] = person
    candidate = factories.user(username=names["candidate"])
    services.org_member_set(actor=SYSTEM, organization=org, user=candidate, role="member")
    bot = services.service_account_create(team=team, name="ci", actor=people["admin"])
    people["service"] = bot.service_account.user
    people["anonymous"] = AnonymousUser()
    return SimpleNamespace(names=names, people=people, org=org, team=team, service_key=bot.key)


def policy_target(w, target):
    return {"team": w.team, "org": w.org, "site": None}[target]


def api_client_for(w, actor):
    api = factories.ApiClient(Client())
    if actor == "service":
        api.key = w.service_key
    elif actor != "anonymous":
        api.as_user(w.people[actor])
    return api


def web_client_for(w, actor):
    browser = Client()
    if actor != "anonymous":
        browser.force_login(w.people[actor])
    return browser


def error_of(response):
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]


# --- The matrix ----------------------------------------------------------------------------


def test_the_table_covers_every_team_scope_and_only_known_actors():
    team_scopes = {scope for scope in roles.SCOPES if scope.startswith("team:")}
    assert team_scopes | {"registry:manage_admins"} <= set(EXPECTED)
    assert set(EXPECTED) == set(ACTIONS)
    for allowed in EXPECTED.values():
        assert allowed <= set(ACTORS)
    assert all(action.api or action.web or action.profile_page for action in ACTIONS.values())


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("action_name", list(ACTIONS))
def test_access(action_name, actor):
    action = ACTIONS[action_name]
    allowed = actor in EXPECTED[action_name]
    w = build_world()
    person = w.people[actor]

    # (a) the policy
    for target in (action.target, *action.extra_policy_targets):
        assert policy.can(person, action.scope, policy_target(w, target)) is allowed, f"policy {target}"
    if action.target == "team":
        assert policy.team_access(person, w.team).can(action.scope) is allowed

    # (b) the API
    for call in action.api:
        api = api_client_for(w, actor)
        before = call.state(w) if call.state else None
        response = api.request(call.method, call.url(w), call.body(w))
        where = f"API {call.method} {call.url(w)}"
        if allowed:
            assert response.status_code == call.ok, (where, response.content)
            if call.state:
                assert call.state(w) != before, f"{where} answered {call.ok} but changed nothing"
            continue
        if actor == "anonymous":
            assert response.status_code == 401, (where, response.content)
            assert error_of(response)["code"] == "unauthenticated"
        else:
            assert response.status_code == 403, (where, response.content)
            error = error_of(response)
            assert error["code"] == "forbidden"
            assert action.scope in error["message"], (where, error)
        if call.state:
            assert call.state(w) == before, f"{where} was refused but changed something"

    # (c) the web pages
    if actor not in WEB_ACTORS:
        return
    browser = web_client_for(w, actor)
    if action.profile_page:
        response = browser.get(f"/{w.names['team']}/")
        assert response.status_code == 200  # the public profile is open to everyone
        shows_members = w.names["target_api"] in response.content.decode()
        assert shows_members is allowed, "members list on the team page"
    for call in action.web:
        before = call.state(w) if call.state else None
        url = call.url(w)
        response = getattr(browser, call.method.lower())(url, call.body(w) or {})
        where = f"page {call.method} {url}"
        if allowed:
            assert response.status_code == call.ok, (where, response.status_code)
            if call.ok == 302:
                assert not response["Location"].startswith("/accounts/login/"), where
            if call.state:
                assert call.state(w) != before, f"{where} answered {call.ok} but changed nothing"
            continue
        if actor == "anonymous":
            assert response.status_code == 302, (where, response.status_code)
            assert response["Location"].startswith("/accounts/login/"), (where, response["Location"])
        else:
            assert response.status_code == 403, (where, response.status_code)
        if call.state:
            assert call.state(w) == before, f"{where} was refused but changed something"
