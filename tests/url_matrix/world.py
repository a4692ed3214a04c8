"""The one world every row of the matrix is asked in: a team with one person in each role.

Built once per test session module through the services; each cell runs in its own
savepoint, so a write one cell makes is gone before the next.
"""

from types import SimpleNamespace

from django.core.files.uploadedfile import SimpleUploadedFile

from accounts import services as accounts
from experiments import services as experiments
from reports import services as reports
from teams import services
from teams.policy import SYSTEM
from tests import factories

PEOPLE = ("outsider", "viewer", "member", "admin")


def build(extensions=()):
    users = {name: factories.user(username=f"m-{name}") for name in PEOPLE}
    boss = factories.user(username="m-orgboss")  # an organization admin outside the team
    org = services.organization_create(actor=SYSTEM, slug="m-lab", name="Lab", admin=boss)
    team = services.team_create(actor=SYSTEM, organization=org, slug="m-acme", name="Acme", admin=users["admin"])
    for role in ("viewer", "member"):
        services.org_member_set(actor=SYSTEM, organization=org, user=users[role], role="member")
        services.member_add(actor=SYSTEM, team=team, user=users[role], role=role)
    bot = services.service_account_create(actor=users["admin"], team=team, name="ci")
    users["service"] = bot.service_account.user
    made = {name: accounts.api_key_create(actor=person, name="matrix") for name, person in users.items() if name != "service"}
    keys = {name: new.key for name, new in made.items()}
    keys["service"] = bot.key
    prefixes = {name: new.api_key.prefix for name, new in made.items()}
    other_bot = services.service_account_create(actor=users["admin"], team=team, name="nightly").service_account

    project = experiments.project_create(actor=users["admin"], team=team, name="vision")
    run = factories.run(project, actor=users["member"], run_id="m-run1", name="baseline", history=5)
    experiments.logs_append(actor=users["member"], run=run, lines=["epoch 1", "epoch 2"])
    experiments.files_save(actor=users["member"], run=run, files={"model.txt": SimpleUploadedFile("model.txt", b"weights")})
    experiments.panel_edit(actor=users["admin"], project=project, action="add", panel={"type": "line", "keys": ["loss"]})
    report = factories.report(team, author=users["member"], title="Findings", visibility="team", revisions=2)
    comment = factories.comment(report, author=users["member"])
    invited = services.member_invite(
        actor=users["admin"], team=team, email=users["outsider"].email, role="member", base_url="http://testserver"
    )
    role = services.custom_role_create(actor=SYSTEM, organization=org, name="m-reader", base="viewer", scopes=[])

    w = SimpleNamespace(
        users=users, keys=keys, org=org, team=team, project=project, run=run, report=report, comment=comment,
        invitation=invited.invitation, role=role, boss=boss, other_bot=other_bot, prefixes=prefixes,
    )
    w.names = {
        "org": org.slug,
        "team": team.slug,
        "project": project.name,
        "run_id": run.run_id,
        "report_id": report.pk,
        "comment_id": comment.pk,
        "invitation_id": invited.invitation.pk,
        "token": invited.token,
        "name": role.name,
        "username": users["viewer"].username,
        "path": "model.txt",
        # each person revokes their own key; anonymous asks about the member's
        "prefix": lambda w, actor: w.prefixes.get(actor, w.prefixes["member"]),
    }
    w.unfollow_token = reports.unsubscribe_token(report=report, user=users["member"])
    for extend in extensions:
        extend(w)
    return w
