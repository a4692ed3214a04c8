"""One access matrix over every report scope (spec/permissions.md, "Scopes" and "## Reports").

scope x actor x kind of report. Every cell is asserted through the policy module
(`policy.report_access(...)` with `.visible`, `.can`, `.can_edit()`, `.can_delete()`;
`policy.can`, `policy.can_see`, `policy.visible`) and
over the JSON API (spec/api.md, "## Reports"); who may read a report is also
checked on its web page.

The expected answers are written out by hand from the spec; nothing below derives
them from the code under test:

- scope table: viewer has report:view/follow/comment; member adds report:create,
  report:edit_own, report:delete_own; admin adds report:edit_any, report:delete_any;
  a service account has report:view only; the custom role here is viewer +
  report:create; the system admin "holds every scope on every object".
- "## Reports": `draft` = author and team admins only; `team` = whoever can see the
  team's content, or the project's when the report is tied to one; `public` = anyone.
- "Project visibility": `restricted` = team admins and the members on the access
  list; `public` = anyone with the viewer's scopes; `open` = anyone, and "any
  signed-in user ... may ... create reports about it".
- "Answers": cannot see it: 404 `not_found`; can see it but lacks the scope: 403
  `forbidden` naming the scope; not signed in on the API: 401 `unauthenticated`.

Every report in the world is written by "author" (a member). "own" scopes are asked
with `policy.can(user, "report:edit_own", report)`, which is true only for the report's
author (and the system admin, who holds every scope on every object).
"""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from experiments import services as experiments
from experiments.models import Project
from reports import services as reports
from reports.models import Comment, Follow, Report, Revision, Star
from teams import policy, services
from tests import factories, worlds
from teams.policy import SYSTEM

pytestmark = pytest.mark.django_db

ACTORS = (
    "anonymous",  # not signed in
    "outsider",  # signed in, in no team
    "viewer",
    "author",  # a member, who wrote every report below
    "member",  # another member
    "admin",
    "service",  # a service account of the team (API keys only)
    "custom",  # organization custom role: viewer + report:create
    "sysadmin",  # Django superuser, in no team
)
WEB_ACTORS = tuple(actor for actor in ACTORS if actor != "service")  # service accounts never sign in to the web UI

# The kinds of report. Every one is written by "author" in team "lab".
#   draft / team / public:    not tied to a project
#   team_restricted_unlisted: visibility team, tied to the restricted project "secret" whose access
#                             list holds only a bystander member (so no actor is on it; the author
#                             was taken off the list after writing the report)
#   team_restricted_listed:   visibility team, tied to the restricted project "inner" whose access
#                             list holds every team-member actor
#   team_public_project:      visibility team, tied to the public project "shown"
#   team_open_project:        visibility team, tied to the open project "commons"
KINDS = (
    "draft",
    "team",
    "public",
    "team_restricted_unlisted",
    "team_restricted_listed",
    "team_public_project",
    "team_open_project",
)
REPORT_SETUP = {
    "draft": ("draft", None),
    "team": ("team", None),
    "public": ("public", None),
    "team_restricted_unlisted": ("team", "secret"),
    "team_restricted_listed": ("team", "inner"),
    "team_public_project": ("team", "shown"),
    "team_open_project": ("team", "commons"),
}

EVERYONE = frozenset(ACTORS)
TEAM = frozenset({"viewer", "author", "member", "admin", "service", "custom"})  # every membership
# report:follow and report:comment: viewer, member, admin (and the custom role built on viewer);
# never the service role; following and commenting need an account.
TEAM_TALKERS = frozenset({"viewer", "author", "member", "admin", "custom", "sysadmin"})
# report:create by role: member, admin, the custom role (viewer + report:create); the system admin.
TEAM_WRITERS = frozenset({"author", "member", "admin", "custom", "sysadmin"})

# --- Who sees the report at all (else 404) -------------------------------------------------

SEES = {
    "draft": {"author", "admin", "sysadmin"},
    "team": set(TEAM | {"sysadmin"}),
    "public": set(EVERYONE),
    "team_restricted_unlisted": {"admin", "sysadmin"},
    "team_restricted_listed": set(TEAM | {"sysadmin"}),
    "team_public_project": set(EVERYONE),
    "team_open_project": set(EVERYONE),
}

# --- The expected table: kind -> scope -> actors allowed -----------------------------------
#
# report:create in a column means: POST a new report of that kind (same visibility, same
# project). Creating needs report:create in the team or, when tied to a project, in that
# project; on an open project any signed-in user may (spec "Project visibility": open).
# A service account's role lacks report:create, and the open-project clause lists the run
# scopes for service accounts, so it may not create reports anywhere here.
EXPECTED = {
    "draft": {
        "report:view": {"author", "admin", "sysadmin"},
        "report:follow": {"author", "admin", "sysadmin"},
        "report:comment": {"author", "admin", "sysadmin"},
        "report:create": set(TEAM_WRITERS),
        "report:edit_own": {"author", "sysadmin"},
        "report:edit_any": {"admin", "sysadmin"},
        "report:delete_own": {"author", "sysadmin"},
        "report:delete_any": {"admin", "sysadmin"},
    },
    "team": {
        "report:view": set(TEAM | {"sysadmin"}),
        "report:follow": set(TEAM_TALKERS),
        "report:comment": set(TEAM_TALKERS),
        "report:create": set(TEAM_WRITERS),
        "report:edit_own": {"author", "sysadmin"},
        "report:edit_any": {"admin", "sysadmin"},
        "report:delete_own": {"author", "sysadmin"},
        "report:delete_any": {"admin", "sysadmin"},
    },
    "public": {
        "report:view": set(EVERYONE),
        # anyone signed in, with the viewer's scopes; the team's own service account keeps its role
        "report:follow": set(TEAM_TALKERS | {"outsider"}),
        "report:comment": set(TEAM_TALKERS | {"outsider"}),
        "report:create": set(TEAM_WRITERS),
        "report:edit_own": {"author", "sysadmin"},
        "report:edit_any": {"admin", "sysadmin"},
        "report:delete_own": {"author", "sysadmin"},
        "report:delete_any": {"admin", "sysadmin"},
    },
    "team_restricted_unlisted": {
        "report:view": {"admin", "sysadmin"},
        "report:follow": {"admin", "sysadmin"},
        "report:comment": {"admin", "sysadmin"},
        "report:create": {"admin", "sysadmin"},
        "report:edit_own": {"sysadmin"},  # the author no longer sees the project's content
        "report:edit_any": {"admin", "sysadmin"},
        "report:delete_own": {"sysadmin"},
        "report:delete_any": {"admin", "sysadmin"},
    },
    "team_restricted_listed": {
        "report:view": set(TEAM | {"sysadmin"}),
        "report:follow": set(TEAM_TALKERS),
        "report:comment": set(TEAM_TALKERS),
        "report:create": set(TEAM_WRITERS),
        "report:edit_own": {"author", "sysadmin"},
        "report:edit_any": {"admin", "sysadmin"},
        "report:delete_own": {"author", "sysadmin"},
        "report:delete_any": {"admin", "sysadmin"},
    },
    "team_public_project": {
        "report:view": set(EVERYONE),
        "report:follow": set(TEAM_TALKERS | {"outsider"}),
        "report:comment": set(TEAM_TALKERS | {"outsider"}),
        "report:create": set(TEAM_WRITERS),
        "report:edit_own": {"author", "sysadmin"},
        "report:edit_any": {"admin", "sysadmin"},
        "report:delete_own": {"author", "sysadmin"},
        "report:delete_any": {"admin", "sysadmin"},
    },
    "team_open_project": {
        "report:view": set(EVERYONE),
        "report:follow": set(TEAM_TALKERS | {"outsider"}),
        "report:comment": set(TEAM_TALKERS | {"outsider"}),
        "report:create": set(TEAM_WRITERS | {"outsider", "viewer"}),  # any signed-in user
        "report:edit_own": {"author", "sysadmin"},
        "report:edit_any": {"admin", "sysadmin"},
        "report:delete_own": {"author", "sysadmin"},
        "report:delete_any": {"admin", "sysadmin"},
    },
}

# Which projects each actor may see (decides 400 "no such project" on create, spec "Answers":
# never reveal a private name).
SEES_PROJECT = {
    None: set(EVERYONE),  # no project: nothing to see
    "secret": {"admin", "sysadmin"},
    "inner": set(TEAM | {"sysadmin"}),
    "shown": set(EVERYONE),
    "commons": set(EVERYONE),
}

SCOPES = (
    "report:view",
    "report:follow",
    "report:comment",
    "report:create",
    "report:edit_own",
    "report:edit_any",
    "report:delete_own",
    "report:delete_any",
)

# HTTP actions. edit and delete hold when the actor has the _own scope on this report or the _any scope.
ACTIONS = ("view", "follow", "star", "comment", "create", "edit", "delete")

# (action, actor, kind) -> reason, for cells where the product contradicts the spec.
KNOWN_BUGS: dict = {}
# (actor, kind) -> reason, for the "listed in GET .../reports" check.
KNOWN_LIST_BUGS: dict = {}


# --- The world ----------------------------------------------------------------------------


def build_world():
    """Team "lab" with one person per actor, four projects and one report of each kind.

    Built once for the module; every test runs in its own savepoint on top of it."""
    people = {}
    people["sysadmin"] = factories.user(username="sys-op", is_superuser=True, is_staff=True)
    people["admin"] = factories.user(username="ada-admin")
    people["outsider"] = factories.user(username="otto-outsider")
    org = services.organization_create(actor=SYSTEM, slug="acme", name="Acme")
    team = services.team_create(organization=org, slug="lab", name="Lab", actor=SYSTEM, admin=people["admin"])
    services.custom_role_create(actor=SYSTEM, organization=org, name="reporter", base="viewer", scopes=["report:create"])
    for key, username, role in [
        ("viewer", "vera-viewer", "viewer"),
        ("author", "abe-author", "member"),
        ("member", "max-member", "member"),
        ("custom", "rita-reporter", "reporter"),
        ("bystander", "bea-bystander", "member"),
    ]:
        person = factories.user(username=username)
        services.org_member_set(actor=SYSTEM, organization=org, user=person, role="member")
        services.member_add(actor=SYSTEM, team=team, user=person, role=role)
        people[key] = person
    bot = services.service_account_create(team=team, name="ci", actor=people["admin"])
    people["service"] = bot.service_account.user
    people["anonymous"] = AnonymousUser()
    keys = {"service": bot.key}
    for actor in ACTORS:
        if actor not in keys and actor != "anonymous":
            keys[actor] = factories.api_key(people[actor])

    projects = {}
    for name, visibility in [("secret", "restricted"), ("inner", "restricted"), ("shown", "public"), ("commons", "open")]:
        projects[name] = experiments.project_create(team=team, name=name, actor=people["admin"], visibility=visibility)
    experiments.access_list_set(actor=SYSTEM, project=projects["secret"], user=people["bystander"], present=True)
    experiments.access_list_set(actor=SYSTEM, project=projects["secret"], user=people["author"], present=True)
    for actor in ("viewer", "author", "member", "service", "custom"):
        experiments.access_list_set(actor=SYSTEM, project=projects["inner"], user=people[actor], present=True)

    report_ids = {}
    for kind, (visibility, project_name) in REPORT_SETUP.items():
        report = reports.report_create(
            team=team,
            actor=people["author"],
            title=f"Report {kind}",
            body=f"The {kind} findings.",
            visibility=visibility,
            project=projects[project_name] if project_name else None,
        )
        report_ids[kind] = report.pk
    # The author wrote the "secret" report while on its access list, then was taken off it.
    experiments.access_list_set(actor=SYSTEM, project=projects["secret"], user=people["author"], present=False)
    return SimpleNamespace(people=people, keys=keys, team=team, report_ids=report_ids)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    yield from worlds.built_once(django_db_blocker, build_world)


def report_of(world, kind):
    return Report.objects.select_related("team", "project", "author").get(pk=world.report_ids[kind])


def api_client_for(world, actor):
    api = factories.ApiClient(Client())
    api.key = world.keys.get(actor)
    return api


def error_of(response):
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]


R = "/api/v1/teams/lab/reports"


# --- State snapshots: what a refused write must leave alone ---------------------------------


def _report_row(pk):
    return (
        Report.objects.filter(pk=pk).values_list("title", "body", "visibility", "revision", "project_id").first(),
        Revision.objects.filter(report_id=pk).count(),
    )


def _comments(pk):
    return list(Comment.objects.filter(report_id=pk).values_list("author_id", "body"))


def _follows(pk):
    return sorted(Follow.objects.filter(report_id=pk).values_list("user_id", flat=True))


def _stars(pk):
    return sorted(Star.objects.filter(report_id=pk).values_list("user_id", flat=True))


def _reports_in_team():
    return sorted(Report.objects.filter(team__slug="lab").values_list("title", flat=True))


# --- The matrix ------------------------------------------------------------------------------


def test_the_table_covers_every_report_scope():
    from teams import roles

    assert {scope for scope in roles.SCOPES if scope.startswith("report:")} == set(SCOPES)
    for kind in KINDS:
        assert set(EXPECTED[kind]) == set(SCOPES)
        assert EXPECTED[kind]["report:view"] == SEES[kind], kind
        for scope, allowed in EXPECTED[kind].items():
            assert allowed <= set(ACTORS)
            if scope != "report:create":
                assert allowed <= SEES[kind], (kind, scope)  # nothing is done to what one cannot see
        assert "anonymous" not in EXPECTED[kind]["report:follow"] | EXPECTED[kind]["report:comment"]
    for action, actor, kind in KNOWN_BUGS:
        assert action in ACTIONS and actor in ACTORS and kind in KINDS


def _cells():
    for action in ACTIONS:
        for actor in ACTORS:
            for kind in KINDS:
                reason = KNOWN_BUGS.get((action, actor, kind))
                marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
                yield pytest.param(action, actor, kind, marks=marks, id=f"{action}-{actor}-{kind}")


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("kind", KINDS)
def test_policy(world, kind, actor):
    """(a) the policy, scope by scope."""
    report = report_of(world, kind)
    person = world.people[actor]
    table = EXPECTED[kind]
    sees = actor in SEES[kind]

    access = policy.report_access(person, report)
    assert access.visible is sees, "report_access(...).visible"
    assert policy.can_see(person, report) is sees, "policy.can_see"
    for scope in ("report:view", "report:follow", "report:comment", "report:edit_any", "report:delete_any"):
        assert access.can(scope) is (actor in table[scope]), f"report_access(...).can({scope!r})"
    for scope in SCOPES:
        if scope == "report:create":
            continue
        assert policy.can(person, scope, report) is (actor in table[scope]), f"policy.can({scope!r}, report)"
    assert access.can_edit() is (actor in table["report:edit_own"] | table["report:edit_any"]), "can_edit()"
    assert access.can_delete() is (actor in table["report:delete_own"] | table["report:delete_any"]), "can_delete()"

    visibility, project_name = REPORT_SETUP[kind]
    project = Project.objects.get(team=world.team, name=project_name) if project_name else None
    assert policy.can(person, "report:create", project or world.team) is (actor in table["report:create"]), "report:create"


@pytest.mark.parametrize("action,actor,kind", list(_cells()))
def test_api(world, action, actor, kind):
    """(b) the JSON API: the allowed answer and its effect, or the right refusal and no effect."""
    table = EXPECTED[kind]
    person = world.people[actor]
    pk = world.report_ids[kind]
    sees = actor in SEES[kind]
    api = api_client_for(world, actor)
    path = f"{R}/{pk}"

    if action == "view":
        allowed = actor in table["report:view"]
        for sub in ("", "/comments", "/revisions"):
            response = api.get(path + sub)
            if allowed:
                assert response.status_code == 200, (sub, response.content[:300])
            elif actor == "anonymous":  # 401 reveals nothing; 404 would
                assert response.status_code == 401, (sub, response.content[:300])
                assert error_of(response)["code"] == "unauthenticated"
            else:
                assert response.status_code == 404, (sub, response.content[:300])
                assert error_of(response)["code"] == "not_found"
        if allowed:
            body = api.get(path).json()
            assert body["id"] == pk and body["title"] == f"Report {kind}"
        return

    if action == "create":
        allowed = actor in table["report:create"]
        visibility, project_name = REPORT_SETUP[kind]
        payload = {"title": "Matrix report", "body": "new", "visibility": visibility}
        if project_name:
            payload["project"] = project_name
        before = _reports_in_team()
        response = api.post(R, payload)
        if allowed:
            assert response.status_code == 201, response.content[:500]
            made = Report.objects.get(pk=response.json()["id"])
            assert made.author == person and made.visibility == visibility
            assert (made.project.name if made.project_id else None) == project_name
            return
        if actor == "anonymous":
            assert response.status_code == 401, response.content
            assert error_of(response)["code"] == "unauthenticated"
        elif actor not in SEES_PROJECT[project_name]:
            assert response.status_code == 400, response.content
            error = error_of(response)
            assert error["code"] == "invalid" and "project" in error["fields"], error
        else:
            assert response.status_code == 403, response.content
            error = error_of(response)
            assert error["code"] == "forbidden"
            assert "report:create" in error["message"], error
        assert _reports_in_team() == before, "a refused create made a report"
        return

    if action in ("follow", "star"):
        allowed = actor in table["report:follow"]
        rows = _follows if action == "follow" else _stars
        key = "following" if action == "follow" else "starred"
        before = rows(pk)
        on = api.put(f"{path}/{action}")
        if allowed:
            assert on.status_code == 200, on.content
            assert on.json()[key] is True
            assert person.pk in rows(pk)
            off = api.delete(f"{path}/{action}")
            assert off.status_code == 200, off.content
            assert off.json()[key] is False
            assert person.pk not in rows(pk)
            return
        off = api.delete(f"{path}/{action}")
        for response in (on, off):
            _assert_refused(response, actor, sees, "report:follow")
        assert rows(pk) == before, f"a refused {action} changed something"
        return

    if action == "comment":
        allowed = actor in table["report:comment"]
        before = _comments(pk)
        response = api.post(f"{path}/comments", {"body": "Said by the matrix."})
        if allowed:
            assert response.status_code == 201, response.content
            assert _comments(pk) == before + [(person.pk, "Said by the matrix.")]
            return
        _assert_refused(response, actor, sees, "report:comment")
        assert _comments(pk) == before, "a refused comment was saved"
        return

    if action == "edit":
        allowed = actor in table["report:edit_own"] | table["report:edit_any"]
        before = _report_row(pk)
        response = api.patch(path, {"body": "Edited by the matrix.", "base_revision": 1})
        if allowed:
            assert response.status_code == 200, response.content
            assert response.json()["revision"] == 2
            assert Report.objects.get(pk=pk).body == "Edited by the matrix."
            assert Revision.objects.filter(report_id=pk).count() == 2
            return
        _assert_refused(response, actor, sees, "report:edit_own", "report:edit_any")
        assert _report_row(pk) == before, "a refused edit changed the report"
        return

    if action == "delete":
        allowed = actor in table["report:delete_own"] | table["report:delete_any"]
        response = api.delete(path)
        if allowed:
            assert response.status_code == 204, response.content
            assert not Report.objects.filter(pk=pk).exists()
            return
        _assert_refused(response, actor, sees, "report:delete_own", "report:delete_any")
        assert Report.objects.filter(pk=pk).exists(), "a refused delete removed the report"
        return

    raise AssertionError(action)


def _assert_refused(response, actor, sees, *scopes):
    if actor == "anonymous":
        assert response.status_code == 401, response.content
        assert error_of(response)["code"] == "unauthenticated"
    elif not sees:
        assert response.status_code == 404, response.content
        assert error_of(response)["code"] == "not_found"
    else:
        assert response.status_code == 403, response.content
        error = error_of(response)
        assert error["code"] == "forbidden"
        for scope in scopes:
            assert scope in error["message"], error


def _list_cells():
    for actor in ACTORS:
        for kind in KINDS:
            reason = KNOWN_LIST_BUGS.get((actor, kind))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            yield pytest.param(actor, kind, marks=marks, id=f"{actor}-{kind}")


@pytest.mark.parametrize("actor,kind", list(_list_cells()))
def test_listed_exactly_where_readable(world, actor, kind):
    """policy.visible, GET .../reports and the /lab/reports/ page list the report to whoever can open it,
    and to nobody else."""
    sees = actor in SEES[kind]
    person = world.people[actor]
    in_policy = policy.visible(person, Report.objects.filter(team=world.team)).filter(pk=world.report_ids[kind]).exists()
    assert in_policy is sees, "policy.visible(reports)"
    listed = api_client_for(world, actor).get(R + "?limit=500")
    assert listed.status_code == 200, listed.content
    ids = [row["id"] for row in listed.json()["results"]]
    assert (world.report_ids[kind] in ids) is (actor in SEES[kind]), "API list"
    if actor not in WEB_ACTORS:
        return
    browser = Client()
    if actor != "anonymous":
        browser.force_login(world.people[actor])
    page = browser.get("/lab/reports/")
    assert page.status_code == 200
    shown = f'href="/lab/reports/{world.report_ids[kind]}/"' in page.content.decode()
    assert shown is (actor in SEES[kind]), "list page"


@pytest.mark.parametrize("actor", WEB_ACTORS)
@pytest.mark.parametrize("kind", KINDS)
def test_report_page(world, kind, actor):
    """The web page answers like the API: 200 to who sees it, else 404 (never a hint);
    a visitor who is not signed in is sent to sign in, whether the report exists or not."""
    browser = Client()
    if actor != "anonymous":
        browser.force_login(world.people[actor])
    response = browser.get(f"/lab/reports/{world.report_ids[kind]}/")
    if actor in SEES[kind]:
        assert response.status_code == 200
        assert f"Report {kind}" in response.content.decode()
    elif actor == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")
    else:
        assert response.status_code == 404
        assert f"Report {kind}".encode() not in response.content
