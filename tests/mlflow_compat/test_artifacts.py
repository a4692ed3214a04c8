"""Artifacts in parts: the client's multipart upload through mpu/create, the part URLs, mpu/complete."""

import pytest

from .conftest import mlflow, raw, teamsite_get

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_large_file_goes_up_in_parts(site, tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD", "true")
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", "1")
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE", "1024")
    client = site.use("max")
    run_id = client.create_run(str(site.project.pk)).info.run_id
    big = tmp_path / "weights.bin"
    payload = bytes(range(256)) * 12 + b"tail"  # 3076 bytes: four parts
    big.write_bytes(payload)
    client.log_artifact(run_id, str(big), artifact_path="ckpt")
    local = client.download_artifacts(run_id, "ckpt/weights.bin", str(tmp_path / "down"))
    assert open(local, "rb").read() == payload
    status, files = teamsite_get(site, f"/teams/lab/projects/vision/runs/{run_id}/files")
    assert [(f["path"], f["size"]) for f in files["results"]] == [("ckpt/weights.bin", len(payload))]


def test_an_upload_id_is_bound_to_its_file_and_person(site):
    client = site.use("max")
    run_id = client.create_run(str(site.project.pk)).info.run_id
    base = f"/api/2.0/mlflow-artifacts/mpu/%s/{site.project.pk}/{run_id}/artifacts"
    status, made = raw(site, "POST", base % "create", {"path": "a.bin", "num_parts": 1}, person="max")
    assert status == 200 and len(made["credentials"]) == 1
    status, body = raw(site, "POST", base % "create", {"path": "a.bin", "num_parts": 1}, person="vera")
    assert status == 403 and body["error_code"] == "PERMISSION_DENIED"
    status, body = raw(site, "POST", base % "complete", {"path": "other.bin", "upload_id": made["upload_id"], "parts": [{"part_number": 1}]}, person="max")
    assert status == 400 and body["error_code"] == "INVALID_PARAMETER_VALUE"
    status, body = raw(site, "POST", base % "complete", {"path": "a.bin", "upload_id": made["upload_id"], "parts": [{"part_number": 1}]}, person="max")
    assert status == 400 and "never arrived" in body["message"]
    status, _ = raw(site, "POST", base % "abort", {"path": "a.bin", "upload_id": made["upload_id"]}, person="max")
    assert status == 200


def test_listing_a_file_answers_nothing_and_paths_stay_inside(site, tmp_path):
    client = site.use("max")
    run = client.create_run(str(site.project.pk))
    one = tmp_path / "one.txt"
    one.write_text("1")
    client.log_artifact(run.info.run_id, str(one))
    status, body = raw(site, "GET", f"/api/2.0/mlflow-artifacts/artifacts?path={site.project.pk}/{run.info.run_id}/artifacts/one.txt", person="max")
    assert status == 200 and body == {}
    assert client.list_artifacts(run.info.run_id, "one.txt") == []
    status, body = raw(site, "GET", f"/api/2.0/mlflow-artifacts/artifacts?path=999/{run.info.run_id}/artifacts", person="max")
    assert status == 404 and body["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    status, body = raw(site, "GET", f"/api/2.0/mlflow-artifacts/artifacts/{site.project.pk}/{run.info.run_id}/artifacts/nothing.txt", person="max")
    assert status == 404 and body["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    assert run.info.artifact_uri == f"mlflow-artifacts:/{site.project.pk}/{run.info.run_id}/artifacts"
    assert mlflow.get_tracking_uri() == site.url
