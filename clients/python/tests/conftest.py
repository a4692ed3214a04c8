"""Fixtures: a fake teamsite API (fakeserver.py) and ts.init against it."""

import pytest
from fakeserver import FakeServer

import teamsite_client as ts
from teamsite_client import limits

ENV = ["TEAMSITE_BASE_URL", "TEAMSITE_API_KEY", "TEAMSITE_TEAM", "TEAMSITE_PROJECT", "TEAMSITE_USERNAME", "TEAMSITE_USER_EMAIL",
       "TEAMSITE_MODE", "TEAMSITE_DIR", "TEAMSITE_RUN_ID", "TEAMSITE_SWEEP_ID", "TEAMSITE_FINISH_TIMEOUT"]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # never the developer's own credentials
    monkeypatch.setenv("TEAMSITE_DIR", str(tmp_path / "teamsite"))


@pytest.fixture
def fast(monkeypatch):
    """Retries a hundred times sooner, so tests of backoff take milliseconds."""
    monkeypatch.setattr(limits, "BACKOFF_BASE", 0.005)
    monkeypatch.setattr(limits, "BACKOFF_CAP", 0.05)


@pytest.fixture
def server():
    fake = FakeServer()
    yield fake
    fake.close()


@pytest.fixture
def start(server):
    """ts.init against the fake server, quiet by default; runs are finished after the test."""
    started = []

    def start(**options):
        options.setdefault("project", "mnist")
        options.setdefault("team", "vision")
        options.setdefault("base_url", server.url)
        options.setdefault("api_key", "test-key")
        options.setdefault("capture_console", False)
        options.setdefault("system_metrics_interval", None)
        options.setdefault("capture", False)
        run = ts.init(**options)
        started.append(run)
        return run

    yield start
    for run in started:  # a failing test must not leave a thread or a console tee behind
        run.finish(timeout=2)
