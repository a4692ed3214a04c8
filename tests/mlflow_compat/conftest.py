"""The real MLflow client (mlflow-skinny 3.x) against a live teamsite server (pytest-django's live_server)."""

import json
import urllib.error
import urllib.request
from types import SimpleNamespace

import pytest

mlflow = pytest.importorskip("mlflow")

from experiments import services as experiments  # noqa: E402
from teams import services as teams  # noqa: E402
from teams.policy import SYSTEM  # noqa: E402
from tests import factories  # noqa: E402

MLFLOW_ENV = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",  # an error answer is the answer: no back-off in tests
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "60",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
}


@pytest.fixture
def site(live_server, settings, monkeypatch, tmp_path):
    """A team `lab` with an admin, a member, a viewer and a service account, each with a key;
    the project `lab/vision` exists. `site.use(person)` points the MLflow client at the site with that person's key."""
    settings.ALLOWED_HOSTS = ["*"]
    settings.MEDIA_ROOT = tmp_path / "media"
    for name, value in MLFLOW_ENV.items():
        monkeypatch.setenv(name, value)
    for name in ("MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_EXPERIMENT_NAME",
                 "MLFLOW_EXPERIMENT_ID", "MLFLOW_RUN_ID", "MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD"):
        monkeypatch.delenv(name, raising=False)
    people = {name: factories.user(username=name) for name in ("ada", "max", "vera", "olga")}
    org = teams.organization_create(actor=SYSTEM, slug="acme", name="Acme", admin=people["ada"])
    team = teams.team_create(actor=SYSTEM, organization=org, slug="lab", name="Lab", admin=people["ada"])
    for name, role in (("max", "member"), ("vera", "viewer")):
        teams.org_member_set(actor=SYSTEM, organization=org, user=people[name], role="member")
        teams.member_add(actor=SYSTEM, team=team, user=people[name], role=role)
    bot = teams.service_account_create(actor=people["ada"], team=team, name="ci")
    keys = {name: factories.api_key(person) for name, person in people.items()}
    keys["bot"] = bot.key
    project = experiments.project_create(actor=people["ada"], team=team, name="vision")
    mlflow.set_tracking_uri(live_server.url)

    def use(person):
        if person is None:
            monkeypatch.delenv("MLFLOW_TRACKING_TOKEN", raising=False)
        else:
            monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", keys[person])
        return mlflow.MlflowClient(tracking_uri=live_server.url)

    yield SimpleNamespace(url=live_server.url, people=people, team=team, org=org, keys=keys, project=project, use=use, bot=bot)
    while mlflow.active_run():
        mlflow.end_run()
    mlflow.set_tracking_uri(None) if hasattr(mlflow, "set_tracking_uri") else None


def teamsite_get(site, path, person="ada"):
    """teamsite's own JSON API, to check what MLflow logged."""
    request = urllib.request.Request(f"{site.url}/api/v1{path}", headers={"Authorization": f"Bearer {site.keys[person]}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def raw(site, method, path, body=None, person="ada", headers=None):
    """An MLflow-path request by hand: (status, JSON)."""
    data = json.dumps(body).encode() if body is not None else None
    sent = {"Content-Type": "application/json", **(headers or {})}
    if person:
        sent["Authorization"] = f"Bearer {site.keys[person]}"
    request = urllib.request.Request(f"{site.url}{path}", data=data, method=method, headers=sent)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")
