"""Abuse and bad input cost nothing: limits, oversize and malformed bodies, faults, headers."""

import json

import pytest
from django.db import OperationalError
from django.test import Client

from experiments.models import Run
from tests import factories

pytestmark = pytest.mark.django_db

RUNS = "/api/v1/teams/{team}/projects/{project}/runs"


@pytest.fixture
def logger_world():
    w = factories.team_with_members()
    project = factories.project(w.team, actor=w.admin, name="vision")
    w.runs_url = RUNS.format(team=w.team.slug, project=project.name)
    w.key = factories.api_key(w.member)
    w.project = project
    return w


def _post(url, body, key, content_type="application/json"):
    return Client().post(url, data=body, content_type=content_type, headers={"Authorization": f"Bearer {key}"})


def _error(response, status):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    return response.json()["error"]


# --- Rate limits -------------------------------------------------------------------------


def test_an_api_key_over_its_limit_gets_429_with_retry_after(settings, logger_world):
    settings.RATE_LIMIT_PER_KEY = "3/60"
    client = Client(headers={"Authorization": f"Bearer {logger_world.key}"})
    assert [client.get("/api/v1/viewer").status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get("/api/v1/viewer")
    error = _error(refused, 429)
    assert error["code"] == "rate_limited" and "try again" in error["message"]
    assert 1 <= int(refused["Retry-After"]) <= 61
    # another key has its own budget
    other = Client(headers={"Authorization": f"Bearer {factories.api_key(logger_world.admin)}"})
    assert other.get("/api/v1/viewer").status_code == 200


def test_requests_without_a_key_are_limited_per_address(settings, db):
    settings.RATE_LIMIT_PER_IP = "2/60"
    first, second = Client(REMOTE_ADDR="10.0.0.1"), Client(REMOTE_ADDR="10.0.0.2")
    assert [first.get("/").status_code for _ in range(2)] == [200, 200]
    assert first.get("/").status_code == 429
    assert first.get("/api/v1/teams/x").json()["error"]["code"] == "rate_limited"
    assert second.get("/").status_code == 200
    assert first.get("/health").status_code == 200  # probes are never limited


def test_the_default_limit_counts_requests_not_points(settings, logger_world):
    """A training job's batches of 1,000 points: a minute of one batch a second stays well inside."""
    from django.conf import settings as live

    count, seconds = (int(part) for part in live.RATE_LIMIT_PER_KEY.split("/"))
    assert count / seconds >= 10  # ten batches a second per key, ten thousand points a second


# --- Bad bodies --------------------------------------------------------------------------------


def test_an_oversize_json_body_is_413_in_the_error_shape(settings, logger_world):
    settings.API_MAX_JSON_BYTES = 1_000_000
    body = json.dumps({"name": "x" * 1_200_000})
    error = _error(_post(logger_world.runs_url, body, logger_world.key), 413)
    assert error["code"] == "too_large" and "at most 1,000,000" in error["message"]
    assert not Run.objects.exists()


def test_json_nested_ten_thousand_deep_is_400_not_500(logger_world):
    body = "[" * 10_000 + "]" * 10_000
    error = _error(_post(logger_world.runs_url, body, logger_world.key), 400)
    assert error["code"] == "invalid"
    assert not Run.objects.exists()


@pytest.mark.parametrize("body", ['{"name": "a\\u0000b"}', '{"config": {"k\\u0000": 1}}', '{"name": "a\x00b"}'])
def test_nul_characters_are_refused_before_anything_is_stored(logger_world, body):
    error = _error(_post(logger_world.runs_url, body, logger_world.key), 400)
    assert "NUL" in error["message"]
    assert not Run.objects.exists()


def test_nul_in_a_query_string_is_400(logger_world):
    response = Client().get(logger_world.runs_url + "?q=a%00b", headers={"Authorization": f"Bearer {logger_world.key}"})
    assert _error(response, 400)["code"] == "invalid"


def test_a_body_that_is_not_utf8_is_400(logger_world):
    error = _error(_post(logger_world.runs_url, b'{"name": "\xff\xfe"}', logger_world.key), 400)
    assert error["code"] == "invalid"
    assert not Run.objects.exists()


def test_a_number_too_long_to_read_is_a_clear_error(logger_world):
    body = '{"name": "big", "config": {"lr": %s}}' % ("1" * 5000)
    assert _error(_post(logger_world.runs_url, body, logger_world.key), 400)["code"] == "invalid"
    assert not Run.objects.exists()


@pytest.mark.parametrize("value", ["1e400", "-1e400", "NaN"])
def test_numbers_json_cannot_hold_are_kept_as_null(logger_world, value):
    """JSON (and PostgreSQL's jsonb) has no infinity or NaN: config keeps the key, as null, on every database."""
    body = '{"name": "big", "config": {"lr": %s, "steps": 10}}' % value
    assert _post(logger_world.runs_url, body, logger_world.key).status_code == 201
    assert Run.objects.get().config == {"lr": None, "steps": 10}


# --- Faults ---------------------------------------------------------------------------------------


def test_a_database_that_went_away_is_503_in_the_error_shape(logger_world, monkeypatch):
    from experiments import services

    def gone(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "run_start", gone)
    response = _post(logger_world.runs_url, "{}", logger_world.key)
    error = _error(response, 503)
    assert "database" in error["message"] and "Traceback" not in response.content.decode()


def test_health_answers_plain_http_even_when_https_is_enforced(settings, db):
    settings.SECURE_SSL_REDIRECT = True
    assert Client().get("/health").status_code == 200
    assert Client().get("/health/ready").status_code == 200
    assert Client().get("/").status_code == 301  # everything else goes to https


def test_readiness_lists_every_part_and_fails_when_one_does(settings, db, monkeypatch):
    ready = Client().get("/health/ready").json()
    assert ready["ready"] is True and {"database", "cache", "storage"} <= set(ready["checks"])
    monkeypatch.setattr("teamsite.views._check_cache", lambda: (False, "no answer"))
    response = Client().get("/health/ready")
    assert response.status_code == 503 and response.json()["checks"]["cache"] == {"ok": False, "detail": "no answer"}


# --- Headers ---------------------------------------------------------------------------------------


def test_security_headers(settings, db):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    response = Client().get("/", secure=True)
    csp = response["Content-Security-Policy"]
    script_src = next(part for part in csp.split(";") if part.strip().startswith("script-src"))
    assert "unsafe-inline" not in script_src and "unsafe-eval" not in script_src
    assert "frame-ancestors 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


def test_run_files_download_as_attachments(logger_world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from experiments import services

    run = factories.run(logger_world.project, actor=logger_world.member, run_id="r1")
    services.files_save(actor=logger_world.member, run=run, files={"page.html": SimpleUploadedFile("page.html", b"<script>alert(1)</script>")})
    client = Client()
    client.force_login(logger_world.member)
    response = client.get(f"/{logger_world.team.slug}/vision/runs/r1/files/page.html")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_admin_sign_in_goes_through_the_rate_limited_one(db):
    response = Client().get("/admin/login/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_behind_nginx_file_bytes_go_out_through_x_accel_redirect(settings, logger_world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from experiments import services

    settings.X_ACCEL_REDIRECT_PREFIX = "/protected/"
    run = factories.run(logger_world.project, actor=logger_world.member, run_id="r1")
    [record] = services.files_save(actor=logger_world.member, run=run, files={"w.bin": SimpleUploadedFile("w.bin", b"weights")})
    client = Client()
    client.force_login(logger_world.member)
    response = client.get(f"/{logger_world.team.slug}/vision/runs/r1/files/w.bin")
    assert response["X-Accel-Redirect"] == "/protected/" + record.file.name and response.content == b""
    assert response["Content-Disposition"].startswith("attachment")
    outsider = Client()
    outsider.force_login(logger_world.outsider)
    assert "X-Accel-Redirect" not in outsider.get(f"/{logger_world.team.slug}/vision/runs/r1/files/w.bin")


def test_a_full_disk_on_upload_is_a_clean_error_and_leaves_no_files(logger_world, settings, monkeypatch):
    import errno
    import os

    from django.core.files.storage import FileSystemStorage
    from django.core.files.uploadedfile import SimpleUploadedFile

    from experiments.models import RunFile

    factories.run(logger_world.project, actor=logger_world.member, run_id="r1")
    real_save = FileSystemStorage._save
    written = []

    def fills_up(self, name, content):
        if written:  # the second file meets a full disk halfway through
            with open(self.path(name), "wb") as partial:
                partial.write(b"half")
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(name)
        return real_save(self, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", fills_up)
    response = Client().post(
        f"{logger_world.runs_url}/r1/files",
        data={"a.txt": SimpleUploadedFile("a.txt", b"first"), "b.txt": SimpleUploadedFile("b.txt", b"second")},
        headers={"Authorization": f"Bearer {logger_world.key}"},
    )
    error = _error(response, 507)
    assert "disk is full" in error["message"]
    assert not RunFile.objects.exists()
    left = [f for _, _, files in os.walk(settings.MEDIA_ROOT) for f in files]
    assert left == [], f"orphan files: {left}"


def test_a_storage_refusal_is_said_in_a_sentence(logger_world, monkeypatch):
    from botocore.exceptions import ClientError
    from django.core.files.uploadedfile import SimpleUploadedFile

    from experiments.models import RunFile

    factories.run(logger_world.project, actor=logger_world.member, run_id="r1")

    def refuses(*args, **kwargs):
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}, "PutObject")

    from teams.models import TeamStorage

    TeamStorage.objects.create(team=logger_world.team, kind="s3", bucket="lab-bucket")  # the team's own bucket, which refuses
    monkeypatch.setattr("teams.storage.save_stream", refuses)
    response = Client().post(
        f"{logger_world.runs_url}/r1/files", data={"a.txt": SimpleUploadedFile("a.txt", b"x")},
        headers={"Authorization": f"Bearer {logger_world.key}"},
    )
    error = _error(response, 503)
    assert "AccessDenied: Access Denied" in error["message"] and "nothing was stored" in error["message"]
    assert not RunFile.objects.exists()


def test_readiness_sees_the_worker_and_the_queue(settings, db):
    from django.utils import timezone

    from core import health
    from core.models import WorkerBeat

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    checks = Client().get("/health/ready").json()["checks"]
    assert checks["worker"]["ok"] is False and "no worker schedule" in checks["worker"]["detail"]
    health.beat()  # what the worker's schedule does every 10 s
    ready = Client().get("/health/ready")
    assert ready.status_code == 200, ready.json()
    assert ready.json()["checks"]["queue"] == {"ok": True, "detail": "0 task(s) waiting"}
    WorkerBeat.objects.update(at=timezone.now() - timezone.timedelta(minutes=5))
    stale = Client().get("/health/ready")
    assert stale.status_code == 503 and "looks stopped" in stale.json()["checks"]["worker"]["detail"]


def test_a_rate_limit_setting_that_is_not_count_per_seconds_says_so(settings):
    from django.core.exceptions import ImproperlyConfigured

    from core.guard import GuardMiddleware

    settings.RATE_LIMIT_PER_KEY = "lots"
    with pytest.raises(ImproperlyConfigured, match="COUNT/SECONDS"):
        GuardMiddleware(lambda request: None)
