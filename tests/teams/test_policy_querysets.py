"""`policy.permitted` and `policy.visible` (one query for many objects) agree with
`policy.can` and `policy.can_see` (one object), person by person, object by object.

Selectors build list pages on the queryset answers, services decide with the
per-object ones; if the two ever disagreed, a list would offer what a click
then refuses (or hide what a person may do).
"""

import pytest
from django.contrib.auth.models import AnonymousUser

from experiments import services as experiments
from experiments.models import Project, Run
from reports import services as reports
from reports.models import Comment, Report
from teams import policy, roles, services
from teams.models import Membership
from teams.policy import SYSTEM
from tests import factories, worlds

pytestmark = pytest.mark.django_db

PROJECT_SCOPES = sorted(
    {s for s in roles.SCOPES if s.split(":")[0] in ("project", "run", "report", "artifact")} | {"run:delete", "run:stop", "run:edit"}
)
RUN_SCOPES = ["run:view", "run:log", "run:delete_own", "run:delete_any", "run:stop_own", "run:delete", "run:stop", "run:edit", "run:move", "run:edit_workspace"]
REPORT_SCOPES = ["report:view", "report:follow", "report:comment", "report:edit_own", "report:edit_any", "report:edit", "report:delete_own", "report:delete", "report:create"]


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    yield from worlds.built_once(django_db_blocker, _build)


def _build():
    people = {name: factories.user(username=f"pq-{name}") for name in ("admin", "member", "creator", "viewer", "custom", "registry", "outsider", "left", "other_admin")}
    people["root"] = factories.user(username="pq-root", is_superuser=True, is_staff=True)
    org = services.organization_create(actor=SYSTEM, slug="pq-org", name="PQ", admin=people["admin"])
    team = services.team_create(actor=SYSTEM, organization=org, slug="pq", name="PQ", admin=people["admin"])
    other = services.team_create(actor=SYSTEM, organization=org, slug="pq-other", name="Other", admin=people["other_admin"])
    services.custom_role_create(actor=SYSTEM, organization=org, name="editor", base="viewer", scopes=["report:edit_any", "run:log", "project:create"])
    for name, role in (("member", "member"), ("creator", "member"), ("viewer", "viewer"), ("custom", "editor"), ("registry", "member"), ("left", "member")):
        services.org_member_set(actor=SYSTEM, organization=org, user=people[name], role="member")
        services.member_add(actor=SYSTEM, team=team, user=people[name], role=role, registry_admin=name == "registry")
    bot = services.service_account_create(actor=SYSTEM, team=team, name="ci").service_account.user
    other_bot = services.service_account_create(actor=SYSTEM, team=other, name="ci").service_account.user
    people.update(service=bot, other_service=other_bot, anonymous=AnonymousUser())

    projects = {}
    for visibility in ("team", "restricted", "public", "open"):
        projects[visibility] = experiments.project_create(actor=people["creator"], team=team, name=f"p-{visibility}", visibility=visibility)
    experiments.access_list_set(actor=SYSTEM, project=projects["restricted"], user=people["viewer"], present=True)
    experiments.access_list_set(actor=SYSTEM, project=projects["restricted"], user=people["left"], present=True)
    theirs = experiments.project_create(actor=people["other_admin"], team=other, name="theirs", visibility="open")
    for visibility, project in projects.items():
        for who in ("creator", "member", "service", "left"):
            if visibility != "restricted" or who in ("creator", "left"):
                experiments.run_create(actor=people[who], project=project, run_id=f"{who}-{visibility}")
    for who in ("outsider", "other_service"):
        experiments.run_create(actor=people[who], project=projects["open"], run_id=f"{who}-open")
    experiments.run_create(actor=people["other_admin"], project=theirs, run_id="theirs")
    # a run moved into another member's project stays its creator's
    moved = experiments.run_create(actor=people["member"], project=projects["team"], run_id="moved")
    experiments.run_move(actor=people["member"], run=moved, target=projects["public"])

    made = []
    for author in ("member", "admin", "left"):
        for visibility in ("draft", "team", "public"):
            for project in (None, projects["team"], projects["restricted"], projects["public"]):
                if project is projects["restricted"] and author == "member":
                    continue
                made.append(reports.report_create(actor=people[author], team=team, title=f"{author} {visibility}", visibility=visibility, project=project))
    made.append(reports.report_create(actor=people["outsider"], team=team, title="outsider on open", visibility="public", project=projects["open"]))
    for report in made:
        if report.visibility != "draft":
            reports.comment_add(actor=people["admin"], report=report, body="hi")
    # "left" leaves the team: what they made stays, their grants in its projects go
    services.member_remove(actor=SYSTEM, membership=Membership.objects.get(team=team, user=people["left"]))
    return people


ACTORS = ["admin", "member", "creator", "viewer", "custom", "registry", "outsider", "left", "other_admin", "service", "other_service", "anonymous", "root"]


def _check(person, queryset, scopes):
    objects = list(queryset)
    seen = {obj.pk for obj in objects if policy.can_see(person, obj)}
    assert set(policy.visible(person, queryset).values_list("pk", flat=True)) == seen, "visible"
    for scope in scopes:
        allowed = {obj.pk for obj in objects if policy.can(person, scope, obj)}
        assert set(policy.permitted(person, scope, queryset).values_list("pk", flat=True)) == allowed, scope


@pytest.mark.parametrize("actor", ACTORS)
def test_projects(world, actor):
    _check(world[actor], Project.objects.all(), PROJECT_SCOPES)


@pytest.mark.parametrize("actor", ACTORS)
def test_runs(world, actor):
    _check(world[actor], Run.objects.select_related("project__team"), RUN_SCOPES)


@pytest.mark.parametrize("actor", ACTORS)
def test_reports(world, actor):
    _check(world[actor], Report.objects.select_related("team", "project__team"), REPORT_SCOPES)


@pytest.mark.parametrize("actor", ACTORS)
def test_team_objects(world, actor):
    _check(world[actor], Membership.objects.select_related("team"), ["team:view", "team:manage", "team:invite", "registry:manage_admins"])


def test_the_world_has_what_the_cells_need(world):
    assert Run.objects.count() > 15 and Report.objects.count() > 30 and Comment.objects.exists()
