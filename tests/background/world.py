"""A small team for the background-work tests, built through the services."""

from types import SimpleNamespace

from experiments import services as experiments
from teams import services
from teams.policy import SYSTEM
from tests import factories


def build(prefix="bg"):
    people = {name: factories.user(username=f"{prefix}-{name}") for name in ("admin", "member", "viewer", "outsider")}
    org = services.organization_create(actor=SYSTEM, slug=f"{prefix}-org", name="Org", admin=people["admin"])
    team = services.team_create(actor=SYSTEM, organization=org, slug=prefix, name="Lab", admin=people["admin"])
    for name, role in (("member", "member"), ("viewer", "viewer")):
        services.org_member_set(actor=SYSTEM, organization=org, user=people[name], role="member")
        services.member_add(actor=SYSTEM, team=team, user=people[name], role=role)
    project = experiments.project_create(actor=people["admin"], team=team, name="vision")
    run = experiments.run_create(actor=people["member"], project=project, run_id="r1")
    return SimpleNamespace(people=people, org=org, team=team, project=project, run=run)
