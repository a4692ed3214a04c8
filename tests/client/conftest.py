"""The Python client against the real server (pytest-django's live_server)."""

import json
import socket
import time
import urllib.error
import urllib.request
from types import SimpleNamespace

import pytest
from django.db import OperationalError

import teamsite_client as ts
from teams.services import organization_create, team_create
from tests import factories
from teams.policy import SYSTEM

ENV = ["TEAMSITE_BASE_URL", "TEAMSITE_API_KEY", "TEAMSITE_TEAM", "TEAMSITE_PROJECT", "TEAMSITE_USERNAME", "TEAMSITE_USER_EMAIL",
       "TEAMSITE_MODE", "TEAMSITE_DIR", "TEAMSITE_RUN_ID", "TEAMSITE_SWEEP_ID", "TEAMSITE_FINISH_TIMEOUT"]


@pytest.fixture
def site(live_server, settings, monkeypatch, tmp_path):
    """A team `vision` whose admin holds an API key, served at site.url."""
    settings.ALLOWED_HOSTS = ["*"]
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # never the developer's own credentials
    monkeypatch.setenv("TEAMSITE_DIR", str(tmp_path / "teamsite"))
    admin = factories.user(username="ada")
    org = organization_create(actor=SYSTEM, slug="acme", name="Acme", admin=admin)
    team = team_create(organization=org, slug="vision", name="Vision", actor=admin)
    started = []

    def start(**options):
        options.setdefault("project", "mnist")
        options.setdefault("team", "vision")
        options.setdefault("base_url", live_server.url)
        options.setdefault("api_key", key)
        options.setdefault("capture_console", False)
        options.setdefault("system_metrics_interval", None)
        options.setdefault("capture", False)
        run = ts.init(**options)
        started.append(run)
        return run

    key = factories.api_key(admin)
    yield SimpleNamespace(url=live_server.url, admin=admin, org=org, team=team, key=key, start=start)
    for run in started:  # a failing test must not leave a thread or a console tee behind
        run.finish(timeout=2)


def api_get(site, path, *, raw=False, key=None):
    request = urllib.request.Request(f"{site.url}/api/v1{path}", headers={"Authorization": f"Bearer {key or site.key}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
    return body if raw else json.loads(body)


def run_path(run):
    return f"/teams/{run.team}/projects/{run.project}/runs/{run.run_id}"


def _busy(exc):
    """The test database is SQLite in memory with a shared cache: a read that meets
    a write from another live-server thread fails at once ("table is locked")
    instead of waiting. Polls made while the client is sending just try again."""
    if isinstance(exc, urllib.error.HTTPError):
        return exc.code >= 500
    return isinstance(exc, OperationalError) and "locked" in str(exc)


def settle(action, tries=50):
    """Run a server-side action while the client is busy, retrying lock clashes."""
    for _ in range(tries - 1):
        try:
            return action()
        except Exception as exc:
            if not _busy(exc):
                raise
            time.sleep(0.05)
    return action()


def wait_for(condition, timeout=10.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = condition()
        except Exception as exc:
            if not _busy(exc):
                raise
            value = None
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def dead_url():
    """A local port nobody listens on: connections are refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
