"""One access matrix over every project and run scope (spec/permissions.md).

action x actor x project visibility. Every cell is asserted twice: (a) through the
policy module (`policy.project_access(...)`, `.can`, `.can("run:delete", run)`, `policy.can`,
`policy.visible`), (b) over the JSON API (spec/api.md, "Projects" and "Runs").

The expected answers below are written out by hand from spec/permissions.md
(the scope table, "Project visibility", "Service accounts", "Answers"); nothing
derives them from the code under test. Cells where the product disagrees with
the spec are marked xfail(strict=True) with the reason; see KNOWN_BUGS.

Answers (spec "Answers", spec/api.md "Errors"):
- cannot see the project at all: 404 `not_found` (the same as a missing one);
- can see it but lacks the scope: 403 `forbidden`, the message naming the scope;
- not signed in, on an endpoint that writes: 401 `unauthenticated`.
"""

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Callable

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from experiments import services as experiments
from experiments.models import LogLine, MetricSeries, Project, Run
from teams import policy, services
from tests import factories, worlds
from teams.policy import SYSTEM

pytestmark = pytest.mark.django_db

ACTORS = (
    "anonymous",  # not signed in
    "outsider",  # signed in, in no team
    "viewer",
    "member",
    "admin",
    "service",  # a service account of the project's team
    "other_service",  # a service account of ANOTHER team
    "custom",  # an organization custom role: viewer + run:log
    "creator",  # a member, the project's creator (holds project:manage on it)
    "sysadmin",  # Django superuser, in no team
)

# restricted_listed: the actor is on the project's access list (for people who are
# not team members the grant is there but counts for nothing: "team members on the
# project's access list"); restricted_unlisted: someone else is on it, not the actor.
VISIBILITIES = ("team", "restricted_listed", "restricted_unlisted", "public", "open")

EVERYONE = frozenset(ACTORS)

# --- Who sees the project at all (else 404) --------------------------------------------

SEES = {
    "team": {"viewer", "member", "admin", "service", "custom", "creator", "sysadmin"},
    "restricted_listed": {"viewer", "member", "admin", "service", "custom", "creator", "sysadmin"},
    "restricted_unlisted": {"admin", "sysadmin"},
    "public": set(EVERYONE),
    "open": set(EVERYONE),
}

# --- The expected table: visibility -> action -> actors allowed ------------------------
#
# project:create is a team scope (creating a project of that visibility in the team, or
# logging the first run to a new project name): member, admin, service; the creator is a
# member; the system admin holds every scope. The same in every column.
#
# "open": "team members by scope; plus any signed-in user and any service account of
# another team may log runs (run:log, run:delete_own, run:stop_own)". A team viewer and
# the viewer-based custom role are signed-in users too, so they get those three scopes.
EXPECTED = {
    "team": {
        "project:create": {"member", "admin", "service", "creator", "sysadmin"},
        "project:manage": {"admin", "creator", "sysadmin"},
        "project:delete": {"admin", "sysadmin"},
        "run:view": {"viewer", "member", "admin", "service", "custom", "creator", "sysadmin"},
        "run:edit_workspace": {"member", "admin", "creator", "sysadmin"},
        "run:log": {"member", "admin", "service", "custom", "creator", "sysadmin"},
        "run:delete_own": {"member", "admin", "service", "creator", "sysadmin"},
        "run:delete_any": {"admin", "sysadmin"},
        "run:stop_own": {"member", "admin", "service", "creator", "sysadmin"},
        "run:stop_any": {"admin", "sysadmin"},
    },
    "restricted_listed": {
        "project:create": {"member", "admin", "service", "creator", "sysadmin"},
        "project:manage": {"admin", "creator", "sysadmin"},
        "project:delete": {"admin", "sysadmin"},
        "run:view": {"viewer", "member", "admin", "service", "custom", "creator", "sysadmin"},
        "run:edit_workspace": {"member", "admin", "creator", "sysadmin"},
        "run:log": {"member", "admin", "service", "custom", "creator", "sysadmin"},
        "run:delete_own": {"member", "admin", "service", "creator", "sysadmin"},
        "run:delete_any": {"admin", "sysadmin"},
        "run:stop_own": {"member", "admin", "service", "creator", "sysadmin"},
        "run:stop_any": {"admin", "sysadmin"},
    },
    "restricted_unlisted": {
        "project:create": {"member", "admin", "service", "creator", "sysadmin"},
        "project:manage": {"admin", "sysadmin"},
        "project:delete": {"admin", "sysadmin"},
        "run:view": {"admin", "sysadmin"},
        "run:edit_workspace": {"admin", "sysadmin"},
        "run:log": {"admin", "sysadmin"},
        "run:delete_own": {"admin", "sysadmin"},
        "run:delete_any": {"admin", "sysadmin"},
        "run:stop_own": {"admin", "sysadmin"},
        "run:stop_any": {"admin", "sysadmin"},
    },
    "public": {
        "project:create": {"member", "admin", "service", "creator", "sysadmin"},
        "project:manage": {"admin", "creator", "sysadmin"},
        "project:delete": {"admin", "sysadmin"},
        "run:view": set(EVERYONE),
        "run:edit_workspace": {"member", "admin", "creator", "sysadmin"},
        "run:log": {"member", "admin", "service", "custom", "creator", "sysadmin"},
        "run:delete_own": {"member", "admin", "service", "creator", "sysadmin"},
        "run:delete_any": {"admin", "sysadmin"},
        "run:stop_own": {"member", "admin", "service", "creator", "sysadmin"},
        "run:stop_any": {"admin", "sysadmin"},
    },
    "open": {
        "project:create": {"member", "admin", "service", "creator", "sysadmin"},
        "project:manage": {"admin", "creator", "sysadmin"},
        "project:delete": {"admin", "sysadmin"},
        "run:view": set(EVERYONE),
        "run:edit_workspace": {"member", "admin", "creator", "sysadmin"},
        "run:log": set(EVERYONE - {"anonymous"}),
        "run:delete_own": set(EVERYONE - {"anonymous"}),
        "run:delete_any": {"admin", "sysadmin"},
        "run:stop_own": set(EVERYONE - {"anonymous"}),
        "run:stop_any": {"admin", "sysadmin"},
    },
}

KNOWN_BUGS: dict = {}


# --- The actions -----------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One HTTP request. `ok` is its status when allowed; `state` reads what a write changes."""

    method: str
    path: str  # formatted with the world's names
    ok: int
    data: Any = None  # a dict, or a callable(world) -> dict
    state: Callable | None = None  # callable(world) -> snapshot; None for reads

    @property
    def writes(self):
        return self.method != "GET"

    def url(self, w):
        return self.path.format(**w.names)

    def body(self, w):
        return self.data(w) if callable(self.data) else self.data


@dataclass(frozen=True)
class Action:
    scope: str  # asked of the policy; a 403 must name it
    target: str  # "team": a team scope; "project": asked on the project; "own"/"any": a run action
    calls: tuple
    verb: str = ""  # "delete" / "stop" for run actions


P = "/api/v1/teams/{team}/projects/{project}"


def _projects(w):
    return sorted(Project.objects.filter(team=w.team).values_list("name", "visibility"))


def _project_row(w):
    return Project.objects.filter(pk=w.project.pk).values_list("name", "description", "visibility").first()


def _access_list(w):
    return sorted(user.username for user in policy.access_list(Project.objects.get(pk=w.project.pk)))


def _run_row(run_id, *fields):
    return lambda w: Run.objects.filter(project=w.project, run_id=w.names[run_id]).values_list(*fields).first()


def _runs(w):
    return sorted(Run.objects.filter(project__team=w.team).values_list("project__name", "run_id"))


def _series(w):
    return MetricSeries.objects.filter(run__project=w.project, run__run_id=w.names["own"]).count()


def _log_lines(w):
    return LogLine.objects.filter(run__project=w.project, run__run_id=w.names["own"]).count()


ACTIONS = {
    "project:create": Action(
        scope="project:create",
        target="team",
        calls=(
            Call("POST", "/api/v1/teams/{team}/projects", 201, data=lambda w: {"name": "fresh", "visibility": w.base_visibility}, state=_projects),
            # "also by logging the first run to a new project name"
            Call("POST", "/api/v1/teams/{team}/projects/fresh-by-run/runs", 201, data={"run_id": "first"}, state=_runs),
        ),
    ),
    "project:manage": Action(
        scope="project:manage",
        target="project",
        calls=(
            Call("PATCH", P, 200, data={"description": "Changed by the matrix."}, state=_project_row),
            Call("PUT", P + "/access/{newcomer}", 200, state=_access_list),
        ),
    ),
    "project:delete": Action(
        scope="project:delete",
        target="project",
        calls=(Call("DELETE", P, 204, data={"confirm": "vision"}, state=_project_row),),
    ),
    "run:view": Action(
        scope="run:view",
        target="project",
        calls=(
            Call("GET", P, 200),
            Call("GET", P + "/runs", 200),
            Call("GET", P + "/runs/{other}", 200),
            Call("GET", P + "/runs/{other}/history", 200),
            Call("GET", P + "/runs/{other}/history?format=csv", 200),
            Call("GET", P + "/runs/{other}/system-metrics", 200),
            Call("GET", P + "/runs/{other}/logs", 200),
            Call("GET", P + "/runs/{other}/files", 200),
        ),
    ),
    "run:edit_workspace": Action(
        scope="run:edit_workspace",
        target="project",
        calls=(
            Call("PATCH", P + "/runs/{other}", 200, data={"notes": "edited by the matrix"}, state=_run_row("other", "notes")),
            Call("PATCH", P + "/runs/{other}", 200, data={"tags": ["matrix"]}, state=_run_row("other", "tags")),
        ),
    ),
    "run:log": Action(
        scope="run:log",
        target="project",
        calls=(
            Call("POST", P + "/runs", 201, data={"run_id": "logged-now", "config": {"lr": 0.1}}, state=_runs),
            Call("POST", P + "/runs/{own}/history", 200, data={"rows": [{"step": 0, "values": {"loss": 1.5}}]}, state=_series),
            Call("POST", P + "/runs/{own}/logs", 200, data={"lines": ["epoch 1"]}, state=_log_lines),
        ),
    ),
    "run:delete_own": Action(
        scope="run:delete_own",
        target="own",
        verb="delete",
        calls=(Call("DELETE", P + "/runs/{own}", 204, state=_run_row("own", "run_id")),),
    ),
    "run:delete_any": Action(
        scope="run:delete_any",
        target="any",
        verb="delete",
        calls=(Call("DELETE", P + "/runs/{other}", 204, state=_run_row("other", "run_id")),),
    ),
    "run:stop_own": Action(
        scope="run:stop_own",
        target="own",
        verb="stop",
        calls=(Call("POST", P + "/runs/{own}/stop", 202, state=_run_row("own", "stop_requested")),),
    ),
    "run:stop_any": Action(
        scope="run:stop_any",
        target="any",
        verb="stop",
        calls=(Call("POST", P + "/runs/{other}/stop", 202, state=_run_row("other", "stop_requested")),),
    ),
}


# --- The world --------------------------------------------------------------------------------


def build_world():
    """Team "lab" with one person per actor; project "vision" created by the creator;
    "others-run" logged by a bystander member; "own-<actor>" logged by each actor.

    Built once for the module; every test runs in its own savepoint on top of it."""
    people = {}
    people["sysadmin"] = factories.user(username="sys-op", is_superuser=True, is_staff=True)
    people["admin"] = factories.user(username="ada-admin")
    people["outsider"] = factories.user(username="otto-outsider")
    org = services.organization_create(actor=SYSTEM, slug="acme", name="Acme")
    team = services.team_create(organization=org, slug="lab", name="Lab", actor=SYSTEM, admin=people["admin"])
    services.custom_role_create(actor=SYSTEM, organization=org, name="logger", base="viewer", scopes=["run:log"])
    for key, username, role in [
        ("viewer", "vera-viewer", "viewer"),
        ("member", "max-member", "member"),
        ("custom", "lou-logger", "logger"),
        ("creator", "cleo-creator", "member"),
        ("bystander", "bea-bystander", "member"),
        ("newcomer", "nia-newcomer", "member"),
    ]:
        person = factories.user(username=username)
        services.org_member_set(actor=SYSTEM, organization=org, user=person, role="member")
        services.member_add(actor=SYSTEM, team=team, user=person, role=role)
        people[key] = person
    bot = services.service_account_create(team=team, name="ci", actor=people["admin"])
    people["service"] = bot.service_account.user
    elsewhere_admin = factories.user(username="eli-elsewhere")
    other_org = services.organization_create(actor=SYSTEM, slug="globex", name="Globex")
    other_team = services.team_create(organization=other_org, slug="elsewhere", name="Elsewhere", actor=SYSTEM, admin=elsewhere_admin)
    other_bot = services.service_account_create(team=other_team, name="ci", actor=elsewhere_admin)
    people["other_service"] = other_bot.service_account.user
    people["anonymous"] = AnonymousUser()
    keys = {"service": bot.key, "other_service": other_bot.key}
    for actor in ACTORS:
        if actor not in keys and actor != "anonymous":
            keys[actor] = factories.api_key(people[actor])

    project = experiments.project_create(team=team, name="vision", actor=people["creator"])
    other_run = experiments.run_create(project=project, actor=people["bystander"], run_id="others-run")
    experiments.history_append(actor=SYSTEM, run=other_run, rows=[{"step": 0, "values": {"loss": 2.0}}])
    experiments.logs_append(actor=SYSTEM, run=other_run, lines=["hello"])
    for actor in ACTORS:
        if actor != "anonymous":
            # "own" is a fact about the run, whoever may log today: viewers and outsiders
            # cannot start runs, so their runs are made as an import would make them
            owned = Run.objects.create(project=project, run_id=f"own-{actor}", name=f"own-{actor}", created_by=people[actor], logged_by=people[actor])
            policy.grant_owner(people[actor], owned)
    return SimpleNamespace(people=people, keys=keys, team=team, project_pk=project.pk)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    yield from worlds.built_once(django_db_blocker, build_world)


def arrange(world, actor, visibility):
    """This cell's view of the world: the project's visibility and access list set."""
    base = "restricted" if visibility.startswith("restricted") else visibility
    Project.objects.filter(pk=world.project_pk).update(visibility=base)
    project = Project.objects.select_related("team").get(pk=world.project_pk)
    people = world.people
    if visibility == "restricted_listed" and actor != "anonymous":
        if actor in ("outsider", "other_service", "sysadmin"):
            # Not team members: the access list cannot take them (it refuses non-members), but a
            # grant left behind (say, by someone removed from the team) must count for nothing.
            policy.access_list_add(project, people[actor])
        else:
            experiments.access_list_set(actor=SYSTEM, project=project, user=people[actor], present=True)
    if visibility == "restricted_unlisted":
        experiments.access_list_set(actor=SYSTEM, project=project, user=people["bystander"], present=True)
    own_run = Run.objects.filter(project=project, run_id=f"own-{actor}").first()
    other_run = Run.objects.get(project=project, run_id="others-run")
    names = {
        "team": "lab",
        "project": "vision",
        "other": "others-run",
        "own": own_run.run_id if own_run else "others-run",
        "newcomer": "nia-newcomer",
    }
    return SimpleNamespace(
        names=names, people=people, keys=world.keys, team=world.team, project=project, own_run=own_run,
        other_run=other_run, base_visibility=base,
    )


def api_client_for(w, actor):
    api = factories.ApiClient(Client())
    api.key = w.keys.get(actor)
    return api


def error_of(response):
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]


# --- The matrix -------------------------------------------------------------------------------


def test_the_table_covers_every_project_and_run_scope():
    from teams import roles

    scopes = {scope for scope in roles.SCOPES if scope.startswith(("project:", "run:"))}
    assert scopes == set(ACTIONS)
    for visibility in VISIBILITIES:
        assert set(EXPECTED[visibility]) == set(ACTIONS)
        for action, allowed in EXPECTED[visibility].items():
            assert allowed <= set(ACTORS)
            if action != "project:create":
                assert allowed <= SEES[visibility], (visibility, action)
        assert EXPECTED[visibility]["run:view"] == SEES[visibility]  # who sees may view runs
    for key in KNOWN_BUGS:
        action, actor, visibility = key
        assert actor in EXPECTED[visibility][action]


def _cells():
    for action in ACTIONS:
        for actor in ACTORS:
            for visibility in VISIBILITIES:
                reason = KNOWN_BUGS.get((action, actor, visibility))
                marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
                yield pytest.param(action, actor, visibility, marks=marks, id=f"{action}-{actor}-{visibility}")


@pytest.mark.parametrize("action_name,actor,visibility", list(_cells()))
def test_access(world, action_name, actor, visibility):
    action = ACTIONS[action_name]
    allowed = actor in EXPECTED[visibility][action_name]
    sees = actor in SEES[visibility]
    w = arrange(world, actor, visibility)
    person = w.people[actor]

    # (a) the policy
    access = policy.project_access(person, w.project)
    assert access.visible is sees, "project_access(...).visible"
    assert policy.can_see(person, w.project) is sees, "policy.can_see"
    listed = policy.visible(person, Project.objects.filter(team=w.team)).filter(pk=w.project.pk).exists()
    assert listed is sees, "policy.visible(projects)"
    if action.target == "team":
        assert policy.can(person, action.scope, w.team) is allowed, "policy.can(team)"
        assert policy.team_access(person, w.team).can(action.scope) is allowed, "team_access.can"
    elif action.target == "project":
        assert access.can(action.scope) is allowed, "project_access.can"
        assert policy.can(person, action.scope, w.project) is allowed, "policy.can(project)"
    else:
        run = w.own_run if action.target == "own" and w.own_run else w.other_run
        assert access.can(f"run:{action.verb}", run) is allowed, f"project_access.can(run:{action.verb})"
        if action.target == "own":
            assert policy.can(person, action.scope, run) is allowed, "policy.can(run)"
        else:
            assert policy.can(person, action.scope, w.project) is allowed, "policy.can(project)"

    # (b) the API
    for call in action.calls:
        api = api_client_for(w, actor)
        before = call.state(w) if call.state else None
        response = api.request(call.method, call.url(w), call.body(w))
        where = f"API {call.method} {call.url(w)}"
        if allowed:
            assert response.status_code == call.ok, (where, response.content[:500])
            if call.state:
                assert call.state(w) != before, f"{where} answered {call.ok} but changed nothing"
            continue
        if actor == "anonymous":  # 401 for anything a visitor cannot see or do, whether it exists or not
            assert response.status_code == 401, (where, response.content)
            assert error_of(response)["code"] == "unauthenticated"
        elif not sees and action.target != "team":
            assert response.status_code == 404, (where, response.content)
            error = error_of(response)
            assert error["code"] == "not_found"
        else:
            assert response.status_code == 403, (where, response.content)
            error = error_of(response)
            assert error["code"] == "forbidden"
            assert action.scope in error["message"], (where, error)
        if call.state:
            assert call.state(w) == before, f"{where} was refused but changed something"

    # Who sees the project finds it in the team's project list, and nobody else does.
    if action_name == "run:view":
        listed = api_client_for(w, actor).get("/api/v1/teams/lab/projects")
        assert listed.status_code == 200
        assert ("vision" in [row["name"] for row in listed.json()["results"]]) is sees


# --- Scenarios the table alone does not show -----------------------------------------------
#
# These run after the matrix in the same module, on their own team ("studio") and people.


@pytest.fixture
def studio(db):
    """Team "studio": an admin, members A and B, a viewer, a service account; an outsider."""
    admin = factories.user(username="sam-studio-admin")
    org = services.organization_create(actor=SYSTEM, slug="studio-org", name="Studio Org")
    team = services.team_create(organization=org, slug="studio", name="Studio", actor=SYSTEM, admin=admin)
    people = {"admin": admin}
    for key, role in [("a", "member"), ("b", "member"), ("viewer", "viewer")]:
        person = factories.user(username=f"studio-{key}")
        services.org_member_set(actor=SYSTEM, organization=org, user=person, role="member")
        services.member_add(actor=SYSTEM, team=team, user=person, role=role)
        people[key] = person
    people["outsider"] = factories.user(username="studio-outsider")
    people["outsider2"] = factories.user(username="studio-outsider-2")
    bot = services.service_account_create(team=team, name="ci", actor=admin)
    people["service"] = bot.service_account.user
    keys = {"service": bot.key}

    def api(who):
        client = factories.ApiClient(Client())
        if who in keys:
            client.key = keys[who]
        elif who is not None:
            client.as_user(people[who])
        return client

    return SimpleNamespace(team=team, org=org, people=people, api=api)


SP = "/api/v1/teams/studio/projects"


def test_own_means_creator_a_run_moved_into_another_members_project(studio):
    a_api, b_api = studio.api("a"), studio.api("b")
    assert a_api.post(SP, {"name": "a-proj"}).status_code == 201
    assert b_api.post(SP, {"name": "b-proj"}).status_code == 201
    assert b_api.post(f"{SP}/b-proj/runs", {"run_id": "b-run"}).status_code == 201
    moved = b_api.post(f"{SP}/b-proj/runs/b-run/move", {"project": "a-proj"})
    assert moved.status_code == 200, moved.content
    assert moved.json()["created_by"] == "studio-b"

    project = Project.objects.get(team=studio.team, name="a-proj")
    run = Run.objects.get(project=project, run_id="b-run")
    # A created the project (and holds project:manage on it), but not the run.
    access_a = policy.project_access(studio.people["a"], project)
    assert access_a.can("project:manage")
    assert access_a.can("run:delete", run) is False
    assert access_a.can("run:stop", run) is False
    assert policy.can(studio.people["a"], "run:delete_own", run) is False
    assert policy.project_access(studio.people["b"], project).can("run:delete", run) is True
    assert policy.project_access(studio.people["admin"], project).can("run:delete", run) is True

    refused = a_api.delete(f"{SP}/a-proj/runs/b-run")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    assert "run:delete_own" in refused.json()["error"]["message"]
    assert a_api.post(f"{SP}/a-proj/runs/b-run/stop").status_code == 403
    assert Run.objects.filter(pk=run.pk, stop_requested=False).exists()

    assert b_api.post(f"{SP}/a-proj/runs/b-run/stop").status_code == 202
    assert b_api.delete(f"{SP}/a-proj/runs/b-run").status_code == 204
    assert not Run.objects.filter(pk=run.pk).exists()


def test_an_admin_may_delete_a_run_moved_into_another_members_project(studio):
    a_api, b_api = studio.api("a"), studio.api("b")
    a_api.post(SP, {"name": "a-proj"})
    b_api.post(f"{SP}/b-proj/runs", {"run_id": "b-run"})
    assert b_api.post(f"{SP}/b-proj/runs/b-run/move", {"project": "a-proj"}).status_code == 200
    assert studio.api("admin").delete(f"{SP}/a-proj/runs/b-run").status_code == 204
    assert not Run.objects.filter(run_id="b-run").exists()


def test_a_project_creator_cannot_move_someone_elses_run(studio):
    a_api, b_api = studio.api("a"), studio.api("b")
    a_api.post(SP, {"name": "a-proj"})
    b_api.post(f"{SP}/a-proj/runs", {"run_id": "b-run"})
    a_api.post(SP, {"name": "a-other"})
    refused = a_api.post(f"{SP}/a-proj/runs/b-run/move", {"project": "a-other"})
    assert refused.status_code == 403
    assert Run.objects.get(run_id="b-run").project.name == "a-proj"


@pytest.mark.parametrize("who", ["b", "admin"])
def test_runs_cannot_be_moved_out_of_a_restricted_project(studio, who):
    admin_api = studio.api("admin")
    assert admin_api.post(SP, {"name": "secret", "visibility": "restricted"}).status_code == 201
    assert admin_api.post(SP, {"name": "plain"}).status_code == 201
    assert admin_api.put(f"{SP}/secret/access/studio-b").status_code == 200
    api = studio.api(who)
    assert api.post(f"{SP}/secret/runs", {"run_id": "hidden-run"}).status_code == 201
    refused = api.post(f"{SP}/secret/runs/hidden-run/move", {"project": "plain"})
    assert refused.status_code == 409, refused.content
    assert refused.json()["error"]["code"] == "conflict"
    assert refused.json()["error"]["message"]
    assert Run.objects.get(run_id="hidden-run").project.name == "secret"


@pytest.mark.parametrize(
    "visibility,status",
    [("team", 404), ("restricted", 404), ("public", 403), ("open", 201)],
)
def test_a_service_account_logs_into_another_teams_project_only_when_open(studio, visibility, status):
    elsewhere_admin = factories.user(username="far-admin")
    org = services.organization_create(actor=SYSTEM, slug="far-org", name="Far Org")
    elsewhere = services.team_create(organization=org, slug="far", name="Far", actor=SYSTEM, admin=elsewhere_admin)
    experiments.project_create(team=elsewhere, name="theirs", actor=elsewhere_admin, visibility=visibility)

    response = studio.api("service").post("/api/v1/teams/far/projects/theirs/runs", {"run_id": "bot-run"})
    assert response.status_code == status, response.content
    created = Run.objects.filter(project__team=elsewhere, run_id="bot-run")
    if status == 201:
        run = created.get()
        assert run.created_by == studio.people["service"] and run.logged_by == studio.people["service"]
        bot = factories.ApiClient(Client())
        bot.key = studio.api("service").key
        history = bot.post("/api/v1/teams/far/projects/theirs/runs/bot-run/history", {"rows": [{"step": 0, "values": {"x": 1}}]})
        assert history.status_code == 200
    else:
        assert not created.exists()
        if status == 403:
            assert "run:log" in response.json()["error"]["message"]
    # and never a new project in another team
    new = studio.api("service").post("/api/v1/teams/far/projects/brand-new/runs", {"run_id": "x"})
    assert new.status_code == 403
    assert not Project.objects.filter(team=elsewhere, name="brand-new").exists()


def test_a_service_account_in_another_teams_open_project_credits_only_that_teams_members(studio):
    far_admin = factories.user(username="far-admin")
    org = services.organization_create(actor=SYSTEM, slug="far-org", name="Far Org")
    far = services.team_create(organization=org, slug="far", name="Far", actor=SYSTEM, admin=far_admin)
    experiments.project_create(team=far, name="commons", actor=far_admin, visibility="open")
    bot = studio.api("service")
    path = "/api/v1/teams/far/projects/commons/runs"
    # a member of the bot's own team is not a member of the team that owns the project
    refused = bot.post(path, {"run_id": "r1", "username": "studio-a"})
    assert refused.status_code == 400, refused.content
    assert "studio-a" in refused.json()["error"]["message"]
    assert not Run.objects.filter(project__team=far).exists()
    credited = bot.post(path, {"run_id": "r2", "username": "far-admin"})
    assert credited.status_code == 201, credited.content
    run = Run.objects.get(project__team=far, run_id="r2")
    assert run.created_by == far_admin and run.logged_by == studio.people["service"]


@pytest.mark.parametrize("visibility", ["public", "open"])
def test_a_creator_removed_from_the_team_no_longer_manages_the_project(studio, visibility):
    from teams.models import Membership

    a_api = studio.api("a")
    assert a_api.post(SP, {"name": "shown", "visibility": visibility}).status_code == 201
    services.member_remove(actor=SYSTEM, membership=Membership.objects.get(team=studio.team, user=studio.people["a"]))
    project = Project.objects.get(team=studio.team, name="shown")
    assert policy.project_access(studio.people["a"], project).can("project:manage") is False
    refused = a_api.patch(f"{SP}/shown", {"visibility": "team"})
    assert refused.status_code == 403
    assert "project:manage" in refused.json()["error"]["message"]
    assert Project.objects.get(pk=project.pk).visibility == visibility


def test_open_project_outsiders_log_and_delete_or_stop_only_their_own_runs(studio):
    admin_api = studio.api("admin")
    assert admin_api.post(SP, {"name": "commons", "visibility": "open"}).status_code == 201
    assert admin_api.post(f"{SP}/commons/runs", {"run_id": "admins-run"}).status_code == 201
    one, two = studio.api("outsider"), studio.api("outsider2")

    created = one.post(f"{SP}/commons/runs", {"run_id": "outside-1"})
    assert created.status_code == 201, created.content
    assert one.post(f"{SP}/commons/runs/outside-1/history", {"rows": [{"step": 1, "values": {"acc": 0.5}}]}).status_code == 200
    assert two.post(f"{SP}/commons/runs", {"run_id": "outside-2"}).status_code == 201

    # not others': neither the team's run nor the other outsider's
    for target in ("admins-run", "outside-2"):
        assert one.post(f"{SP}/commons/runs/{target}/stop").status_code == 403
        refused = one.delete(f"{SP}/commons/runs/{target}")
        assert refused.status_code == 403
        assert "run:delete_own" in refused.json()["error"]["message"]
    # nor write into another's run, nor change the project, nor edit notes
    assert one.post(f"{SP}/commons/runs/outside-2/history", {"rows": [{"step": 1, "values": {"acc": 0.5}}]}).status_code == 403
    assert one.patch(f"{SP}/commons", {"description": "mine now"}).status_code == 403
    assert one.patch(f"{SP}/commons/runs/outside-2", {"notes": "hi"}).status_code == 403
    # their own: yes
    assert one.post(f"{SP}/commons/runs/outside-1/stop").status_code == 202
    assert one.post(f"{SP}/commons/runs/outside-1/heartbeat").json() == {"stop_requested": True}
    assert one.delete(f"{SP}/commons/runs/outside-1").status_code == 204
    assert sorted(Run.objects.filter(project__name="commons").values_list("run_id", flat=True)) == ["admins-run", "outside-2"]
    # anonymous visitors may look, never log
    anon = studio.api(None)
    assert anon.get(f"{SP}/commons/runs").status_code == 200
    assert anon.post(f"{SP}/commons/runs", {"run_id": "anon"}).status_code == 401


def test_open_project_outsider_cannot_create_projects_by_logging(studio):
    refused = studio.api("outsider").post(f"{SP}/not-yet/runs", {"run_id": "x"})
    assert refused.status_code == 403
    assert "project:create" in refused.json()["error"]["message"]
    assert not Project.objects.filter(name="not-yet").exists()


def test_a_restricted_projects_runs_are_hidden_from_unlisted_members_everywhere(studio):
    admin_api = studio.api("admin")
    admin_api.post(SP, {"name": "secret", "visibility": "restricted"})
    admin_api.post(f"{SP}/secret/runs", {"run_id": "r1"})
    a_api = studio.api("a")
    assert "secret" not in [p["name"] for p in a_api.get(SP).json()["results"]]
    for path in ("", "/runs", "/runs/r1", "/runs/r1/history", "/runs/r1/logs", "/runs/r1/files"):
        response = a_api.get(f"{SP}/secret{path}")
        assert response.status_code == 404, path
        missing = a_api.get(f"{SP}/no-such-project{path}")
        assert response.json()["error"]["code"] == missing.json()["error"]["code"] == "not_found"
    # logging a run with the same name does not create a twin project nor reveal it
    assert a_api.post(f"{SP}/secret/runs", {"run_id": "r2"}).status_code == 404
    assert Project.objects.filter(team=studio.team, name__iexact="secret").count() == 1


# --- "projects stay inside the team" ---------------------------------------------------------


@pytest.mark.parametrize("visibility", ["public", "open"])
def test_projects_stay_inside_refuses_public_and_open(studio, visibility):
    studio.team.projects_stay_inside = True
    studio.team.save()
    admin_api = studio.api("admin")
    refused = admin_api.post(SP, {"name": "leaky", "visibility": visibility})
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["code"] == "invalid"
    assert "visibility" in error.get("fields", {})
    assert error["message"].endswith(".") and len(error["message"].split()) > 4  # a sentence
    assert not Project.objects.filter(name="leaky").exists()

    assert admin_api.post(SP, {"name": "inside"}).status_code == 201
    changed = admin_api.patch(f"{SP}/inside", {"visibility": visibility})
    assert changed.status_code == 400
    assert Project.objects.get(name="inside").visibility == "team"
    # team and restricted stay available
    assert admin_api.patch(f"{SP}/inside", {"visibility": "restricted"}).status_code == 200


def test_turning_projects_stay_inside_on_moves_public_and_open_projects_to_team(studio):
    admin_api = studio.api("admin")
    for name, visibility in [("p-team", "team"), ("p-restricted", "restricted"), ("p-public", "public"), ("p-open", "open")]:
        assert admin_api.post(SP, {"name": name, "visibility": visibility}).status_code == 201
    anon = studio.api(None)
    assert anon.get(f"{SP}/p-public/runs").status_code == 200

    # a member may not flip the setting
    assert studio.api("a").patch("/api/v1/teams/studio", {"projects_stay_inside": True}).status_code == 403
    response = admin_api.patch("/api/v1/teams/studio", {"projects_stay_inside": True})
    assert response.status_code == 200, response.content
    assert response.json()["projects_stay_inside"] is True
    assert dict(Project.objects.filter(team=studio.team).values_list("name", "visibility")) == {
        "p-team": "team",
        "p-restricted": "restricted",
        "p-public": "team",
        "p-open": "team",
    }
    assert anon.get(f"{SP}/p-public/runs").status_code == 401  # no longer visible to visitors
    assert studio.api("outsider").post(f"{SP}/p-open/runs", {"run_id": "x"}).status_code == 404
    assert {p["name"]: p["visibility"] for p in admin_api.get(SP).json()["results"]} == {
        "p-team": "team",
        "p-restricted": "restricted",
        "p-public": "team",
        "p-open": "team",
    }
