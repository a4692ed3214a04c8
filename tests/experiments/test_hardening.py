"""Holes found in review, each pinned by a test."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from experiments import services
from experiments.models import Project, Run
from teams import services as team_services
from tests import factories
from teams.policy import SYSTEM

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(api_client):
    admin = factories.user(username="h-admin")
    member = factories.user(username="h-member")
    org = team_services.organization_create(actor=SYSTEM, slug="h-org", name="H", admin=admin)
    team = team_services.team_create(organization=org, slug="h", name="H", actor=SYSTEM, admin=admin)
    team_services.org_member_set(actor=SYSTEM, organization=org, user=member, role="member")
    team_services.member_add(actor=SYSTEM, team=team, user=member, role="member")
    other_team = team_services.team_create(organization=org, slug="h2", name="H2", actor=SYSTEM, admin=member)
    project = services.project_create(team=team, name="p", actor=admin, visibility="public")
    return {"admin": admin, "member": member, "team": team, "other_team": other_team, "project": project}


def test_run_files_are_not_served_from_media(client, world, settings):
    run = services.run_create(project=services.project_create(team=world["team"], name="secret", actor=world["admin"]), actor=world["admin"])
    [record] = services.files_save(actor=SYSTEM, run=run, files={"weights.txt": SimpleUploadedFile("weights.txt", b"private")})
    assert client.get(f"/media/{record.file.name}").status_code == 404
    response = client.get(f"/h/secret/runs/{run.run_id}/files/weights.txt")  # anonymous, team project
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_sorting_by_a_summary_key_with_text_values(api_client, world):
    api_client.as_user(world["admin"])
    for n, value in enumerate([0.5, "n/a", 0.9]):
        run = services.run_create(project=world["project"], actor=world["admin"], name=f"r{n}")
        services.run_update(actor=SYSTEM, run=run, summary={"acc": value})
    response = api_client.get("/api/v1/teams/h/projects/p/runs?order=-summary.acc")
    assert response.status_code == 200
    assert [r["name"] for r in response.json()["results"]] == ["r2", "r0", "r1"]


def test_nan_in_config_and_summary_becomes_null(api_client, world):
    api_client.as_user(world["admin"])
    created = api_client.post("/api/v1/teams/h/projects/p/runs", raw='{"config": {"lr": NaN, "nested": {"x": Infinity}}}')
    assert created.status_code == 201, created.content
    assert created.json()["config"] == {"lr": None, "nested": {"x": None}}
    url = f"/api/v1/teams/h/projects/p/runs/{created.json()['run_id']}"
    patched = api_client.patch(url, raw='{"summary": {"best": NaN}}')
    assert patched.status_code == 200 and patched.json()["summary"]["best"] is None


def test_a_refused_run_leaves_no_new_project(api_client, world):
    api_client.as_user(world["admin"])
    response = api_client.post("/api/v1/teams/h/projects/fresh/runs", {"run_id": "bad id!"})
    assert response.status_code == 400
    assert not Project.objects.filter(name="fresh").exists()


@pytest.mark.parametrize("key", ["lr__in", "lr__gt", "a b"])
def test_config_filters_take_only_plain_keys(api_client, world, key):
    api_client.as_user(world["admin"])
    response = api_client.get(f"/api/v1/teams/h/projects/p/runs?config.{key}=1")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_runs_move_only_within_the_team(api_client, world):
    api_client.as_user(world["member"])
    run = services.run_create(project=world["project"], actor=world["member"])
    services.project_create(team=world["other_team"], name="mine", actor=world["member"])
    response = api_client.post(f"/api/v1/teams/h/projects/p/runs/{run.run_id}/move", {"project": "h2/mine"})
    assert response.status_code == 400
    assert Run.objects.get(pk=run.pk).project == world["project"]


def test_a_removed_member_can_no_longer_move_or_manage(api_client, world):
    member = world["member"]
    project = services.project_create(team=world["team"], name="theirs", actor=member, visibility="public")
    run = services.run_create(project=project, actor=member)
    services.project_create(team=world["team"], name="elsewhere", actor=world["admin"], visibility="public")
    team_services.member_remove(actor=SYSTEM, membership=member.memberships.get(team=world["team"]))
    api_client.as_user(member)
    moved = api_client.post(f"/api/v1/teams/h/projects/theirs/runs/{run.run_id}/move", {"project": "elsewhere"})
    assert moved.status_code == 403
    patched = api_client.patch("/api/v1/teams/h/projects/theirs", {"description": "mine now"})
    assert patched.status_code == 403
    assert Run.objects.get(pk=run.pk).project == project  # and the run itself stays in the team
