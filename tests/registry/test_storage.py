"""The team storage connector against a real S3 API: moto in server mode on 127.0.0.1."""

import json

import boto3
import pytest

from registry import selectors, services
from registry.models import Blob
from teams import services as team_services
from teams import storage
from teams.models import AuditEvent, TeamStorage

from tests.net import free_port

from .conftest import log

moto_server = pytest.importorskip("moto.server")


@pytest.fixture(scope="module")
def s3():
    port = free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
    client.create_bucket(Bucket="team-bucket")
    yield {"endpoint": endpoint, "client": client}
    server.stop()


def connect(lab, s3, **overrides):
    fields = {"kind": "s3", "endpoint_url": s3["endpoint"], "region": "us-east-1", "bucket": "team-bucket", "prefix": "teamsite",
              "access_key_id": "test", "secret_access_key": "test", **overrides}
    return team_services.storage_update(actor=lab.admin, team=lab.team, **fields)


def keys(s3):
    return sorted(item["Key"] for item in s3["client"].list_objects_v2(Bucket="team-bucket").get("Contents", []))


def test_artifacts_go_to_the_bucket_deduplicated_and_stream_back(lab, s3, django_capture_on_commit_callbacks):
    before, _ = log(lab.member, lab.project, name="old", files={"old.txt": b"stored locally"})
    row = connect(lab, s3)
    assert row.kind == "s3" and row.secret_encrypted and "test" not in row.secret_encrypted
    assert AuditEvent.objects.filter(action="storage.changed", team=lab.team).count() == 1
    v0, _ = log(lab.member, lab.project, files={"a.bin": b"a" * 10_000, "b.txt": b"bee"})
    log(lab.member, lab.project, files={"a.bin": b"a" * 10_000, "c.txt": b"sea"})
    stored = [key for key in keys(s3) if key.startswith("teamsite/blobs/")]
    assert len(stored) == 3  # a.bin once
    blob = Blob.objects.get(sha256=selectors.files_of(v0).get(path="a.bin").blob.sha256)
    assert blob.storage_id == row.pk
    from registry.services import blobs

    assert b"".join(blobs.stream(blob, chunk=4096)) == b"a" * 10_000
    old_blob = selectors.files_of(before).get().blob
    assert old_blob.storage is None and b"".join(blobs.stream(old_blob)) == b"stored locally"  # still where it was
    with django_capture_on_commit_callbacks(execute=True):
        services.version_delete(actor=lab.member, version=v0)
    assert len([key for key in keys(s3) if key.startswith("teamsite/blobs/")]) == 2  # b.txt went, a.bin stays for v1


def test_the_probe_names_the_failed_step_and_changes_nothing(lab, s3):
    with pytest.raises(storage.ProbeFailed) as failed:
        connect(lab, s3, bucket="no-such-bucket")
    assert failed.value.step == "connect"
    with pytest.raises(storage.ProbeFailed) as failed:
        connect(lab, s3, endpoint_url="http://127.0.0.1:9")
    assert failed.value.step == "connect"
    assert not TeamStorage.objects.filter(team=lab.team).exists()
    assert not AuditEvent.objects.filter(action="storage.changed").exists()


def test_a_wrong_secret_is_a_clear_error(lab, s3):
    from moto import settings as moto_settings

    iam = boto3.client("iam", endpoint_url=s3["endpoint"], region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
    iam.create_user(UserName="teamsite")
    iam.put_user_policy(UserName="teamsite", PolicyName="all", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="teamsite")["AccessKey"]
    saved = moto_settings.INITIAL_NO_AUTH_ACTION_COUNT
    moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = 0  # from now on moto checks signatures
    try:
        with pytest.raises(storage.ProbeFailed) as failed:
            connect(lab, s3, access_key_id=key["AccessKeyId"], secret_access_key="wrong-secret")
        assert failed.value.step == "connect" and "secret" in failed.value.detail
        connect(lab, s3, access_key_id=key["AccessKeyId"], secret_access_key=key["SecretAccessKey"])
    finally:
        moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = saved


def test_the_secret_is_write_only(client, lab, s3):
    connect(lab, s3)
    api = __import__("tests.factories", fromlist=["ApiClient"]).ApiClient(client).as_user(lab.admin)
    shown = api.get("/api/v1/teams/rlab/storage").json()
    assert shown["secret_set"] is True and "secret_access_key" not in shown and shown["bucket"] == "team-bucket"
    # the same bucket and key without a secret keeps the stored one
    assert api.put("/api/v1/teams/rlab/storage", {**{k: shown[k] for k in ("kind", "endpoint_url", "region", "bucket", "prefix", "access_key_id")}}).status_code == 200
    assert api.post("/api/v1/teams/rlab/storage/test").json() == {"ok": True}
    refused = api.put("/api/v1/teams/rlab/storage", {"kind": "s3", "endpoint_url": s3["endpoint"], "bucket": "nope", "access_key_id": "test", "secret_access_key": "test"})
    assert refused.status_code == 400 and "connect" in refused.json()["error"]["fields"]
    assert TeamStorage.objects.get(team=lab.team, active=True).bucket == "team-bucket"


def test_run_files_go_to_the_bucket_too(client, lab, s3):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from experiments import services as experiments
    from experiments.models import RunFile

    experiments.files_save(actor=lab.member, run=lab.run, files={"before.txt": SimpleUploadedFile("before.txt", b"local bytes")})
    connect(lab, s3)
    experiments.files_save(actor=lab.member, run=lab.run, files={"after.txt": SimpleUploadedFile("after.txt", b"bucket bytes")})
    assert RunFile.objects.get(path="before.txt").storage is None and RunFile.objects.get(path="after.txt").storage is not None
    assert any(key.endswith("after.txt") for key in keys(s3))
    api = __import__("tests.factories", fromlist=["ApiClient"]).ApiClient(client).as_user(lab.viewer)
    for path, data in (("before.txt", b"local bytes"), ("after.txt", b"bucket bytes")):
        got = api.get(f"/api/v1/teams/rlab/projects/vision/runs/train1/files/{path}")
        assert got.status_code == 200 and b"".join(got.streaming_content) == data
