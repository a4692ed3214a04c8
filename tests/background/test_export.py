"""Export a team, import it into a site without it, export again: the same records and the same bytes."""

import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import User
from core.transfer import ImportProblem
from experiments import services as experiments
from experiments.models import MetricSeries, Run
from profiles import services as profiles
from reports import services as reports
from reports.models import Report
from teams import services
from teams.models import Membership, ServiceAccount, Team
from teams.policy import SYSTEM
from registry import services as registry
from registry.models import ArtifactAlias, ArtifactUse, ArtifactVersion, Blob, ModelAlias, RegisteredModel, RegistrySettings
from teams import storage
from transfer.archive import export_team, import_team
from transfer.models import Export

from .world import build

pytestmark = pytest.mark.django_db

def png():
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (80, 60), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def rich_team():
    w = build("ex")
    admin, member, viewer = w.people["admin"], w.people["member"], w.people["viewer"]
    role = services.custom_role_create(actor=SYSTEM, organization=w.org, name="reader", base="viewer", scopes=["report:create"])
    services.member_change_role(actor=SYSTEM, membership=Membership.objects.get(team=w.team, user=viewer), role=role.name)
    services.service_account_create(actor=admin, team=w.team, name="ci")
    services.team_update(actor=admin, team=w.team, name="Export Lab", intro="# Hello\nintro", links=[{"label": "Site", "url": "https://example.org"}])
    services.team_avatar_set(actor=admin, team=w.team, upload=SimpleUploadedFile("a.png", png()))
    secret = experiments.project_create(actor=admin, team=w.team, name="secret", visibility="restricted")
    experiments.access_list_set(actor=admin, project=secret, user=member, present=True)
    experiments.project_panels_save(actor=admin, project=w.project, panels=[{"keys": ["loss"]}])
    experiments.watch_set(actor=viewer, project=w.project, on=True)
    experiments.alert_rule_create(actor=member, project=w.project, name="high", metric="loss", kind="threshold", op=">", value=5.0)
    run = w.run
    experiments.history_append(actor=member, run=run, rows=[{"step": n, "ts": 1e9 + n, "values": {"loss": 1 / (n + 1), "acc": n * 0.5}} for n in range(1500)],
                               batch_id="b1")
    experiments.history_append(actor=member, run=run, rows=[{"step": 1500, "values": {"loss": float("nan")}}])
    experiments.history_append(actor=member, run=run, kind="system", rows=[{"step": n, "values": {"cpu": 10.0 + n}} for n in range(20)])
    experiments.logs_append(actor=member, run=run, lines=["epoch 1", "epoch 2 ✓", ""])
    experiments.files_save(actor=member, run=run, files={"model/weights.bin": SimpleUploadedFile("w", bytes(range(256)) * 40)})
    experiments.alert_create(actor=member, run=run, title="Loss exploded", text="nan", level="error")
    experiments.run_update(actor=member, run=run, summary={"best": 0.1}, notes="notes", tags=["a", "b"])
    other = experiments.run_create(actor=admin, project=secret, run_id="s1", config={"lr": 0.1})
    experiments.run_update(actor=admin, run=other, state="finished")
    report = reports.report_create(actor=member, team=w.team, title="Findings", body="v1", visibility="team", project=w.project)
    reports.report_save(actor=member, report=report, base_revision=1, body="v2")
    reports.comment_add(actor=viewer, report=report, body="nice")
    reports.star_set(actor=admin, report=report, on=True)
    profiles.showcase_add(actor=admin, team=w.team, report=report)
    profiles.showcase_add(actor=admin, team=w.team, project=w.project)
    # artifacts and the registry: two versions sharing one content, aliases, lineage, a protected alias
    files = {"data/train.csv": SimpleUploadedFile("t", b"x,y\n1,2\n"), "README.md": SimpleUploadedFile("r", b"# data")}
    v0 = registry.version_create(actor=member, project=w.project, name="mnist", type="dataset", entries=registry.entries_from_uploads(files),
                                 description="digits", metadata={"rows": 1}, run=run)[0]
    more = {"data/train.csv": SimpleUploadedFile("t", b"x,y\n1,2\n"), "extra.txt": SimpleUploadedFile("e", b"more")}
    v1 = registry.version_create(actor=member, project=w.project, name="mnist", type="dataset", entries=registry.entries_from_uploads(more), aliases=["best"])[0]
    registry.artifact_use(actor=member, run=run, version=v0)
    model = registry.model_create(actor=member, team=w.team, name="clf", description="the classifier")
    link = registry.model_link(actor=member, model=model, version=v1)[0]
    registry.protected_aliases_set(actor=SYSTEM, team=w.team, aliases=["production"])
    registry.model_alias_set(actor=SYSTEM, model=model, alias="production", link=link)
    return w


def members(path):
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def table_counts(team):
    return {
        "members": Membership.objects.filter(team=team).count(), "projects": team.projects.count(),
        "runs": Run.objects.filter(project__team=team).count(), "series": MetricSeries.objects.filter(run__project__team=team).count(),
        "reports": Report.objects.filter(team=team).count(), "service": ServiceAccount.objects.filter(team=team).count(),
        "versions": ArtifactVersion.objects.filter(artifact__project__team=team).count(), "blobs": Blob.objects.filter(team=team).count(),
        "aliases": ArtifactAlias.objects.filter(artifact__project__team=team).count(),
        "uses": ArtifactUse.objects.filter(run__project__team=team).count(), "models": RegisteredModel.objects.filter(team=team).count(),
        "model_aliases": list(ModelAlias.objects.filter(model__team=team).values_list("alias", "model_version__index")),
        "protected": list(RegistrySettings.objects.filter(team=team).values_list("protected_aliases", flat=True)),
    }


@pytest.mark.parametrize("parquet", [True, False], ids=["parquet", "csv"])
def test_export_import_export_gives_the_same_archive(tmp_path, parquet):
    w = rich_team()
    first = tmp_path / "first.zip"
    manifest = export_team(w.team, first, parquet=parquet)
    assert manifest["format_version"] == 1 and manifest["points_format"] == ("parquet" if parquet else "csv")
    before = table_counts(w.team)
    original = members(first)
    assert not any(b"pbkdf2" in data or b"md5$" in data for data in original.values())  # no password hashes

    # a site without the team: delete it (and its bot, which is the team's own)
    org = w.org
    bots = list(User.objects.filter(is_service=True).values_list("pk", flat=True))
    services.team_delete(actor=SYSTEM, team=w.team)
    User.objects.filter(pk__in=bots).delete()
    team = import_team(first, organization=org)
    assert table_counts(team) == before
    assert User.objects.get(username="ex-member").is_active  # matched by email, not created again

    second = tmp_path / "second.zip"
    export_team(team, second, parquet=parquet)
    again = members(second)
    assert set(again) == set(original)
    for name in original:
        if name != "manifest.json":
            assert again[name] == original[name], name  # every record and every byte
    assert json.loads(again["manifest.json"])["counts"] == json.loads(original["manifest.json"])["counts"]
    run = Run.objects.get(project__team=team, run_id="r1")
    assert run.files.get().file.read() == bytes(range(256)) * 40
    assert MetricSeries.objects.get(run=run, key="loss").count == 1501
    version = ArtifactVersion.objects.get(artifact__project__team=team, artifact__name="mnist", index=0)
    assert version.logged_by_run == run and version.metadata == {"rows": 1}
    train = version.files.get(path="data/train.csv").blob
    assert storage.open_stream(train.storage, train.name).read() == b"x,y\n1,2\n"


def test_missing_people_are_created_inactive(tmp_path):
    w = rich_team()
    path = tmp_path / "t.zip"
    export_team(w.team, path)
    other = services.organization_create(actor=SYSTEM, slug="elsewhere", name="Elsewhere")
    User.objects.filter(username="ex-viewer").update(email="changed@example.com")
    team = import_team(path, organization=other, slug="copy")
    created = User.objects.get(email="ex-viewer@example.com")
    assert not created.is_active and not created.has_usable_password() and created.username != "ex-viewer"
    assert Membership.objects.filter(team=team, user=created).exists()


def test_a_bad_archive_changes_nothing_and_says_what(tmp_path):
    w = rich_team()
    path = tmp_path / "t.zip"
    export_team(w.team, path)
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(broken, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "runs.jsonl":
                data = data.replace(b'"count":1501', b'"count":1502')
            dst.writestr(name, data)
    teams_before, users_before = Team.objects.count(), User.objects.count()
    with pytest.raises(ImportProblem, match="loss should have 1502 points"):
        import_team(broken, organization=w.org, slug="copy")
    assert Team.objects.count() == teams_before and User.objects.count() == users_before
    with pytest.raises(ImportProblem, match="not a zip"):
        import_team(io.BytesIO(b"nope"), organization=w.org, slug="copy2")
    with pytest.raises(ImportProblem, match="already a team"):
        import_team(path, organization=w.org)


def test_the_commands(tmp_path, capsys):
    w = rich_team()
    path = str(tmp_path / "c.zip")
    call_command("export_team", "ex", path)
    call_command("import_team", path, "--org", "ex-org", "--slug", "ex-copy")
    assert Team.objects.get(slug="ex-copy").projects.count() == 2
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_team", path, "--org", "ex-org", "--slug", "ex-copy")


def test_the_api_and_page_build_in_the_worker_and_stream_the_zip(client, django_capture_on_commit_callbacks):
    from tests import factories

    w = rich_team()
    admin = factories.ApiClient(client).as_user(w.people["admin"])
    with django_capture_on_commit_callbacks(execute=True):
        started = admin.post("/api/v1/teams/ex/exports")
    assert started.status_code == 202 and started.json()["state"] == "queued"
    detail = admin.get(f"/api/v1/teams/ex/exports/{started.json()['id']}").json()
    assert detail["state"] == "done" and detail["size"] > 0 and detail["download_url"]
    download = client.get(f"/api/v1/teams/ex/exports/{detail['id']}/download", headers={"Authorization": f"Bearer {admin.key}"})
    assert download.status_code == 200 and download.streaming
    body = b"".join(download.streaming_content)
    assert zipfile.ZipFile(io.BytesIO(body)).read("manifest.json")
    member = factories.ApiClient(client).as_user(w.people["member"])
    assert member.post("/api/v1/teams/ex/exports").status_code == 403
    assert member.get(f"/api/v1/teams/ex/exports/{detail['id']}").status_code == 403
    client.force_login(w.people["admin"])
    page = client.get("/ex/settings/export/")
    assert page.status_code == 200 and b"Download" in page.content
    assert Export.objects.count() == 1
