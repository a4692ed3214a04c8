"""Every service is the gate: called directly, without any view in front, it refuses
an actor who lacks the scope, with the policy's own exception, and changes nothing.

One row per policy call in a service, so deleting any of them fails here.
"""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts import services as accounts
from accounts.models import ApiKey
from experiments import services as experiments
from experiments.models import Project, Run, RunMedia, Sweep
from profiles import services as profiles
from profiles.models import ShowcaseItem
from reports import services as reports
from reports.models import Comment, Report
from teams import policy, services
from teams.models import AuditEvent, CustomRole, Invitation, Membership, ServiceAccount, Team
from teams.policy import SYSTEM
from tests import factories

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7V\xbd\xfa\x00\x00\x00\x00IEND\xaeB`\x82"
)


SWEEP = {"method": "grid", "parameters": {"lr": {"values": [0.1, 0.01]}}}


@pytest.fixture
def w(db):
    people = {name: factories.user(username=f"g-{name}") for name in ("admin", "member", "other", "viewer", "outsider")}
    org = services.organization_create(actor=SYSTEM, slug="g-org", name="G", admin=people["admin"])
    team = services.team_create(actor=SYSTEM, organization=org, slug="g", name="G", admin=people["admin"])
    for name, role in (("member", "member"), ("other", "member"), ("viewer", "viewer")):
        services.org_member_set(actor=SYSTEM, organization=org, user=people[name], role="member")
        services.member_add(actor=SYSTEM, team=team, user=people[name], role=role)
    services.org_member_set(actor=SYSTEM, organization=org, user=people["outsider"], role="member")
    project = experiments.project_create(actor=people["admin"], team=team, name="p")
    restricted = experiments.project_create(actor=people["admin"], team=team, name="secret", visibility="restricted")
    other_project = experiments.project_create(actor=people["other"], team=team, name="q")
    run = experiments.run_create(actor=people["member"], project=project, run_id="r1")
    report = reports.report_create(actor=people["member"], team=team, title="Mine", body="x", visibility="team")
    comment = reports.comment_add(actor=people["member"], report=report, body="c")
    role = services.custom_role_create(actor=SYSTEM, organization=org, name="reader", base="viewer", scopes=[])
    invitation = services.member_invite(actor=people["admin"], team=team, email="new@example.com", role="member", base_url="http://x").invitation
    bot = services.service_account_create(actor=people["admin"], team=team, name="ci").service_account
    item = profiles.showcase_add(actor=people["admin"], team=team, report=report)
    key = accounts.api_key_create(actor=people["member"], name="k").api_key
    membership = Membership.objects.get(team=team, user=people["member"])
    sweep = experiments.sweep_create(actor=people["member"], project=project, config=SWEEP)
    return SimpleNamespace(sweep=sweep,
        people=people, org=org, team=team, project=project, restricted=restricted, other_project=other_project, run=run,
        report=report, comment=comment, role=role, invitation=invitation, bot=bot, item=item, key=key, membership=membership,
    )


def snapshot():
    """Everything a refused call must leave as it was."""
    return {
        "teams": list(Team.objects.values_list("slug", "name", "intro", "projects_stay_inside")),
        "memberships": list(Membership.objects.values_list("team_id", "user_id", "role", "custom_role_id", "registry_admin").order_by("id")),
        "invitations": list(Invitation.objects.values_list("email", "revoked_at", "accepted_at").order_by("id")),
        "roles": list(CustomRole.objects.values_list("name").order_by("id")),
        "accounts": list(ServiceAccount.objects.values_list("name", "revoked_at").order_by("id")),
        "projects": list(Project.objects.values_list("name", "visibility", "description", "panels").order_by("id")),
        "runs": list(Run.objects.values_list("project_id", "run_id", "state", "name", "notes", "tags", "config", "summary", "stop_requested", "heartbeat_at").order_by("id")),
        "series": list(Run.objects.values_list("series__key", "series__count").order_by("id", "series__key")),
        "logs": list(Run.objects.values_list("log_lines__text").order_by("id")),
        "files": list(Run.objects.values_list("files__path").order_by("id")),
        "alerts": list(Run.objects.values_list("alerts__title").order_by("id")),
        "reports": list(Report.objects.values_list("title", "body", "visibility", "revision").order_by("id")),
        "comments": list(Comment.objects.values_list("body").order_by("id")),
        "follows": list(Report.objects.values_list("follows__user_id", "stars__user_id").order_by("id")),
        "showcase": list(ShowcaseItem.objects.values_list("report_id", "project_id", "position").order_by("id")),
        "keys": list(ApiKey.objects.values_list("prefix", "revoked_at").order_by("id")),
        "audit": AuditEvent.objects.count(),
        "sweeps": list(Sweep.objects.values_list("sweep_id", "state", "config").order_by("id")),
        "media": list(RunMedia.objects.values_list("run_id", "key", "step").order_by("id")),
    }


# (name, who acts, the call, the exception) - one row per policy call in a service.
GATES = [
    ("organization_create", "admin", lambda w, a: services.organization_create(actor=a, slug="x-org", name="X"), policy.Denied),
    ("org_member_set", "member", lambda w, a: services.org_member_set(actor=a, organization=w.org, user=w.people["viewer"], role="admin"), policy.Denied),
    ("custom_role_create", "member", lambda w, a: services.custom_role_create(actor=a, organization=w.org, name="x", base="viewer", scopes=[]), policy.Denied),
    ("custom_role_delete", "member", lambda w, a: services.custom_role_delete(actor=a, role=w.role), policy.Denied),
    ("team_create", "member", lambda w, a: services.team_create(actor=a, organization=w.org, slug="x-team", name="X"), policy.Denied),
    ("team_create for someone else", "admin", lambda w, a: services.team_create(actor=a, organization=w.org, slug="y-team", name="Y", admin=w.people["member"]), policy.Denied),
    ("team_update", "member", lambda w, a: services.team_update(actor=a, team=w.team, name="Renamed"), policy.Denied),
    ("team_delete", "admin", lambda w, a: services.team_delete(actor=a, team=w.team), policy.Denied),
    ("team_avatar_set", "member", lambda w, a: services.team_avatar_set(actor=a, team=w.team, upload=SimpleUploadedFile("a.png", PNG)), policy.Denied),
    ("member_add: team:invite", "member", lambda w, a: services.member_add(actor=a, team=w.team, user=w.people["outsider"], role="viewer"), policy.Denied),
    ("member_add: registry flag", "admin_no_registry", lambda w, a: services.member_add(actor=a, team=w.team, user=w.people["outsider"], role="member", registry_admin=True), policy.Denied),
    ("member_add: admin powers", "inviter", lambda w, a: services.member_add(actor=a, team=w.team, user=w.people["outsider"], role="admin"), policy.Denied),
    ("member_change_role: role", "member", lambda w, a: services.member_change_role(actor=a, membership=w.membership, role="admin"), policy.Denied),
    ("member_change_role: registry flag", "manager", lambda w, a: services.member_change_role(actor=a, membership=w.membership, registry_admin=True), policy.Denied),
    ("member_remove", "member", lambda w, a: services.member_remove(actor=a, membership=w.membership), policy.Denied),
    ("member_invite", "member", lambda w, a: services.member_invite(actor=a, team=w.team, email="y@example.com", role="member", base_url="http://x"), policy.Denied),
    ("member_invite: admin powers", "inviter", lambda w, a: services.member_invite(actor=a, team=w.team, email="y@example.com", role="admin", base_url="http://x"), policy.Denied),
    ("invitation_revoke", "member", lambda w, a: services.invitation_revoke(actor=a, invitation=w.invitation), policy.Denied),
    ("invitation_accept", "anonymous", lambda w, a: services.invitation_accept(actor=a, invitation=w.invitation), policy.Denied),
    ("service_account_create", "member", lambda w, a: services.service_account_create(actor=a, team=w.team, name="bot"), policy.Denied),
    ("service_account_revoke", "member", lambda w, a: services.service_account_revoke(actor=a, account=w.bot), policy.Denied),
    ("site_settings_update", "admin", lambda w, a: services.site_settings_update(actor=a, site_name="x", open_signup=False, allowed_signup_domains=""), policy.Denied),
    ("user_create", "admin", lambda w, a: services.user_create(actor=a, username="someone", email="s@example.com", password="a-long-enough-password-1"), policy.Denied),
    ("project_create", "viewer", lambda w, a: experiments.project_create(actor=a, team=w.team, name="new"), policy.Denied),
    ("project_update", "member", lambda w, a: experiments.project_update(actor=a, project=w.project, visibility="public"), policy.Denied),
    ("project_delete", "member", lambda w, a: experiments.project_delete(actor=a, project=w.project, confirm="p"), policy.Denied),
    ("access_list_set", "member", lambda w, a: experiments.access_list_set(actor=a, project=w.restricted, user=w.people["viewer"], present=True), policy.NotVisible),
    ("run_start: project:create", "viewer", lambda w, a: experiments.run_start(actor=a, team=w.team, project_name="brand-new"), policy.Denied),
    ("run_create", "viewer", lambda w, a: experiments.run_create(actor=a, project=w.project, run_id="v1"), policy.Denied),
    ("run_update: run:view", "outsider", lambda w, a: experiments.run_update(actor=a, run=w.run, notes="x"), policy.NotVisible),
    ("run_update: nothing to change", "outsider", lambda w, a: experiments.run_update(actor=a, run=w.run), policy.NotVisible),
    ("run_update: run:edit", "other", lambda w, a: experiments.run_update(actor=a, run=w.run, config={"lr": 1}), policy.Denied),
    ("run_update: run:edit_workspace", "viewer", lambda w, a: experiments.run_update(actor=a, run=w.run, notes="x"), policy.Denied),
    ("run_heartbeat", "other", lambda w, a: experiments.run_heartbeat(actor=a, run=w.run), policy.Denied),
    ("run_stop", "other", lambda w, a: experiments.run_stop(actor=a, run=w.run), policy.Denied),
    ("run_delete", "other", lambda w, a: experiments.run_delete(actor=a, run=w.run), policy.Denied),
    ("run_move: run:move", "other", lambda w, a: experiments.run_move(actor=a, run=w.run, target=w.other_project), policy.Denied),
    ("run_move: run:log in the target", "member", lambda w, a: experiments.run_move(actor=a, run=w.run, target=w.restricted), policy.NotVisible),
    ("history_append", "other", lambda w, a: experiments.history_append(actor=a, run=w.run, rows=[{"step": 0, "values": {"x": 1.0}}]), policy.Denied),
    ("logs_append", "other", lambda w, a: experiments.logs_append(actor=a, run=w.run, lines=["x"]), policy.Denied),
    ("files_save", "other", lambda w, a: experiments.files_save(actor=a, run=w.run, files={"f.txt": SimpleUploadedFile("f.txt", b"x")}), policy.Denied),
    ("alert_create", "other", lambda w, a: experiments.alert_create(actor=a, run=w.run, title="t", text="", level="info"), policy.Denied),
    ("project_panels_save", "viewer", lambda w, a: experiments.project_panels_save(actor=a, project=w.project, panels=[{"keys": ["x"]}]), policy.Denied),
    ("panel_edit", "viewer", lambda w, a: experiments.panel_edit(actor=a, project=w.project, action="add", panel={"keys": ["x"]}), policy.Denied),
    ("report_create", "viewer", lambda w, a: reports.report_create(actor=a, team=w.team, title="t"), policy.Denied),
    ("report_create: about a project", "member", lambda w, a: reports.report_create(actor=a, team=w.team, title="t", project=w.restricted), policy.NotVisible),
    ("report_save", "other", lambda w, a: reports.report_save(actor=a, report=w.report, base_revision=1, body="taken"), policy.Denied),
    ("report_delete", "other", lambda w, a: reports.report_delete(actor=a, report=w.report), policy.Denied),
    ("chart_add: run:view", "outsider_editor", lambda w, a: reports.chart_add(actor=a, report=w.report, project=w.restricted, panel={"keys": ["x"], "x": "step", "smoothing": 0, "log_y": False}, run_ids=[]), policy.NotVisible),
    ("comment_add", "outsider", lambda w, a: reports.comment_add(actor=a, report=w.report, body="x"), policy.NotVisible),
    ("comment_delete", "other", lambda w, a: reports.comment_delete(actor=a, comment=w.comment), policy.Denied),
    ("follow_set", "anonymous", lambda w, a: reports.follow_set(actor=a, report=w.report, on=True), policy.NotVisible),
    ("star_set", "outsider", lambda w, a: reports.star_set(actor=a, report=w.report, on=True), policy.NotVisible),
    ("showcase_add", "member", lambda w, a: profiles.showcase_add(actor=a, team=w.team, project=w.project), policy.Denied),
    ("showcase_move", "member", lambda w, a: profiles.showcase_move(actor=a, item=w.item, direction="down"), policy.Denied),
    ("showcase_remove", "member", lambda w, a: profiles.showcase_remove(actor=a, item=w.item), policy.Denied),
    ("sweep_create: sweep:create", "viewer", lambda w, a: experiments.sweep_create(actor=a, project=w.project, config=SWEEP), policy.Denied),
    ("sweep_create: run:log", "sweeper", lambda w, a: experiments.sweep_create(actor=a, project=w.project, config=SWEEP), policy.Denied),
    ("sweep_next", "viewer", lambda w, a: experiments.sweep_next(actor=a, sweep=w.sweep), policy.Denied),
    ("sweep_control", "other", lambda w, a: experiments.sweep_control(actor=a, sweep=w.sweep, state="paused"), policy.Denied),
    ("sweep_delete", "member", lambda w, a: experiments.sweep_delete(actor=a, sweep=w.sweep), policy.Denied),
    ("media_save", "other", lambda w, a: experiments.media_save(actor=a, run=w.run, meta={"key": "t", "step": 0, "kind": "table"}, upload=SimpleUploadedFile("t.json", b'{"columns": ["a"], "data": [[1]]}')), policy.Denied),
    ("api_keys_revoke", "admin", lambda w, a: accounts.api_keys_revoke(actor=a, keys=ApiKey.objects.filter(pk=w.key.pk)), PermissionDenied),
]


def _actor(w, who):
    if who == "anonymous":
        return AnonymousUser()
    if who == "admin_no_registry":  # holds team:invite and team:manage but not registry:manage_admins
        role = services.custom_role_create(actor=SYSTEM, organization=w.org, name="mgr", base="member", scopes=["team:invite", "team:manage"])
        services.member_change_role(actor=SYSTEM, membership=Membership.objects.get(team=w.team, user=w.people["other"]), role=role.name)
        return w.people["other"]
    if who == "inviter":  # team:invite alone may hand out a member's powers, not more
        role = services.custom_role_create(actor=SYSTEM, organization=w.org, name="inv", base="member", scopes=["team:invite"])
        services.member_change_role(actor=SYSTEM, membership=Membership.objects.get(team=w.team, user=w.people["other"]), role=role.name)
        return w.people["other"]
    if who == "manager":  # team:manage without registry:manage_admins
        role = services.custom_role_create(actor=SYSTEM, organization=w.org, name="mgr2", base="member", scopes=["team:manage"])
        services.member_change_role(actor=SYSTEM, membership=Membership.objects.get(team=w.team, user=w.people["other"]), role=role.name)
        return w.people["other"]
    if who == "sweeper":  # holds sweep:create but may not log runs (a custom role on a viewer)
        role = services.custom_role_create(actor=SYSTEM, organization=w.org, name="sweeper", base="viewer", scopes=["sweep:create"])
        services.member_change_role(actor=SYSTEM, membership=Membership.objects.get(team=w.team, user=w.people["viewer"]), role=role.name)
        return w.people["viewer"]
    if who == "outsider_editor":  # may edit the report, may not see the restricted project
        return w.people["member"]
    return w.people[who]


@pytest.mark.parametrize("name, who, call, refusal", GATES, ids=[row[0] for row in GATES])
def test_the_service_refuses_and_changes_nothing(w, name, who, call, refusal):
    actor = _actor(w, who)
    before = snapshot()
    with pytest.raises(refusal):
        call(w, actor)
    assert snapshot() == before


def test_a_refusal_names_the_missing_scope(w):
    with pytest.raises(policy.Denied) as refused:
        services.member_change_role(actor=w.people["member"], membership=w.membership, role="admin")
    assert "team:manage" in str(refused.value) and refused.value.scope == "team:manage"


def test_the_same_calls_succeed_for_someone_allowed(w):
    """The gates are not closed for everyone: the admin does what the member may not."""
    services.team_update(actor=w.people["admin"], team=w.team, name="Renamed")
    experiments.run_stop(actor=w.people["member"], run=w.run)
    experiments.project_update(actor=w.people["admin"], project=w.project, visibility="public")
    reports.comment_delete(actor=w.people["admin"], comment=w.comment)
    assert Team.objects.get(pk=w.team.pk).name == "Renamed" and Run.objects.get(pk=w.run.pk).stop_requested
    assert not Comment.objects.filter(pk=w.comment.pk).exists()
