"""Site-wide behaviour: health, home, security headers, configuration."""

import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.db.utils import OperationalError

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_health_ok(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.content == b"ok"


@pytest.mark.django_db
def test_health_reports_a_dead_database(client):
    with mock.patch("teamsite.views.connection.cursor", side_effect=OperationalError("gone")):
        response = client.get("/health")
    assert response.status_code == 503


@pytest.mark.django_db
def test_home_signed_out_and_in(client, user):
    signed_out = client.get("/").content.decode()
    assert "Create your account" in signed_out
    client.force_login(user)
    signed_in = client.get("/").content.decode()
    assert "Create an API key" in signed_in
    assert 'hx-headers=\'{"X-CSRFToken": "' in signed_in


@pytest.mark.django_db
def test_pages_forbid_inline_script(client):
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    script_src = next(part for part in policy.split(";") if part.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src
    assert "<script>" not in response.content.decode()
    assert "/static/vendor/htmx" in response.content.decode()


@pytest.mark.django_db
def test_unknown_page_is_a_friendly_404(client, settings):
    settings.DEBUG = False
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "We could not find that page" in response.content.decode()


def run_manage(*args, **env):
    full_env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=60
    )


def test_refuses_to_start_without_a_secret_key_when_debug_is_off():
    result = run_manage("check", DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_deploy_check_is_clean_with_real_settings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY="k" * 20 + "-a-real-and-long-random-production-secret-value",
        ALLOWED_HOSTS="teamsite.example.org",
        CSRF_TRUSTED_ORIGINS="https://teamsite.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNINGS" not in result.stderr + result.stdout
