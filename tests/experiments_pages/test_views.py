"""Experiment pages through the Django test client: flat query counts on the
workspace, projects list and run page; every page and tab for a member; who
sees what (spec/permissions.md: invisible is 404, visible without the scope is
403); the plain-POST actions (stop, delete, move, notes, panels, project
settings); empty states."""

import re
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from experiments import services
from experiments.models import Project, Run, RunState
from teams import policy
from teams import services as team_services
from tests import factories
from teams.policy import SYSTEM

pytestmark = pytest.mark.django_db

HTMX_TABLE = {"HX-Request": "true", "HX-Target": "runs-table"}
WS = "/vision/mnist/"


# --- Set-up ----------------------------------------------------------------------------------


def add_member(team, username, role="member"):
    person = factories.user(username=username)
    team_services.org_member_set(actor=SYSTEM, organization=team.organization, user=person, role="member")
    team_services.member_add(actor=SYSTEM, team=team, user=person, role=role)
    return person


def client_for(user=None):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def history(run, n=10, **extra):
    rows = [{"step": i, "values": {"loss": 1 / (i + 1), "acc": i / n, **extra}} for i in range(n)]
    services.history_append(actor=SYSTEM, run=run, rows=rows)


@pytest.fixture
def w(db):
    """A team `vision` with an admin (alice), two members (bob, carol), a viewer
    (vera), an outsider (olga), and the team project `mnist` made by alice."""
    alice = factories.user(username="alice")
    org = team_services.organization_create(actor=SYSTEM, slug="acme", name="Acme", admin=alice)
    team = team_services.team_create(organization=org, slug="vision", name="Vision", actor=SYSTEM, admin=alice)
    world = SimpleNamespace(
        alice=alice,
        org=org,
        team=team,
        bob=add_member(team, "bob"),
        carol=add_member(team, "carol"),
        vera=add_member(team, "vera", role="viewer"),
        olga=factories.user(username="olga"),
        project=services.project_create(team=team, name="mnist", actor=alice, description="Digits"),
    )
    return world


def make_run(w, actor, run_id, *, project=None, state=None, summary=None, **fields):
    run = services.run_create(project=project or w.project, actor=actor, run_id=run_id, **fields)
    changes = {}
    if summary:
        changes["summary"] = summary
    if state:
        changes["state"] = state
    if changes:
        run = services.run_update(actor=SYSTEM, run=run, **changes)
    return run


def run_path(run, suffix=""):
    return f"/{run.project.team.slug}/{run.project.name}/runs/{run.run_id}/{suffix}"


def count_queries(client, path, **kwargs):
    client.get(path, **kwargs)  # warm: sessions, site settings, content types
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, **kwargs)
    assert response.status_code == 200, response.status_code
    return len(captured.captured_queries), response


def text(response):
    return response.content.decode()


# --- Query counts --------------------------------------------------------------------------------


def _bulk_runs(w, start, stop):
    now = timezone.now()
    Run.objects.bulk_create(
        [
            Run(
                project=w.project,
                run_id=f"bulk-{n:05d}",
                name=f"bulk run {n}",
                state=RunState.FINISHED,
                created_by=w.bob,
                logged_by=w.bob,
                config={"lr": 0.001 * (n % 7), "arch": "cnn" if n % 2 else "mlp"},
                summary={"acc": (n % 100) / 100, "loss": 1 / (n + 1)},
                tags=["bulk"],
                created_at=now,
                heartbeat_at=now,
                finished_at=now,
            )
            for n in range(start, stop)
        ],
        batch_size=2000,
    )


@pytest.mark.parametrize("query", ["", "?order=-summary.acc&cols=config.lr,summary.acc&state=finished&tag=bulk"])
def test_workspace_queries_do_not_grow_with_runs(w, query):
    history(make_run(w, w.bob, "live", tags=["bulk"]))
    _bulk_runs(w, 1, 10)
    client = client_for(w.bob)
    few, _ = count_queries(client, WS + query)
    _bulk_runs(w, 10, 10_000)
    many, response = count_queries(client, WS + query)
    assert Run.objects.filter(project=w.project).count() == 10_000
    assert many == few, f"the workspace made {few} queries for 10 runs and {many} for 10,000"
    total = 10_000 if not query else 9_999  # the live run is not finished
    assert re.search(rf"{total}|{total:,}", text(response)) and "Page 1 of 200" in text(response)


def test_workspace_fragment_queries_do_not_grow_with_runs(w):
    _bulk_runs(w, 0, 10)
    client = client_for(w.bob)
    few, _ = count_queries(client, WS + "?q=bulk", headers=HTMX_TABLE)
    _bulk_runs(w, 10, 2000)
    many, _ = count_queries(client, WS + "?q=bulk", headers=HTMX_TABLE)
    assert many == few


def test_projects_list_queries_do_not_grow_with_projects(w):
    Project.objects.all().delete()
    for n in range(3):
        services.project_create(team=w.team, name=f"p{n:03d}", actor=w.carol)
    client = client_for(w.bob)  # a member: the visibility filter has its restricted branch
    few, _ = count_queries(client, "/vision/projects/")
    for n in range(3, 300):
        services.project_create(
            team=w.team, name=f"p{n:03d}", actor=w.carol if n % 2 else w.alice, visibility="restricted" if n % 10 == 0 else "team"
        )
    many, response = count_queries(client, "/vision/projects/")
    assert many == few, f"the projects list made {few} queries for 3 projects and {many} for 300"
    assert "p299" in text(response)
    assert "p290" not in text(response)  # restricted, bob is not on its list


@pytest.mark.parametrize("tab", ["overview", "charts", "logs", "files"])
def test_run_page_queries_do_not_grow_with_history_keys(w, tab):
    client = client_for(w.bob)
    one = make_run(w, w.bob, "one-key")
    services.history_append(actor=SYSTEM, run=one, rows=[{"step": 0, "values": {"loss": 1.0}}])
    many_keys = make_run(w, w.bob, "many-keys")
    services.history_append(actor=SYSTEM, run=many_keys, rows=[{"step": s, "values": {f"metric/{k:03d}": k + s for k in range(200)}} for s in range(3)])
    few, _ = count_queries(client, run_path(one) + f"?tab={tab}")
    many, response = count_queries(client, run_path(many_keys) + f"?tab={tab}")
    assert many == few, f"the run page ({tab}) made {few} queries for 1 key and {many} for 200"
    if tab == "charts":
        assert text(response).count("data-chart ") == 200


# --- Every page for a member ----------------------------------------------------------------------


def test_projects_list_for_a_member(w):
    make_run(w, w.bob, "r1")
    response = client_for(w.bob).get("/vision/projects/")
    assert response.status_code == 200
    body = text(response)
    assert 'href="/vision/mnist/"' in body and "Digits" in body
    assert "New project" in body  # project:create


@pytest.fixture
def table(w):
    """Runs for the filters: only alpha and beta match every filter of FILTERS."""
    common = dict(config={"lr": 0.01, "arch": "cnn"}, tags=["x"], group="g")
    runs = SimpleNamespace(
        alpha=make_run(w, w.bob, "r-alpha", name="name-alpha", state="finished", summary={"acc": 0.9}, **common),
        beta=make_run(w, w.carol, "r-beta", name="name-beta", state="finished", summary={"acc": 0.95}, **common),
        running=make_run(w, w.bob, "r-running", name="name-running", summary={"acc": 0.99}, **common),
        other_tag=make_run(w, w.bob, "r-tag", name="name-tag", state="finished", config={"lr": 0.01}, tags=["y"], group="g"),
        other_group=make_run(w, w.bob, "r-group", name="name-group", state="finished", config={"lr": 0.01}, tags=["x"], group="h"),
        other_lr=make_run(w, w.bob, "r-lr", name="name-lr", state="finished", config={"lr": 0.1}, tags=["x"], group="g"),
        zeta=make_run(w, w.bob, "r-zeta", name="zeta", state="finished", **common),
    )
    return runs


FILTERS = "?state=finished&tag=x&group=g&q=name&config=lr%3D0.01&order=-summary.acc&cols=config.lr,summary.acc"


def test_workspace_with_every_filter(w, table):
    response = client_for(w.bob).get(WS + FILTERS)
    assert response.status_code == 200
    body = text(response)
    assert "name-alpha" in body and "name-beta" in body
    for absent in ("name-running", "name-tag", "name-group", "name-lr", "zeta"):
        assert absent not in body, absent
    assert body.index("name-beta") < body.index("name-alpha"), "ordered by summary.acc, best first"
    assert ">config.lr</a></div></th>" in body and "summary.acc</a></div></th>" in body
    assert '<td class="num">0.01</td>' in body and '<td class="num">0.95</td>' in body
    assert "2 runs" in body
    # the filters are kept in the form and in the sort links
    assert 'value="name"' in body and 'value="lr=0.01"' in body
    assert "Clear</a>" in body


def test_workspace_htmx_returns_only_the_table(w, table):
    response = client_for(w.bob).get(WS + FILTERS, headers=HTMX_TABLE)
    assert response.status_code == 200
    body = text(response).strip()
    assert body.startswith('<div id="runs-table" data-chart-runs="'), body[:200]
    assert "<html" not in body and "panels-heading" not in body and 'id="f-q"' not in body
    assert "name-alpha" in body and "name-beta" in body and "zeta" not in body


def test_workspace_no_match_says_so(w, table):
    body = text(client_for(w.bob).get(WS + "?q=nothing-like-this"))
    assert "No run matches these filters." in body
    assert "No runs yet" not in body


def test_workspace_auto_charts_and_runs(w):
    run = make_run(w, w.bob, "r1", name="first")
    history(run)
    body = text(client_for(w.bob).get(WS))
    assert 'aria-label="Chart: acc"' in body and 'aria-label="Chart: loss"' in body
    assert "data-chart-runs=" in body and "/api/v1/teams/vision/projects/mnist/runs/r1/history" in body
    assert "Add a chart" in body
    assert 'aria-label="Select first"' in body


@pytest.fixture
def rich_run(w):
    run = make_run(w, w.bob, "rich", name="rich-run", config={"lr": 0.01, "arch": "cnn"}, tags=["base"], group="g1", host="gpu-7")
    history(run)
    services.history_append(actor=SYSTEM, run=run, rows=[{"step": 0, "ts": 1_700_000_000, "values": {"cpu": 12.5}}], kind="system")
    services.logs_append(actor=SYSTEM, run=run, lines=[f"log line {n:04d}" for n in range(600)])
    services.files_save(actor=SYSTEM, run=run, files={"model/weights.txt": SimpleUploadedFile("weights.txt", b"hello weights")})
    return run


def test_run_overview(w, rich_run):
    response = client_for(w.bob).get(run_path(rich_run))
    assert response.status_code == 200
    body = text(response)
    assert "rich-run" in body and "gpu-7" in body and "g1" in body
    assert "<th scope=\"row\">lr</th>" in body
    assert "Notes and tags" in body and "Move to another project" in body
    assert 'aria-current="page">Overview' in body


@pytest.mark.parametrize("tab, key", [("charts", "loss"), ("system", "cpu")])
def test_run_chart_tabs(w, rich_run, tab, key):
    response = client_for(w.bob).get(run_path(rich_run) + f"?tab={tab}")
    assert response.status_code == 200
    body = text(response)
    assert f'aria-label="Chart: {key}"' in body
    assert f'data-source="{"system" if tab == "system" else "history"}"' in body
    assert "uplot" in body and 'id="chart-runs"' in body


def test_run_logs_tab_pages_by_offset(w, rich_run):
    client = client_for(w.bob)
    first = text(client.get(run_path(rich_run) + "?tab=logs"))
    assert "log line 0000" in first and "log line 0499" in first and "log line 0500" not in first
    assert "Lines 1–500" in first
    assert 'href="?tab=logs&offset=500">Later lines' in first
    assert "Earlier lines" not in first

    second = text(client.get(run_path(rich_run) + "?tab=logs&offset=500"))
    assert "log line 0500" in second and "log line 0599" in second and "log line 0499" not in second
    assert "Lines 501–600" in second
    assert 'href="?tab=logs&offset=0">Earlier lines' in second
    assert "Later lines" not in second

    past = text(client.get(run_path(rich_run) + "?tab=logs&offset=9999"))
    assert "No lines past line 9999" in past
    bad = client.get(run_path(rich_run) + "?tab=logs&offset=oops")
    assert bad.status_code == 200 and "log line 0000" in text(bad)


def test_run_files_tab_and_download(w, rich_run):
    client = client_for(w.bob)
    body = text(client.get(run_path(rich_run) + "?tab=files"))
    link = run_path(rich_run) + "files/model/weights.txt"
    assert f'href="{link}" download' in body
    download = client.get(link)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"hello weights"
    assert "attachment" in download["Content-Disposition"] and "weights.txt" in download["Content-Disposition"]
    assert client.get(run_path(rich_run) + "files/nope.txt").status_code == 404


def test_run_unknown_tab_falls_back_to_overview_and_unknown_run_is_404(w, rich_run):
    client = client_for(w.bob)
    assert 'aria-current="page">Overview' in text(client.get(run_path(rich_run) + "?tab=nope"))
    assert client.get("/vision/mnist/runs/no-such-run/").status_code == 404


def test_run_state_fragment_for_htmx(w, rich_run):
    response = client_for(w.bob).get(run_path(rich_run) + "?fragment=state", headers={"HX-Request": "true"})
    body = text(response).strip()
    assert body.startswith('<span id="run-state"') and "<html" not in body


@pytest.fixture
def pair(w):
    a = make_run(w, w.bob, "run-a", name="Run A", config={"lr": 0.01, "arch": "cnn"}, summary={"acc": 0.5})
    b = make_run(w, w.carol, "run-b", name="Run B", config={"lr": 0.1, "arch": "cnn"}, summary={"acc": 0.7})
    return a, b


@pytest.mark.parametrize("query", ["?runs=run-a,run-b", "?runs=run-a&runs=run-b"])
def test_compare(w, pair, query):
    response = client_for(w.bob).get(WS + "compare/" + query)
    assert response.status_code == 200
    body = text(response)
    assert "Compare 2 runs" in body
    assert "Run A" in body and "Run B" in body
    assert re.search(r'<tr class="differs"><th scope="row">lr <span class="badge badge-warning">differs</span>', body)
    assert re.search(r'<tr><th scope="row">arch</th>', body), "the same value is not marked as different"
    assert "Pick at least two runs" not in body


def test_compare_with_unknown_and_too_few_runs(w, pair):
    body = text(client_for(w.bob).get(WS + "compare/?runs=run-a,ghost"))
    assert "Not found in mnist: ghost." in body
    assert "Pick at least two runs" in body


def test_project_settings_for_project_managers_only(w):
    bobs = services.project_create(team=w.team, name="bobs", actor=w.bob)
    assert client_for(w.alice).get(WS + "settings/").status_code == 200  # team admin
    assert client_for(w.bob).get(f"/vision/{bobs.name}/settings/").status_code == 200  # the creator
    assert client_for(w.bob).get(WS + "settings/").status_code == 403  # a member who did not create it
    assert client_for(w.vera).get(WS + "settings/").status_code == 403
    assert client_for(w.olga).get(WS + "settings/").status_code == 404
    # Delete is for project:delete (admins); the creator's page does not offer it
    assert "Delete this project" not in text(client_for(w.bob).get(f"/vision/{bobs.name}/settings/"))
    assert "Delete this project" in text(client_for(w.alice).get(WS + "settings/"))


def test_badge_counts_runs_and_shows_the_best_metric(w, pair):
    client = client_for(w.bob)
    response = client.get(WS + "badge.svg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert "2 runs" in text(response)
    best = text(client.get(WS + "badge.svg?metric=acc"))
    assert "mnist acc" in best and ">0.7<" in best
    lowest = text(client.get(WS + "badge.svg?metric=acc&mode=min"))
    assert ">0.5<" in lowest
    assert "no runs" in text(client.get(WS + "badge.svg?metric=missing"))


def test_badge_of_a_team_project_is_hidden_from_outsiders(w, pair):
    assert client_for().get(WS + "badge.svg").status_code == 302  # to sign in
    assert client_for(w.olga).get(WS + "badge.svg").status_code == 404
    services.project_update(actor=SYSTEM, project=w.project, visibility="public")
    response = client_for().get(WS + "badge.svg?metric=acc")
    assert response.status_code == 200 and ">0.7<" in text(response)


# --- Visibility over the pages ---------------------------------------------------------------


PAGES = ["", "compare/?runs=r1", "runs/r1/", "runs/r1/?tab=charts", "runs/r1/?tab=logs", "runs/r1/?tab=files", "badge.svg", "settings/"]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("who", ["anonymous", "outsider"])
def test_team_project_does_not_exist_for_outsiders(w, page, who):
    # spec/permissions.md: "Cannot see the object at all: 404, the same as for an
    # object that does not exist"; a visitor who is not signed in is sent to sign
    # in, for a team project and a missing one alike, so neither tells anything.
    make_run(w, w.bob, "r1")
    client = client_for(None if who == "anonymous" else w.olga)
    for path in (WS + page, "/vision/does-not-exist/" + page):
        response = client.get(path)
        if who == "anonymous":
            assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=")
        else:
            assert response.status_code == 404


def test_team_project_is_missing_from_the_outsiders_projects_list(w):
    body = text(client_for(w.olga).get("/vision/projects/"))
    assert "mnist" not in body and "No projects you can see" in body
    body = text(client_for().get("/vision/projects/"))
    assert "mnist" not in body and "No projects you can see" in body


def test_restricted_project_only_for_admins_and_the_access_list(w):
    secret = services.project_create(team=w.team, name="secret", actor=w.alice, visibility="restricted")
    run = make_run(w, w.alice, "s1", project=secret)
    assert client_for(w.alice).get("/vision/secret/").status_code == 200
    for person in (w.bob, w.vera, w.olga):
        assert client_for(person).get("/vision/secret/").status_code == 404
        assert client_for(person).get(run_path(run)).status_code == 404
    services.access_list_set(actor=SYSTEM, project=secret, user=w.bob, present=True)
    assert client_for(w.bob).get("/vision/secret/").status_code == 200
    assert client_for(w.bob).get(run_path(run)).status_code == 200


@pytest.fixture
def public(w):
    services.project_update(actor=SYSTEM, project=w.project, visibility="public")
    bob_run = make_run(w, w.bob, "bob-run", name="Bob's run")
    carol_run = make_run(w, w.carol, "carol-run", name="Carol's run")
    history(bob_run)
    return bob_run, carol_run


STOP = ">Stop run</button>"
DELETE = ">Delete</button>"


def test_public_project_anonymous_sees_pages_without_actions(w, public):
    bob_run, _ = public
    client = client_for()
    workspace = client.get(WS)
    assert workspace.status_code == 200
    assert "Bob&#x27;s run" in text(workspace)
    assert "Add a chart" not in text(workspace) and "Project settings" not in text(workspace)
    for tab in ("overview", "charts", "logs", "files"):
        response = client.get(run_path(bob_run) + f"?tab={tab}")
        assert response.status_code == 200, tab
        body = text(response)
        assert STOP not in body and DELETE not in body
    overview = text(client.get(run_path(bob_run)))
    assert "Notes and tags" not in overview and "Move to another project" not in overview
    compare = client.get(WS + "compare/?runs=bob-run,carol-run")
    assert compare.status_code == 200
    # anonymous writes go to sign-in
    response = client.post(run_path(bob_run, "stop/"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    response = client.post(WS + "panels/", {"action": "add", "keys": "loss", "x": "step"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get(WS + "settings/").status_code == 302


def test_public_project_outsider_sees_pages_without_actions(w, public):
    bob_run, _ = public
    client = client_for(w.olga)
    assert client.get(WS).status_code == 200
    body = text(client.get(run_path(bob_run)))
    assert STOP not in body and DELETE not in body and "Notes and tags" not in body
    assert client.post(run_path(bob_run, "stop/")).status_code == 403
    assert client.get(WS + "settings/").status_code == 403


@pytest.mark.parametrize(
    "who, on_bobs, on_carols",
    [("vera", False, False), ("bob", True, False), ("carol", False, True), ("alice", True, True)],
)
def test_stop_and_delete_buttons_by_role(w, public, who, on_bobs, on_carols):
    bob_run, carol_run = public
    client = client_for(getattr(w, who))
    for run, expected in ((bob_run, on_bobs), (carol_run, on_carols)):
        body = text(client.get(run_path(run)))
        assert (STOP in body) is expected, (who, run.run_id, "stop")
        assert (DELETE in body) is expected, (who, run.run_id, "delete")


def test_no_stop_button_on_a_finished_run(w):
    run = make_run(w, w.bob, "done", state="finished")
    body = text(client_for(w.bob).get(run_path(run)))
    assert STOP not in body and DELETE in body


# --- Actions by plain POST ----------------------------------------------------------------------


def test_stop_own_run(w):
    run = make_run(w, w.bob, "r1")
    client = client_for(w.bob)
    response = client.post(run_path(run, "stop/"))
    assert response.status_code == 302 and response["Location"] == run_path(run)
    run.refresh_from_db()
    assert run.stop_requested is True
    page = client.get(response["Location"])
    assert "Stop requested" in text(page)
    assert "· stopping" in text(page)


def test_stop_refusals(w):
    run = make_run(w, w.bob, "r1")
    assert client_for(w.carol).post(run_path(run, "stop/")).status_code == 403
    assert client_for(w.vera).post(run_path(run, "stop/")).status_code == 403
    assert client_for(w.bob).get(run_path(run, "stop/")).status_code == 405
    run.refresh_from_db()
    assert run.stop_requested is False
    done = make_run(w, w.bob, "done", state="finished")
    response = client_for(w.bob).post(run_path(done, "stop/"), follow=True)
    assert "is already finished" in text(response)
    done.refresh_from_db()
    assert done.stop_requested is False


def test_admin_stops_any_run(w):
    run = make_run(w, w.carol, "r1")
    assert client_for(w.alice).post(run_path(run, "stop/")).status_code == 302
    run.refresh_from_db()
    assert run.stop_requested


def test_delete_own_run_but_not_anothers(w):
    mine = make_run(w, w.bob, "mine", name="my run")
    theirs = make_run(w, w.carol, "theirs")
    client = client_for(w.bob)
    response = client.post(run_path(mine, "delete/"))
    assert response.status_code == 302 and response["Location"] == WS
    assert not Run.objects.filter(pk=mine.pk).exists()
    assert "The run my run was deleted." in text(client.get(WS))

    assert client.post(run_path(theirs, "delete/")).status_code == 403
    assert Run.objects.filter(pk=theirs.pk).exists()
    assert client_for(w.vera).post(run_path(theirs, "delete/")).status_code == 403
    assert Run.objects.filter(pk=theirs.pk).exists()
    assert client_for(w.alice).post(run_path(theirs, "delete/")).status_code == 302
    assert not Run.objects.filter(pk=theirs.pk).exists()


def test_move_run_to_another_project(w):
    cifar = services.project_create(team=w.team, name="cifar", actor=w.alice)
    run = make_run(w, w.bob, "r1")
    client = client_for(w.bob)
    overview = text(client.get(run_path(run)))
    assert '<option value="cifar">cifar</option>' in overview
    response = client.post(run_path(run, "move/"), {"project": "cifar"})
    assert response.status_code == 302 and response["Location"] == "/vision/cifar/runs/r1/"
    run.refresh_from_db()
    assert run.project == cifar
    assert "The run moved to cifar." in text(client.get(response["Location"]))
    # its creator still owns it in the new project
    assert DELETE in text(client.get("/vision/cifar/runs/r1/"))


def test_move_refusals(w):
    services.project_create(team=w.team, name="cifar", actor=w.alice)
    hidden = services.project_create(team=w.team, name="hidden", actor=w.alice, visibility="restricted")
    run = make_run(w, w.bob, "r1")
    # another member may not move it
    assert client_for(w.carol).post(run_path(run, "move/"), {"project": "cifar"}).status_code == 403
    # a project the mover cannot log to is not a choice
    response = client_for(w.bob).post(run_path(run, "move/"), {"project": hidden.name}, follow=True)
    assert "Choose a project you may log runs to." in text(response)
    run.refresh_from_db()
    assert run.project == w.project


def test_runs_cannot_leave_a_restricted_project(w):
    secret = services.project_create(team=w.team, name="secret", actor=w.alice, visibility="restricted")
    services.access_list_set(actor=SYSTEM, project=secret, user=w.bob, present=True)
    run = make_run(w, w.bob, "s1", project=secret)
    client = client_for(w.bob)
    assert "Move to another project" not in text(client.get(run_path(run)))
    response = client.post(run_path(run, "move/"), {"project": "mnist"}, follow=True)
    assert "Runs cannot be moved out of a restricted project." in text(response)
    run.refresh_from_db()
    assert run.project == secret


def test_notes_and_tags(w):
    run = make_run(w, w.bob, "r1")
    response = client_for(w.carol).post(run_path(run, "notes/"), {"notes": "Looks good", "tags": "b, a, , a"}, follow=True)
    assert "Notes and tags saved." in text(response)
    run.refresh_from_db()
    assert run.notes == "Looks good" and run.tags == ["a", "b"]

    assert client_for(w.vera).post(run_path(run, "notes/"), {"notes": "vandal", "tags": "x"}).status_code == 403
    run.refresh_from_db()
    assert run.notes == "Looks good" and run.tags == ["a", "b"]
    # a viewer reads the notes but gets no form
    body = text(client_for(w.vera).get(run_path(run)))
    assert "Looks good" in body and "Notes and tags" not in body


def test_notes_with_a_too_long_tag_are_refused_with_a_message(w):
    run = make_run(w, w.bob, "r1")
    response = client_for(w.bob).post(run_path(run, "notes/"), {"notes": "n", "tags": "x" * 65}, follow=True)
    assert "tags is a list of short strings." in text(response)
    run.refresh_from_db()
    assert run.tags == [] and run.notes == ""


# Workspace panels, personal workspaces and saved views: tests/experiments_pages/test_workspace.py


def test_project_settings_change_visibility(w):
    client = client_for(w.alice)
    response = client.post(WS + "settings/", {"form": "settings", "description": "Handwritten digits", "visibility": "public"})
    assert response.status_code == 302 and response["Location"] == WS + "settings/"
    w.project.refresh_from_db()
    assert w.project.visibility == "public" and w.project.description == "Handwritten digits"
    assert "The project settings were saved." in text(client.get(WS + "settings/"))
    assert client_for().get(WS).status_code == 200  # now public


def test_project_settings_refuse_public_when_projects_stay_inside(w):
    team_services.team_update(actor=SYSTEM, team=w.team, projects_stay_inside=True)
    response = client_for(w.alice).post(WS + "settings/", {"form": "settings", "description": "", "visibility": "public"})
    assert response.status_code == 400
    assert "keeps its projects inside the team" in " ".join(response.context["form"].errors["visibility"])
    assert "keeps its projects inside the team" in text(response)
    w.project.refresh_from_db()
    assert w.project.visibility == "team"


def test_project_settings_bad_visibility_is_a_400(w):
    response = client_for(w.alice).post(WS + "settings/", {"form": "settings", "visibility": "everyone"})
    assert response.status_code == 400 and "visibility" in response.context["form"].errors


def test_project_settings_member_creator_may_change_own_project(w):
    services.project_create(team=w.team, name="bobs", actor=w.bob)
    response = client_for(w.bob).post("/vision/bobs/settings/", {"form": "settings", "description": "mine", "visibility": "restricted"})
    assert response.status_code == 302
    assert Project.objects.get(name="bobs").visibility == "restricted"
    assert client_for(w.bob).post(WS + "settings/", {"form": "settings", "visibility": "public"}).status_code == 403
    w.project.refresh_from_db()
    assert w.project.visibility == "team"


def test_project_access_list_add_and_remove(w):
    services.project_update(actor=SYSTEM, project=w.project, visibility="restricted")
    # the creator goes on the list, or restricting their project would lock them out
    assert list(policy.access_list(w.project)) == [w.alice]
    policy.access_list_remove(w.project, w.alice)  # alice is an admin: she sees it anyway
    client = client_for(w.alice)
    assert client_for(w.bob).get(WS).status_code == 404
    page = text(client.get(WS + "settings/"))
    assert '<option value="bob">' in page and "Nobody is listed yet." in page

    response = client.post(WS + "settings/", {"form": "access", "username": "bob", "present": "1"}, follow=True)
    assert "The access list was updated for bob." in text(response)
    assert list(policy.access_list(w.project)) == [w.bob]
    assert client_for(w.bob).get(WS).status_code == 200
    assert 'aria-label="Take bob off the list"' in text(response)

    response = client.post(WS + "settings/", {"form": "access", "username": "bob", "present": "0"}, follow=True)
    assert "The access list was updated for bob." in text(response)
    assert list(policy.access_list(w.project)) == []
    assert client_for(w.bob).get(WS).status_code == 404

    response = client.post(WS + "settings/", {"form": "access", "username": "olga", "present": "1"}, follow=True)
    assert "olga is not a member of Vision." in text(response)
    response = client.post(WS + "settings/", {"form": "access", "username": "nobody", "present": "1"}, follow=True)
    assert "There is no user with that username." in text(response)
    assert list(policy.access_list(w.project)) == []


def test_project_delete_needs_the_typed_name(w):
    make_run(w, w.bob, "r1")
    client = client_for(w.alice)
    response = client.post(WS + "settings/", {"form": "delete", "confirm": "MNIST"})
    assert response.status_code == 400
    assert "Type the project" in text(response)
    assert Project.objects.filter(pk=w.project.pk).exists() and Run.objects.filter(run_id="r1").exists()

    response = client.post(WS + "settings/", {"form": "delete", "confirm": "mnist"})
    assert response.status_code == 302 and response["Location"] == "/vision/projects/"
    assert not Project.objects.filter(pk=w.project.pk).exists()
    assert not Run.objects.filter(run_id="r1").exists()
    assert "The project mnist and all its runs were deleted." in text(client.get("/vision/projects/"))
    assert client.get(WS).status_code == 404


def test_project_delete_is_for_admins_only(w):
    services.project_create(team=w.team, name="bobs", actor=w.bob)
    response = client_for(w.bob).post("/vision/bobs/settings/", {"form": "delete", "confirm": "bobs"})
    assert response.status_code == 403
    assert Project.objects.filter(name="bobs").exists()


def test_create_project_from_the_list(w):
    client = client_for(w.bob)
    response = client.post("/vision/projects/", {"name": "fresh", "description": "", "visibility": "team"})
    assert response.status_code == 302 and response["Location"] == "/vision/fresh/"
    assert "The project fresh was created." in text(client.get("/vision/fresh/"))
    again = client.post("/vision/projects/", {"name": "FRESH", "visibility": "team"})
    assert again.status_code == 400 and "already has a project named" in text(again)
    assert client_for(w.vera).post("/vision/projects/", {"name": "nope", "visibility": "team"}).status_code == 403


# --- Empty states ------------------------------------------------------------------------------


def test_workspace_without_runs_shows_how_to_start(w):
    body = text(client_for(w.bob).get(WS))
    assert "No runs yet" in body
    assert 'ts.init(project="mnist"' in body
    assert "No metrics logged yet" in body
    assert "TEAMSITE_TEAM=</code>" not in body and "<code>TEAMSITE_TEAM=vision</code>" in body


def test_projects_list_without_projects_guides_members(w):
    Project.objects.all().delete()
    body = text(client_for(w.bob).get("/vision/projects/"))
    assert "No projects yet" in body
    assert "Create one below" in body and "TEAMSITE_TEAM=vision" in body
    assert "New project" in body


def _reports(w, author, count):
    from reports import services as report_services

    for n in range(count):
        report_services.report_create(actor=author, team=w.team, title=f"report {n}", body="x", visibility="team")


@pytest.mark.parametrize("who", ["bob", "alice"])
def test_workspace_queries_do_not_grow_with_reports_and_runs(w, who):
    """"Add to report" lists the reports the person may edit in one query, not one check per report (issue 10)."""
    person = getattr(w, who)
    services.project_panels_save(actor=person, project=w.project, panels=[{"keys": ["loss"]}])
    _reports(w, w.bob, 1)
    for n in range(2):
        make_run(w, w.bob, f"few-{n}")
    client = client_for(person)
    few, _ = count_queries(client, WS)
    _reports(w, w.bob, 14)
    _reports(w, w.carol, 15)
    for n in range(38):
        make_run(w, w.carol if n % 2 else w.bob, f"many-{n}")
    many, response = count_queries(client, WS)
    assert many == few, f"the workspace made {few} queries with 1 report and 2 runs, {many} with 30 reports and 40 runs"
    menu = re.search(r'<select id="to-report-1"[^>]*>(.*?)</select>', text(response), re.S).group(1)
    # a member adds charts only to their own 15 reports; an admin to any of the 30
    assert menu.count("<option") == (15 if who == "bob" else 30)


def test_run_page_move_choices_do_not_grow_with_projects(w):
    run = make_run(w, w.bob, "mover")
    client = client_for(w.bob)
    services.project_create(actor=w.alice, team=w.team, name="target-0")
    few, _ = count_queries(client, run_path(run))
    for n in range(1, 30):
        services.project_create(actor=w.alice, team=w.team, name=f"target-{n}", visibility="restricted" if n % 5 == 0 else "team")
    many, response = count_queries(client, run_path(run))
    assert many == few, f"the run page made {few} queries with 2 projects and {many} with 31"
    assert 'value="target-29"' in text(response) and 'value="target-25"' not in text(response)  # restricted: bob is not listed
