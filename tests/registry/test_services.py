import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from core.errors import Conflict
from registry import selectors, services
from registry.models import ArtifactFile, ArtifactVersion, Blob
from teams import policy
from teams.models import AuditEvent

from .conftest import log, sha


def test_digest_follows_the_spec_rule():
    expected = sha(f"a.txt:{sha(b'alpha')}\nb/c.bin:{sha(b'beta')}\n".encode())
    assert services.digest_of([("b/c.bin", sha(b"beta")), ("a.txt", sha(b"alpha"))]) == expected


def test_versions_count_up_and_same_content_logs_nothing(lab):
    v0, created0 = log(lab.member, lab.project, files={"a.txt": b"one"})
    v0_again, created_again = log(lab.member, lab.project, files={"a.txt": b"one"})
    v1, created1 = log(lab.member, lab.project, files={"a.txt": b"two"})
    assert (v0.version, created0, v0_again.pk, created_again, v1.version, created1) == ("v0", True, v0.pk, False, "v1", True)
    assert v0.digest == services.digest_of([("a.txt", sha(b"one"))])
    artifact = v0.artifact
    assert selectors.version_by_ref(artifact, "latest") == v1
    assert selectors.version_by_ref(artifact, "v0") == v0


def test_content_is_stored_once_and_deleted_when_unused(lab):
    v0, _ = log(lab.member, lab.project, files={"a.txt": b"same", "b.txt": b"only-v0"})
    v1, _ = log(lab.member, lab.project, files={"a.txt": b"same", "c.txt": b"v1"})
    assert Blob.objects.filter(team=lab.team).count() == 3
    services.version_delete(actor=lab.member, version=v0)
    assert set(Blob.objects.values_list("sha256", flat=True)) == {sha(b"same"), sha(b"v1")}
    assert ArtifactFile.objects.filter(version=v1).count() == 2


def test_aliases_are_unique_move_and_refuse_reserved_names(lab):
    v0, _ = log(lab.member, lab.project, files={"a.txt": b"one"}, aliases=["best"])
    v1, _ = log(lab.member, lab.project, files={"a.txt": b"two"})
    services.alias_set(actor=lab.member, artifact=v0.artifact, alias="best", version=v1)
    assert selectors.version_by_ref(v0.artifact, "best") == v1
    for bad in ("latest", "v3", "a/b", "a:b", "", "x" * 129):
        with pytest.raises(ValidationError):
            services.alias_set(actor=lab.member, artifact=v0.artifact, alias=bad, version=v1)


def test_bad_paths_are_refused_and_nothing_is_written(lab):
    for path in ("../up.txt", "/etc/passwd", "a/../../b"):
        with pytest.raises(ValidationError):
            log(lab.member, lab.project, files={path: b"x"})
    assert not ArtifactVersion.objects.exists() and not Blob.objects.exists()


def test_a_linked_version_cannot_be_deleted(lab):
    v0, _ = log(lab.member, lab.project, name="resnet", type="model")
    model = services.model_create(actor=lab.member, team=lab.team, name="classifier")
    services.model_link(actor=lab.member, model=model, version=v0)
    with pytest.raises(Conflict) as refused:
        services.version_delete(actor=lab.member, version=v0)
    assert "classifier" in refused.value.message


def test_viewers_see_but_do_not_download(lab):
    v0, _ = log(lab.member, lab.project)
    assert policy.can(lab.viewer, "artifact:view", v0) and not policy.can(lab.viewer, "artifact:download", v0)
    assert policy.can(lab.viewer, "registry:download", lab.team)
    with pytest.raises(policy.Denied):
        log(lab.viewer, lab.project)
    with pytest.raises(policy.NotVisible):
        log(lab.outsider, lab.project)


def test_protected_aliases_only_for_registry_admins(lab):
    v0, _ = log(lab.member, lab.project, name="resnet", type="model")
    model = services.model_create(actor=lab.member, team=lab.team, name="classifier")
    link, _ = services.model_link(actor=lab.member, model=model, version=v0)
    with pytest.raises(policy.Denied):
        services.protected_aliases_set(actor=lab.admin, team=lab.team, aliases=["production"])  # a team admin is not a registry admin
    services.protected_aliases_set(actor=lab.registrar, team=lab.team, aliases=["production"])
    assert AuditEvent.objects.filter(action="registry.protected_aliases_changed").count() == 1
    services.model_alias_set(actor=lab.member, model=model, alias="staging", link=link)
    with pytest.raises(policy.Denied):
        services.model_alias_set(actor=lab.member, model=model, alias="production", link=link)
    services.model_alias_set(actor=lab.registrar, model=model, alias="production", link=link)
    with pytest.raises(policy.Denied):
        services.model_unlink(actor=lab.member, link=link)
    with pytest.raises(policy.Denied):
        services.model_delete(actor=lab.admin, model=model)
    services.model_delete(actor=lab.registrar, model=model)


def test_links_count_in_link_order(lab):
    a, _ = log(lab.member, lab.project, name="resnet", type="model", files={"w": b"1"})
    b, _ = log(lab.member, lab.project, name="resnet", type="model", files={"w": b"2"})
    model = services.model_create(actor=lab.member, team=lab.team, name="classifier")
    first, _ = services.model_link(actor=lab.member, model=model, version=b)
    second, _ = services.model_link(actor=lab.member, model=model, version=a)
    again, created = services.model_link(actor=lab.member, model=model, version=a)
    assert (first.version, second.version, again.pk, created) == ("v0", "v1", second.pk, False)


def test_lineage_records_use_and_walks_hops(lab):
    from experiments import services as experiments

    data, _ = log(lab.member, lab.project, name="mnist", run=None)
    services.artifact_use(actor=lab.member, run=lab.run, version=data)
    model, _ = log(lab.member, lab.project, name="net", type="model", files={"w": b"w"}, run=lab.run)
    graph = selectors.lineage(lab.viewer, data)
    assert set(graph["versions"]) == {data.pk, model.pk} and set(graph["runs"]) == {lab.run.pk}
    other = experiments.run_create(actor=lab.admin, project=lab.project, run_id="x")
    with pytest.raises(policy.Denied):
        services.artifact_use(actor=lab.member, run=other, version=data)


@pytest.mark.django_db(transaction=True)
def test_concurrent_uploads_get_distinct_gap_free_versions(file_db, request):
    lab = request.getfixturevalue("lab")
    errors, results = [], []

    def upload(i):
        try:
            results.append(log(lab.member, lab.project, files={"a.txt": f"content {i}".encode()})[0].index)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=upload, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and sorted(results) == list(range(6))
