import hashlib
import json

import pytest

from registry import services
from registry.models import Blob, ArtifactVersion
from tests import factories

from .conftest import log, sha

A = "/api/v1/teams/rlab/projects/vision/artifacts"
R = "/api/v1/teams/rlab/registry"


def client_for(client, user):
    return factories.ApiClient(client).as_user(user) if user else factories.ApiClient(client)


def multipart(client, user, name, files, manifest):
    key = factories.api_key(user)
    data = {"manifest": json.dumps(manifest)}
    from django.core.files.uploadedfile import SimpleUploadedFile

    for path, content in files.items():
        data[path] = SimpleUploadedFile(path.rsplit("/", 1)[-1], content)
    return client.post(f"{A}/{name}/versions", data, headers={"Authorization": f"Bearer {key}"})


def test_multipart_version_create_and_read(client, lab):
    answer = multipart(client, lab.member, "mnist", {"train/x.bin": b"x" * 1000, "labels.txt": b"1,2"}, {"type": "dataset", "aliases": ["best"], "metadata": {"n": 2}, "run_id": "train1"})
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["version"] == "v0" and body["created"] is True
    assert body["digest"] == services.digest_of([("train/x.bin", sha(b"x" * 1000)), ("labels.txt", sha(b"1,2"))])
    again = multipart(client, lab.member, "mnist", {"train/x.bin": b"x" * 1000, "labels.txt": b"1,2"}, {"type": "dataset"})
    assert again.status_code == 200 and again.json()["created"] is False
    api = client_for(client, lab.viewer)
    detail = api.get(f"{A}/mnist/versions/best").json()
    assert detail["files"] == [{"path": "labels.txt", "size": 3, "sha256": sha(b"1,2")}, {"path": "train/x.bin", "size": 1000, "sha256": sha(b"x" * 1000)}]
    assert detail["logged_by_run"] == "train1" and detail["aliases"] == ["best"] and detail["metadata"] == {"n": 2}
    assert api.get(f"{A}/mnist").json()["aliases"] == {"best": "v0", "latest": "v0"}
    listed = api.get(A).json()["results"]
    assert listed == [{"name": "mnist", "type": "dataset", "description": "", "latest_version": "v0", "version_count": 1}]
    assert api.get(f"{A}/mnist/versions/v0/files/labels.txt").status_code == 403  # viewers do not download
    member = client_for(client, lab.member)
    download = member.get(f"{A}/mnist/versions/latest/files/train/x.bin")
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"x" * 1000


def test_bad_input_is_refused_clearly(client, lab):
    member = factories.api_key(lab.member)
    headers = {"Authorization": f"Bearer {member}"}
    answer = client.post(f"{A}/mnist/versions", {"manifest": "{not json"}, headers=headers)
    assert answer.status_code == 400 and answer.json()["error"]["fields"]["manifest"]
    answer = multipart(client, lab.member, "mnist", {"../escape": b"x"}, {"type": "dataset"})
    assert answer.status_code == 400
    answer = multipart(client, lab.member, "mnist", {"a": b"x"}, {"type": "dataset", "aliases": ["v3"]})
    assert answer.status_code == 400 and "latest" in answer.json()["error"]["message"]
    assert not ArtifactVersion.objects.exists() and not Blob.objects.exists()


def test_size_limit_is_413(client, lab, settings):
    settings.UPLOAD_MAX_FILE_SIZE = 10
    answer = multipart(client, lab.member, "mnist", {"a": b"x" * 11}, {"type": "dataset"})
    assert answer.status_code == 413 and answer.json()["error"]["code"] == "too_large"
    api = client_for(client, lab.member)
    answer = api.post(f"{A}/mnist/uploads", {"files": [{"path": "a", "size": 11, "sha256": sha(b"x" * 11)}]})
    assert answer.status_code == 413


def put_part(client, key, url, data, start, total):
    return client.put(url, data=data, content_type="application/octet-stream",
                      headers={"Authorization": f"Bearer {key}", "Content-Range": f"bytes {start}-{start + len(data) - 1}/{total}"})


def test_resumable_upload_sends_only_missing_and_resumes(client, lab):
    log(lab.member, lab.project, name="other", files={"held.txt": b"already here"})
    big = bytes(range(256)) * 400
    api = client_for(client, lab.member)
    files = [{"path": "held.txt", "size": 12, "sha256": sha(b"already here")}, {"path": "big.bin", "size": len(big), "sha256": sha(big)}]
    started = api.post(f"{A}/mnist/uploads", {"files": files})
    assert started.status_code == 201
    upload_id, missing = started.json()["upload_id"], started.json()["missing"]
    assert missing == [sha(big)]
    url = f"{A}/mnist/uploads/{upload_id}/blobs/{sha(big)}"
    assert put_part(client, api.key, url, big[:50_000], 0, len(big)).status_code == 200
    gap = put_part(client, api.key, url, big[60_000:], 60_000, len(big))
    assert gap.status_code == 409 and gap.json()["error"]["received"] == 50_000
    assert api.get(f"{A}/mnist/uploads/{upload_id}").json()["received"] == {sha(big): 50_000}
    early = api.post(f"{A}/mnist/uploads/{upload_id}/commit", {"type": "dataset"})
    assert early.status_code == 400
    assert put_part(client, api.key, url, big[50_000:], 50_000, len(big)).json()["received"] == len(big)
    done = api.post(f"{A}/mnist/uploads/{upload_id}/commit", {"type": "dataset", "aliases": ["raw"]})
    assert done.status_code == 201 and done.json()["version"] == "v0"
    got = api.get(f"{A}/mnist/versions/raw/files/big.bin")
    assert b"".join(got.streaming_content) == big


def test_bytes_that_do_not_match_their_sha256_are_dropped(client, lab):
    api = client_for(client, lab.member)
    claimed = sha(b"good bytes")
    upload_id = api.post(f"{A}/mnist/uploads", {"files": [{"path": "a", "size": 10, "sha256": claimed}]}).json()["upload_id"]
    bad = put_part(client, api.key, f"{A}/mnist/uploads/{upload_id}/blobs/{claimed}", b"evil bytes", 0, 10)
    assert bad.status_code == 400
    assert api.get(f"{A}/mnist/uploads/{upload_id}").json()["received"] == {}
    assert api.post(f"{A}/mnist/uploads/{upload_id}/commit", {"type": "dataset"}).status_code == 400
    assert not Blob.objects.exists()


def test_aliases_and_delete_over_http(client, lab):
    log(lab.member, lab.project, files={"a": b"1"})
    log(lab.member, lab.project, files={"a": b"2"})
    api = client_for(client, lab.member)
    assert api.put(f"{A}/mnist/aliases/best", {"version": "v0"}).json() == {"alias": "best", "version": "v0"}
    assert api.put(f"{A}/mnist/aliases/latest", {"version": "v0"}).status_code == 400
    assert api.put(f"{A}/mnist/aliases/best", {"version": "v9"}).status_code == 400
    assert api.delete(f"{A}/mnist/aliases/best").status_code == 204
    assert api.delete(f"{A}/mnist/aliases/best").status_code == 404
    assert api.patch(f"{A}/mnist/versions/v1", {"description": "second"}).json()["description"] == "second"
    assert client_for(client, lab.viewer).patch(f"{A}/mnist/versions/v1", {"description": "x"}).status_code == 403
    assert api.delete(f"{A}/mnist/versions/v0").status_code == 204
    assert api.get(f"{A}/mnist/versions/v0").status_code == 404


def test_who_sees_what(client, lab):
    log(lab.member, lab.project)
    assert client_for(client, None).get(A).status_code == 401
    assert client_for(client, lab.outsider).get(A).status_code == 404
    assert client_for(client, lab.outsider).get(f"{R}/models").status_code == 403  # team names are public
    assert client_for(client, None).get(f"{R}/models").status_code == 401


def test_run_uses_records_lineage(client, lab):
    log(lab.member, lab.project)
    api = client_for(client, lab.member)
    answer = api.post("/api/v1/teams/rlab/projects/vision/runs/train1/uses", {"artifact": "vision/mnist:latest"})
    assert answer.status_code == 201 and answer.json()["used_by_runs"] == ["vision/train1"]
    assert api.post("/api/v1/teams/rlab/projects/vision/runs/train1/uses", {"artifact": "vision/nope:v0"}).status_code == 404
    assert client_for(client, lab.admin).post("/api/v1/teams/rlab/projects/vision/runs/train1/uses", {"artifact": "vision/mnist"}).status_code == 403


def test_registry_over_http(client, lab):
    log(lab.member, lab.project, name="resnet", type="model", files={"w.pt": b"weights"})
    member = client_for(client, lab.member)
    assert member.post(f"{R}/models", {"name": "classifier", "description": "d"}).status_code == 201
    assert member.post(f"{R}/models", {"name": "classifier"}).status_code == 409
    linked = member.post(f"{R}/models/classifier/versions", {"artifact": "vision/resnet:v0"})
    assert linked.status_code == 201 and linked.json()["version"] == "v0"
    assert member.put(f"{R}/models/classifier/aliases/staging", {"version": "v0"}).status_code == 200
    registrar = client_for(client, lab.registrar)
    assert registrar.put(f"{R}/protected-aliases", {"aliases": ["production"]}).status_code == 200
    assert member.put(f"{R}/protected-aliases", {"aliases": []}).status_code == 403
    refused = member.put(f"{R}/models/classifier/aliases/production", {"version": "v0"})
    assert refused.status_code == 403 and "registry:manage_protected_aliases" in refused.json()["error"]["message"]
    assert registrar.put(f"{R}/models/classifier/aliases/production", {"version": "v0"}).status_code == 200
    detail = client_for(client, lab.viewer).get(f"{R}/models/classifier").json()
    assert detail["aliases"] == {"production": "v0", "staging": "v0", "latest": "v0"}
    assert detail["versions"][0]["artifact"] == "vision/resnet:v0"
    viewer_download = client_for(client, lab.viewer).get(f"{R}/models/classifier/versions/production/files/w.pt")
    assert viewer_download.status_code == 200 and b"".join(viewer_download.streaming_content) == b"weights"
    assert member.delete(f"{A}/resnet/versions/v0").status_code == 409
    assert member.delete(f"{R}/models/classifier/versions/v0").status_code == 403
    assert client_for(client, lab.admin).delete(f"{R}/models/classifier").status_code == 403
    assert registrar.delete(f"{R}/models/classifier").status_code == 204
