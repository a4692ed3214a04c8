"""Experiments: ingestion through HTTP against raw SQLite, single log calls,
chart reads at 10k / 1M / 10M points, the runs table at 10 and 10,000 runs.

Ingestion and log calls go through a real gunicorn server on loopback with one
keep-alive client, as a training script would; chart reads and the runs table
are timed in-process through the whole Django stack.
"""

import http.client
import json
import math
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from teamsite_client.sender import columns  # the column form exactly as the client sends it

ROOT = Path(__file__).resolve().parent.parent


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server(port):
    env = dict(os.environ)
    env.update(
        DEBUG="0",
        SECRET_KEY="bench-" + "x" * 50,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        LOG_LEVEL="WARNING",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "teamsite.wsgi", "-b", f"127.0.0.1:{port}", "-k", "gthread",
         "--threads", "2", "--workers", "1", "--keep-alive", "30", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("gunicorn did not start")


def _rows(start, count, keys=("loss", "acc")):
    per_key = count // len(keys)
    return [
        {"step": start + i, "ts": 1_700_000_000.0 + start + i, "values": {k: math.sin((start + i) / 50) + n for n, k in enumerate(keys)}}
        for i in range(per_key)
    ]


def _raw_sqlite_rate(batches):
    """Raw sqlite3.executemany of the same (run, key, step, ts, value) rows, one commit per batch."""
    path = Path(tempfile.mkdtemp()) / "raw.sqlite3"
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE points (run INTEGER, key TEXT, step INTEGER, ts REAL, value REAL)")
    prepared = [[(1, key, row["step"], row["ts"], value) for row in batch for key, value in row["values"].items()] for batch in batches]
    start = time.perf_counter()
    for rows in prepared:
        db.executemany("INSERT INTO points VALUES (?, ?, ?, ?, ?)", rows)
        db.commit()
    elapsed = time.perf_counter() - start
    db.close()
    return sum(len(rows) for rows in prepared) / elapsed


def run(median_ms):
    from teams.policy import SYSTEM
    from accounts.services import api_key_create, user_create
    from experiments import services
    from experiments.models import Run
    from teams import services as team_services

    owner = user_create(username="bench-owner", email="owner@example.com", password="a-long-bench-secret-1")
    org = team_services.organization_create(actor=SYSTEM, slug="bench-org", name="Bench", admin=owner)
    team = team_services.team_create(actor=SYSTEM, organization=org, slug="bench", name="Bench", admin=owner)
    key = api_key_create(actor=owner, name="bench").key
    project = services.project_create(actor=owner, team=team, name="ingest")
    rows_out = []

    # -- ingestion through HTTP, next to raw SQLite ------------------------------------------
    run_http = services.run_create(project=project, actor=owner, name="http")
    batches = [_rows(n * 500, 1000) for n in range(100)]
    bodies = [json.dumps({"rows": batch, "batch_id": f"b{n}"}) for n, batch in enumerate(batches)]
    port = _free_port()
    server = _server(port)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port)
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json", "Connection": "keep-alive"}
        base = f"/api/v1/teams/bench/projects/ingest/runs/{run_http.run_id}"
        warm = services.run_create(project=project, actor=owner, name="warm-up")
        conn.request("POST", f"/api/v1/teams/bench/projects/ingest/runs/{warm.run_id}/history", body=bodies[0], headers=headers)
        conn.getresponse().read()  # the worker imports and connects before the clock starts
        def ingest(url, payloads):
            start = time.perf_counter()
            for body in payloads:
                conn.request("POST", url, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                assert response.status == 200, response.status
            return 100_000 / (time.perf_counter() - start)

        row_rate = ingest(base + "/history", bodies)
        run_columns = services.run_create(project=project, actor=owner, name="http-columns")
        column_bodies = [json.dumps({"columns": columns(batch), "batch_id": f"c{n}"}) for n, batch in enumerate(batches)]
        column_rate = ingest(f"/api/v1/teams/bench/projects/ingest/runs/{run_columns.run_id}/history", column_bodies)
        raw_rate = _raw_sqlite_rate(batches)
        rows_out.append(("ingest via HTTP, rows form (100 x 1,000 points)", f"{row_rate:,.0f} points/s", f"{100 * row_rate / raw_rate:.0f}% of raw sqlite3 ({raw_rate:,.0f}/s)", ">= 25% of raw"))
        rows_out.append(("ingest via HTTP, column form (the client's)", f"{column_rate:,.0f} points/s", f"{100 * column_rate / raw_rate:.0f}% of raw sqlite3", ">= 25% of raw"))

        single = services.run_create(project=project, actor=owner, name="single")
        url = f"/api/v1/teams/bench/projects/ingest/runs/{single.run_id}/history"
        step = [0]

        def log_one():
            step[0] += 1
            conn.request("POST", url, body=json.dumps({"rows": [{"step": step[0], "values": {"loss": 0.5}}]}), headers=headers)
            response = conn.getresponse()
            response.read()

        median, p95 = median_ms(log_one, repeat=300)
        rows_out.append(("single-row log call via HTTP", f"{median:.2f} ms median", f"p95 {p95:.2f} ms", "<= 5 ms"))
        conn.close()
    finally:
        server.terminate()
        server.wait(10)

    # -- chart reads ----------------------------------------------------------------------------
    client = Client(headers={"Authorization": f"Bearer {key}"})
    reads = {}
    sizes = [10_000, 1_000_000, 10_000_000] if not os.environ.get("BENCH_QUICK") else [10_000, 100_000]
    for size in sizes:
        chart_run = services.run_create(project=project, actor=owner, name=f"chart-{size}")
        written = 0
        while written < size:
            count = min(10_000, size - written)
            batch = [{"step": written + i, "ts": 1.7e9 + written + i, "values": {"loss": math.sin((written + i) / 1000) + ((written + i) % 9973 == 0) * 5}} for i in range(count)]
            services.history_append(actor=SYSTEM, run=chart_run, rows=batch)
            written += count
        url = f"/api/v1/teams/bench/projects/ingest/runs/{chart_run.run_id}/history?keys=loss&samples=1000"

        def read():
            response = client.get(url)
            assert response.status_code == 200

        reads[size] = median_ms(read, repeat=30, warmup=3)
        rows_out.append((f"chart read samples=1000 at {size:,} points", f"{reads[size][0]:.2f} ms median", f"p95 {reads[size][1]:.2f} ms", "10M <= 2x 10k"))
    ratio = reads[sizes[-1]][0] / reads[sizes[0]][0]
    rows_out.append((f"chart read cost {sizes[-1]:,} / {sizes[0]:,}", f"{ratio:.2f}x", "", "<= 2x"))

    # -- one 100k-point history, every point (MLflow: 4.1 s, 12.6 MB) -------------------------
    full = services.run_create(project=project, actor=owner, name="full-100k")
    for offset in range(0, 100_000, 10_000):
        services.history_append(actor=SYSTEM, run=full, rows=[{"step": offset + i, "values": {"loss": float(i)}} for i in range(10_000)])
    full_url = f"/api/v1/teams/bench/projects/ingest/runs/{full.run_id}/history?keys=loss&samples=0"
    def read_all():
        response = client.get(full_url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert response.status_code == 200 and len(json.loads(body)["series"]["loss"]["values"]) == 100_000
        return len(body)

    read_all()  # warm
    start = time.perf_counter()
    read_all()
    elapsed = time.perf_counter() - start
    tracemalloc.start()  # timed apart: tracing slows Python down several times
    read_all()
    peak = tracemalloc.get_traced_memory()[1]  # includes the test's own copy of the whole body
    tracemalloc.stop()
    rows_out.append(("read one 100k-point history (samples=0)", f"{elapsed * 1000:.0f} ms", f"peak {peak / 1e6:.1f} MB", "MLflow 4.1 s / 12.6 MB"))

    # -- runs table --------------------------------------------------------------------------------
    browser = Client()
    browser.force_login(owner)
    counts = {}
    for size in (10, 10_000):
        table = services.project_create(actor=owner, team=team, name=f"table-{size}")
        Run.objects.bulk_create(
            [Run(project=table, run_id=f"r{i:06d}", name=f"run {i}", created_by=owner, logged_by=owner, config={"lr": i / 1e4}, summary={"acc": (i % 97) / 97}) for i in range(size)],
            batch_size=2000,
        )
        url = f"/bench/table-{size}/?order=-summary.acc"
        browser.get(url)  # the first visit makes the person's workspace and warms the process's caches: count the next
        with CaptureQueriesContext(connection) as queries:
            browser.get(url)
        counts[size] = len(queries.captured_queries)

        def table_page():
            assert browser.get(url).status_code == 200

        median, p95 = median_ms(table_page, repeat=20, warmup=2)
        rows_out.append((f"runs table page, {size:,} runs (sorted by summary.acc)", f"{median:.1f} ms median", f"{counts[size]} SQL queries", "same query count"))
    assert settings.DEBUG is False
    return rows_out
