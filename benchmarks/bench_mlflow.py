"""MLflow's own client logging into teamsite, next to MLflow's own tracking server on this machine.

The real client (mlflow-skinny, a test dependency) sends the same calls to both: log_batch of
1,000 metrics a call, and get_metric_history of one 100k-point metric (the client pages it by
25,000). teamsite runs under gunicorn on SQLite; MLflow's server (full `mlflow`, installed only in
`.bench-venv/`, never in teamsite's environment) on SQLite too. When `.bench-venv` cannot be made
(no network to the package index), the MLflow column says so and only teamsite is measured.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .bench_experiments import _free_port, _server

ROOT = Path(__file__).resolve().parent.parent
BENCH_VENV = ROOT / ".bench-venv"
MLFLOW_VERSION = "3.17.2"  # the release spec/mlflow.md was measured against
BATCHES, BATCH = 30, 1000
HISTORY_POINTS = 100_000


def _mlflow_server():
    """(process, url) of MLflow's own server, or (None, reason)."""
    python = BENCH_VENV / "bin" / "python"
    if not python.exists():
        made = subprocess.run([sys.executable, "-m", "venv", str(BENCH_VENV)], capture_output=True)
        if made.returncode:
            return None, "could not create .bench-venv"
    check = subprocess.run([str(python), "-c", "import mlflow.server"], capture_output=True)
    if check.returncode:
        install = subprocess.run([str(python), "-m", "pip", "install", "-q", f"mlflow=={MLFLOW_VERSION}"], capture_output=True, timeout=900)
        if install.returncode:
            return None, "full mlflow not installable here (pip failed)"
    port = _free_port()
    workdir = Path(tempfile.mkdtemp(prefix="mlflow-bench-"))
    process = subprocess.Popen(
        [str(BENCH_VENV / "bin" / "mlflow"), "server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
         "--backend-store-uri", f"sqlite:///{workdir / 'mlflow.db'}", "--default-artifact-root", str(workdir / "artifacts")],
        cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    import urllib.request

    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1):
                return process, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.5)
    process.kill()
    return None, "MLflow's server did not start"


def _measure(url, experiment_name, token=None):
    """(log_batch points/s, seconds for a 100k-point get_metric_history) with the real client."""
    import mlflow
    from mlflow.entities import Metric

    if token:
        os.environ["MLFLOW_TRACKING_TOKEN"] = token
    else:
        os.environ.pop("MLFLOW_TRACKING_TOKEN", None)
    client = mlflow.MlflowClient(tracking_uri=url)
    found = client.get_experiment_by_name(experiment_name)
    experiment_id = found.experiment_id if found else client.create_experiment(experiment_name)
    run_id = client.create_run(experiment_id).info.run_id
    now = int(time.time() * 1000)
    batches = [[Metric("loss", 1.0 / (i + 1), now + i, i) for i in range(n * BATCH, (n + 1) * BATCH)] for n in range(BATCHES)]
    client.log_batch(run_id, metrics=batches[0])  # warm-up
    start = time.perf_counter()
    for batch in batches[1:]:
        client.log_batch(run_id, metrics=batch)
    rate = (BATCHES - 1) * BATCH / (time.perf_counter() - start)
    long_run = client.create_run(experiment_id).info.run_id
    for n in range(HISTORY_POINTS // BATCH):
        client.log_batch(long_run, metrics=[Metric("loss", float(i), now + i, i) for i in range(n * BATCH, (n + 1) * BATCH)])
    start = time.perf_counter()
    history = client.get_metric_history(long_run, "loss")
    seconds = time.perf_counter() - start
    assert len(history) == HISTORY_POINTS, len(history)
    return rate, seconds, _raw_history_seconds(url, long_run, token)


def _raw_history_seconds(url, run_id, token):
    """The same pages the client asks for (max_results=25000, page_token), read as bytes:
    the servers' share of get_metric_history, without the client's own parsing."""
    import json
    import urllib.parse
    import urllib.request

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    start, token_, points = time.perf_counter(), None, 0
    while True:
        query = {"run_id": run_id, "metric_key": "loss", "max_results": 25000, **({"page_token": token_} if token_ else {})}
        request = urllib.request.Request(f"{url}/api/2.0/mlflow/metrics/get-history?{urllib.parse.urlencode(query)}", headers=headers)
        with urllib.request.urlopen(request, timeout=120) as response:
            body = json.loads(response.read())
        points += len(body.get("metrics", []))
        token_ = body.get("next_page_token")
        if not token_:
            break
    assert points == HISTORY_POINTS, points
    return time.perf_counter() - start


def run(median_ms):
    try:
        import mlflow  # noqa: F401
    except ImportError:
        return [("MLflow client -> teamsite", "skipped", "mlflow-skinny is not installed (pip install -e .[dev])", "")]
    from accounts.services import api_key_create, user_create
    from experiments import services
    from teams import services as team_services
    from teams.policy import SYSTEM

    owner = user_create(username="mlflow-bench", email="mlflow-bench@example.com", password="a-long-bench-secret-1")
    org = team_services.organization_create(actor=SYSTEM, slug="mlf-org", name="MLflow bench", admin=owner)
    team = team_services.team_create(actor=SYSTEM, organization=org, slug="mlf", name="MLflow bench", admin=owner)
    services.project_create(actor=owner, team=team, name="bench")
    key = api_key_create(actor=owner, name="mlflow-bench").key
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    port = _free_port()
    server = _server(port)
    try:
        ours_rate, ours_history, ours_raw = _measure(f"http://127.0.0.1:{port}", "mlf/bench", token=key)
    finally:
        server.terminate()
        server.wait(10)
    theirs, where = _mlflow_server()
    if theirs is None:
        return [
            ("MLflow log_batch into teamsite", f"{ours_rate:,.0f} points/s", f"MLflow's server: {where}", "at least MLflow's own"),
            ("MLflow get_metric_history, 100k points", f"{ours_history:.2f} s from teamsite", f"MLflow's server: {where}", "10x faster than MLflow"),
            ("  the same pages over HTTP", f"{ours_raw:.2f} s from teamsite", f"MLflow's server: {where}", "10x faster than MLflow"),
        ]
    try:
        their_rate, their_history, their_raw = _measure(where, "bench")
    finally:
        theirs.terminate()
        theirs.wait(10)
    return [
        ("MLflow log_batch, 1,000 metrics a call", f"teamsite {ours_rate:,.0f} points/s",
         f"MLflow {MLFLOW_VERSION} server {their_rate:,.0f} points/s ({ours_rate / their_rate:.1f}x)", "at least MLflow's own"),
        ("MLflow get_metric_history, 100k points", f"teamsite {ours_history:.2f} s",
         f"MLflow server {their_history:.2f} s ({their_history / ours_history:.1f}x; the client's parsing is in both)", "10x faster than MLflow"),
        ("  the same 4 pages over HTTP (server share)", f"teamsite {ours_raw:.2f} s",
         f"MLflow server {their_raw:.2f} s ({their_raw / ours_raw:.1f}x faster)", "10x faster than MLflow"),
    ]
