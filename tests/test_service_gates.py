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
from accounts.models import ApiKey, NotificationSettings
from experiments import services as experiments
from experiments.models import AlertRule, Project, ProjectWatch, Run, RunMedia, Sweep, Workspace
from profiles import services as profiles
from profiles.models import ShowcaseItem
from registry import services as registry
from registry.models import ArtifactAlias, ArtifactUse, ArtifactVersion, Blob, ModelAlias, ModelVersion, RegisteredModel, RegistrySettings, Upload
from reports import services as reports
from reports.models import Comment, Report
from teams import policy, services
from teams.models import AuditEvent, CustomRole, Invitation, Membership, ServiceAccount, Team, TeamStorage, Webhook, WebhookDelivery
from teams.policy import SYSTEM
from tests import factories
from transfer import services as transfer
from transfer.models import Export

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
    view = experiments.view_save(actor=people["member"], project=project, name="shared")
    public = experiments.project_create(actor=people["admin"], team=team, name="open-book", visibility="public")
    report = reports.report_create(actor=people["member"], team=team, title="Mine", body="x", visibility="team")
    comment = reports.comment_add(actor=people["member"], report=report, body="c")
    role = services.custom_role_create(actor=SYSTEM, organization=org, name="reader", base="viewer", scopes=[])
    invitation = services.member_invite(actor=people["admin"], team=team, email="new@example.com", role="member", base_url="http://x").invitation
    bot = services.service_account_create(actor=people["admin"], team=team, name="ci").service_account
    item = profiles.showcase_add(actor=people["admin"], team=team, report=report)
    key = accounts.api_key_create(actor=people["member"], name="k").api_key
    membership = Membership.objects.get(team=team, user=people["member"])
    art = registry.version_create(actor=people["member"], project=project, name="data", type="dataset", entries=_entries(b"d"))[0]
    hidden = registry.version_create(actor=people["admin"], project=restricted, name="secret", type="model", entries=_entries(b"s"))[0]
    upload = registry.upload_create(actor=people["member"], project=project, name="data", files=[{"path": "f", "size": 1, "sha256": "0" * 64}])[0]
    model = registry.model_create(actor=people["member"], team=team, name="clf")
    link = registry.model_link(actor=people["member"], model=model, version=art)[0]
    registry.protected_aliases_set(actor=SYSTEM, team=team, aliases=["production"])
    registry.model_alias_set(actor=SYSTEM, model=model, alias="production", link=link)
    registry.model_alias_set(actor=SYSTEM, model=model, alias="staging", link=link)
    registry.alias_set(actor=people["member"], artifact=art.artifact, alias="best", version=art)
    rule = experiments.alert_rule_create(actor=people["admin"], project=project, name="high", metric="loss", kind="threshold", op=">", value=1.0)
    hook = services.webhook_create(actor=people["admin"], team=team, url="https://93.184.215.14/hook", events=["alert"])
    sweep = experiments.sweep_create(actor=people["member"], project=project, config=SWEEP)
    return SimpleNamespace(rule=rule, hook=hook, sweep=sweep,
        people=people, org=org, team=team, project=project, restricted=restricted, other_project=other_project, run=run,
        report=report, comment=comment, role=role, view=view, public=public, invitation=invitation, bot=bot, item=item, key=key, membership=membership,
        art=art, hidden=hidden, upload=upload, model=model, link=link,
    )


def _entries(data, path="f.txt"):
    return registry.entries_from_uploads({path: SimpleUploadedFile(path, data)})


def snapshot():
    """Everything a refused call must leave as it was."""
    return {
        "teams": list(Team.objects.values_list("slug", "name", "intro", "projects_stay_inside")),
        "memberships": list(Membership.objects.values_list("team_id", "user_id", "role", "custom_role_id", "registry_admin").order_by("id")),
        "invitations": list(Invitation.objects.values_list("email", "revoked_at", "accepted_at").order_by("id")),
        "roles": list(CustomRole.objects.values_list("name").order_by("id")),
        "accounts": list(ServiceAccount.objects.values_list("name", "revoked_at").order_by("id")),
        "projects": list(Project.everything.values_list("name", "visibility", "description", "deleted_at").order_by("id")),
        "workspaces": list(Workspace.objects.values_list("project_id", "owner_id", "name", "panels", "hidden", "table").order_by("id")),
        "runs": list(Run.everything.values_list("project_id", "run_id", "state", "name", "notes", "tags", "config", "summary", "stop_requested", "heartbeat_at", "mlflow_tags", "deleted_at").order_by("id")),
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
        "versions": list(ArtifactVersion.objects.values_list("artifact__name", "index", "description", "metadata").order_by("id")),
        "aliases": list(ArtifactAlias.objects.values_list("alias", "version_id").order_by("id")),
        "uses": list(ArtifactUse.objects.values_list("run_id", "version_id").order_by("id")),
        "blobs": list(Blob.objects.values_list("sha256").order_by("id")),
        "uploads": list(Upload.objects.values_list("upload_id", "committed_at").order_by("id")),
        "models": list(RegisteredModel.objects.values_list("name", "description").order_by("id")),
        "links": list(ModelVersion.objects.values_list("model_id", "index").order_by("id")),
        "model_aliases": list(ModelAlias.objects.values_list("alias", "model_version_id").order_by("id")),
        "protected": list(RegistrySettings.objects.values_list("protected_aliases").order_by("id")),
        "storage": list(TeamStorage.objects.values_list("kind", "bucket", "active").order_by("id")),
        "rules": list(AlertRule.objects.values_list("name", "enabled", "value").order_by("id")),
        "watches": list(ProjectWatch.objects.values_list("project_id", "user_id").order_by("id")),
        "webhooks": list(Webhook.objects.values_list("url", "events", "enabled", "secret").order_by("id")),
        "deliveries": WebhookDelivery.objects.count(),
        "team_mails": list(Team.objects.values_list("mail_run_finished", "mail_run_crashed").order_by("id")),
        "exports": Export.objects.count(),
        "notifications": list(NotificationSettings.objects.values_list("user_id", "alerts", "comments", "runs").order_by("id")),
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
    ("run_trash", "other", lambda w, a: experiments.run_trash(actor=a, run=w.run), policy.Denied),
    ("run_restore", "other", lambda w, a: experiments.run_restore(actor=a, run=w.run), policy.Denied),
    ("project_trash", "member", lambda w, a: experiments.project_trash(actor=a, project=w.project), policy.Denied),
    ("project_restore", "member", lambda w, a: experiments.project_restore(actor=a, project=w.other_project), policy.Denied),
    ("run_params_tags_log", "other", lambda w, a: experiments.run_params_tags_log(actor=a, run=w.run, params={"lr": "1"}, tags={"t": "v"}), policy.Denied),
    ("run_params_tags_log: outsider", "outsider", lambda w, a: experiments.run_params_tags_log(actor=a, run=w.run, tags={"t": "v"}), policy.NotVisible),
    ("history_append", "other", lambda w, a: experiments.history_append(actor=a, run=w.run, rows=[{"step": 0, "values": {"x": 1.0}}]), policy.Denied),
    ("logs_append", "other", lambda w, a: experiments.logs_append(actor=a, run=w.run, lines=["x"]), policy.Denied),
    ("files_save", "other", lambda w, a: experiments.files_save(actor=a, run=w.run, files={"f.txt": SimpleUploadedFile("f.txt", b"x")}), policy.Denied),
    ("alert_create", "other", lambda w, a: experiments.alert_create(actor=a, run=w.run, title="t", text="", level="info"), policy.Denied),
    ("project_panels_save: run:view", "outsider", lambda w, a: experiments.project_panels_save(actor=a, project=w.project, panels=[{"keys": ["x"]}]), policy.NotVisible),
    ("project_panels_save: a saved view", "viewer", lambda w, a: experiments.project_panels_save(actor=a, project=w.project, panels=[{"keys": ["x"]}], view=w.view), policy.Denied),
    ("panel_edit: run:view", "outsider", lambda w, a: experiments.panel_edit(actor=a, project=w.project, action="add", panel={"keys": ["x"]}), policy.NotVisible),
    ("panel_edit: signed in", "anonymous_public", lambda w, a: experiments.panel_edit(actor=a, project=w.public, action="add", panel={"keys": ["x"]}), policy.Denied),
    ("panel_edit: a saved view", "viewer", lambda w, a: experiments.panel_edit(actor=a, project=w.project, action="add", panel={"keys": ["x"]}, view=w.view), policy.Denied),
    ("view_save", "viewer", lambda w, a: experiments.view_save(actor=a, project=w.project, name="mine"), policy.Denied),
    ("view_update", "viewer", lambda w, a: experiments.view_update(actor=a, view=w.view, name="renamed"), policy.Denied),
    ("view_delete", "viewer", lambda w, a: experiments.view_delete(actor=a, view=w.view), policy.Denied),
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
    ("version_create", "viewer", lambda w, a: registry.version_create(actor=a, project=w.project, name="data", type="dataset", entries=_entries(b"new")), policy.Denied),
    ("version_create: artifact:edit_aliases", "artifact_creator", lambda w, a: registry.version_create(actor=a, project=w.project, name="data", type="dataset", entries=_entries(b"new"), aliases=["x"]), policy.Denied),
    ("version_create: run:log", "other", lambda w, a: registry.version_create(actor=a, project=w.project, name="data", type="dataset", entries=_entries(b"new"), run=w.run), policy.Denied),
    ("version_update", "viewer", lambda w, a: registry.version_update(actor=a, version=w.art, description="x"), policy.Denied),
    ("version_delete", "viewer", lambda w, a: registry.version_delete(actor=a, version=w.art), policy.Denied),
    ("alias_set", "viewer", lambda w, a: registry.alias_set(actor=a, artifact=w.art.artifact, alias="x", version=w.art), policy.Denied),
    ("alias_delete", "viewer", lambda w, a: registry.alias_delete(actor=a, artifact=w.art.artifact, alias="best"), policy.Denied),
    ("artifact_use: run:log", "other", lambda w, a: registry.artifact_use(actor=a, run=w.run, version=w.art), policy.Denied),
    ("artifact_use: artifact:view", "member", lambda w, a: registry.artifact_use(actor=a, run=w.run, version=w.hidden), policy.NotVisible),
    ("upload_create", "viewer", lambda w, a: registry.upload_create(actor=a, project=w.project, name="data", files=[{"path": "f", "size": 1, "sha256": "1" * 64}]), policy.Denied),
    ("upload_status", "outsider", lambda w, a: registry.upload_status(actor=a, upload=w.upload), policy.NotVisible),
    ("upload_part", "viewer", lambda w, a: registry.upload_part(actor=a, upload=w.upload, sha256="0" * 64, content_range="bytes 0-0/1", stream=None, length=1), policy.Denied),
    ("upload_commit", "viewer", lambda w, a: registry.upload_commit(actor=a, upload=w.upload, type="dataset"), policy.Denied),
    ("model_create", "viewer", lambda w, a: registry.model_create(actor=a, team=w.team, name="new"), policy.Denied),
    ("model_update", "viewer", lambda w, a: registry.model_update(actor=a, model=w.model, description="x"), policy.Denied),
    ("model_rename", "viewer", lambda w, a: registry.model_rename(actor=a, model=w.model, name="renamed"), policy.Denied),
    ("model_delete: registry:manage_admins", "member", lambda w, a: registry.model_delete(actor=a, model=w.model), policy.Denied),
    ("model_delete: protected alias", "admin", lambda w, a: registry.model_delete(actor=a, model=w.model), policy.Denied),
    ("model_link: registry:add_model", "viewer", lambda w, a: registry.model_link(actor=a, model=w.model, version=w.art), policy.Denied),
    ("model_link: artifact:view", "member", lambda w, a: registry.model_link(actor=a, model=w.model, version=w.hidden), policy.NotVisible),
    ("model_unlink: registry:add_model", "viewer", lambda w, a: registry.model_unlink(actor=a, link=w.link), policy.Denied),
    ("model_unlink: protected alias", "member", lambda w, a: registry.model_unlink(actor=a, link=w.link), policy.Denied),
    ("model_alias_set: registry:add_alias", "viewer", lambda w, a: registry.model_alias_set(actor=a, model=w.model, alias="x", link=w.link), policy.Denied),
    ("model_alias_set: protected", "member", lambda w, a: registry.model_alias_set(actor=a, model=w.model, alias="production", link=w.link), policy.Denied),
    ("model_alias_delete: registry:add_alias", "viewer", lambda w, a: registry.model_alias_delete(actor=a, model=w.model, alias="staging"), policy.Denied),
    ("model_alias_delete: protected", "member", lambda w, a: registry.model_alias_delete(actor=a, model=w.model, alias="production"), policy.Denied),
    ("protected_aliases_set", "admin", lambda w, a: registry.protected_aliases_set(actor=a, team=w.team, aliases=[]), policy.Denied),
    ("storage_update", "member", lambda w, a: services.storage_update(actor=a, team=w.team, kind="local"), policy.Denied),
    ("storage_test", "member", lambda w, a: services.storage_test(actor=a, team=w.team), policy.Denied),
    ("alert_rule_create", "viewer", lambda w, a: experiments.alert_rule_create(actor=a, project=w.project, name="x", metric="m", kind="threshold", op=">", value=1.0), policy.Denied),
    ("alert_rule_update", "viewer", lambda w, a: experiments.alert_rule_update(actor=a, rule=w.rule, enabled=False), policy.Denied),
    ("alert_rule_delete", "viewer", lambda w, a: experiments.alert_rule_delete(actor=a, rule=w.rule), policy.Denied),
    ("watch_set", "outsider", lambda w, a: experiments.watch_set(actor=a, project=w.project, on=True), policy.NotVisible),
    ("webhook_create", "member", lambda w, a: services.webhook_create(actor=a, team=w.team, url="https://93.184.215.14/x", events=["alert"]), policy.Denied),
    ("webhook_update", "member", lambda w, a: services.webhook_update(actor=a, webhook=w.hook, enabled=False), policy.Denied),
    ("webhook_delete", "member", lambda w, a: services.webhook_delete(actor=a, webhook=w.hook), policy.Denied),
    ("webhook_test", "member", lambda w, a: services.webhook_test(actor=a, webhook=w.hook), policy.Denied),
    ("team_run_mails_set", "member", lambda w, a: services.team_run_mails_set(actor=a, team=w.team, finished=True, crashed=False), policy.Denied),
    ("export_create", "member", lambda w, a: transfer.export_create(actor=a, team=w.team), policy.Denied),
    ("export_for", "member", lambda w, a: transfer.export_for(actor=a, team=w.team, export_id=1), policy.Denied),
    ("notification_settings_save", "anonymous", lambda w, a: accounts.notification_settings_save(actor=a, alerts=False), PermissionDenied),
    ("sweep_create: sweep:create", "viewer", lambda w, a: experiments.sweep_create(actor=a, project=w.project, config=SWEEP), policy.Denied),
    ("sweep_create: run:log", "sweeper", lambda w, a: experiments.sweep_create(actor=a, project=w.project, config=SWEEP), policy.Denied),
    ("sweep_next", "viewer", lambda w, a: experiments.sweep_next(actor=a, sweep=w.sweep), policy.Denied),
    ("sweep_control", "other", lambda w, a: experiments.sweep_control(actor=a, sweep=w.sweep, state="paused"), policy.Denied),
    ("sweep_delete", "member", lambda w, a: experiments.sweep_delete(actor=a, sweep=w.sweep), policy.Denied),
    ("media_save", "other", lambda w, a: experiments.media_save(actor=a, run=w.run, meta={"key": "t", "step": 0, "kind": "table"}, upload=SimpleUploadedFile("t.json", b'{"columns": ["a"], "data": [[1]]}')), policy.Denied),
    ("api_keys_revoke", "admin", lambda w, a: accounts.api_keys_revoke(actor=a, keys=ApiKey.objects.filter(pk=w.key.pk)), PermissionDenied),
]


def _trashed(w):
    """The world's run in the bin, put there before the snapshot by its creator."""
    return experiments.run_trash(actor=w.people["member"], run=w.run)


def _trashed_project(w):
    return experiments.project_trash(actor=w.people["admin"], project=w.other_project)


PREPARE = {"run_restore": _trashed, "project_restore": _trashed_project}  # done before the snapshot


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
    if who == "artifact_creator":  # may log artifact versions, not set aliases
        role = services.custom_role_create(actor=SYSTEM, organization=w.org, name="logger", base="viewer", scopes=["artifact:create"])
        services.member_change_role(actor=SYSTEM, membership=Membership.objects.get(team=w.team, user=w.people["viewer"]), role=role.name)
        return w.people["viewer"]
    if who == "anonymous_public":  # sees a public project, may not have a workspace
        return AnonymousUser()
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
    if name in PREPARE:
        PREPARE[name](w)
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
