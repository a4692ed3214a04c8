"""History at scale (`BENCH_SCALE=1 make bench`, PostgreSQL): ingestion and chart reads with 100M points stored.

The points table is built with COPY: one series of 100k points is cut into its
stored blocks once (raw level and min/max pyramid), then copied for 1,000 series
(BENCH_SCALE_SERIES), so the table holds 100M points as the site would store them.
Ingestion (1,000-point batches through the service) and chart reads
(samples=1000) are timed on an almost empty table and again on the full one:
every read and write finds its series' blocks through the (series, level, seq)
index, so neither should grow with the table.
"""

import math
import os
import random
import statistics
import time
from array import array


def _template(points):
    from experiments import history

    flat = array("d")
    for i in range(points):
        flat.extend((float(i), 1.7e9 + i, math.exp(-i / 30_000) + 0.01 * math.sin(i / 7)))
    count, windows = history.append(0, {}, flat)
    blocks = [(level, seq, n, history.pack(part)) for level, (start, entries) in windows.items() for seq, n, part in history.split_blocks(level, start, entries)]
    return count, blocks


def _measure(owner, project, run_create, history_append, history_read, runs_to_read, label):
    rows = []
    fresh = run_create(actor=owner, project=project, name=f"ingest-{label}")
    timings = []
    for batch in range(30):
        data = [{"step": batch * 1000 + i, "values": {"loss": 1.0 / (batch * 1000 + i + 1)}} for i in range(1000)]
        start = time.perf_counter()
        history_append(actor=owner, run=fresh, rows=data)
        timings.append(time.perf_counter() - start)
    rows.append((f"ingest 1,000 points ({label})", f"{1000 / statistics.median(timings):,.0f} points/s", f"median of 30 batches", "flat"))
    for run in runs_to_read:  # a first pass brings their blocks into the cache, as a page's first view does
        history_read(run, keys=["loss"], samples=1000)
    reads = []
    for run in runs_to_read:
        start = time.perf_counter()
        history_read(run, keys=["loss"], samples=1000)
        reads.append(time.perf_counter() - start)
    rows.append((f"chart read samples=1000 ({label})", f"{statistics.median(reads) * 1000:.1f} ms median", f"p95 {sorted(reads)[int(len(reads) * .95)] * 1000:.1f} ms", "flat"))
    return rows


def run(median_ms):
    from django.db import connection

    if not os.environ.get("BENCH_SCALE"):
        return []
    if connection.vendor != "postgresql":
        return [("history at 100M points", "skipped", "needs DATABASE_URL=postgres://...", "")]
    from accounts.services import user_create
    from experiments.models import MetricSeries, Run
    from experiments.selectors import history_read
    from experiments.services import history_append, project_create, run_create
    from teams import services as team_services
    from teams.policy import SYSTEM

    owner = user_create(username="scale-owner", email="scale@example.com", password="a-long-bench-secret-1")
    org = team_services.organization_create(actor=SYSTEM, slug="scale-org", name="Scale")
    team = team_services.team_create(actor=SYSTEM, organization=org, slug="scale", name="Scale", admin=owner)
    project = project_create(actor=owner, team=team, name="scale")
    per_series = int(os.environ.get("BENCH_SCALE_POINTS", "100000"))
    series_count = int(os.environ.get("BENCH_SCALE_SERIES", "1000"))
    count, blocks = _template(per_series)

    def add_runs(n, prefix):
        runs = Run.objects.bulk_create([Run(project=project, run_id=f"{prefix}{i}", name=f"{prefix}{i}", created_by=owner, logged_by=owner) for i in range(n)])
        series = MetricSeries.objects.bulk_create([MetricSeries(run=r, kind="history", key="loss", count=count, last_step=count - 1) for r in runs])
        start = time.perf_counter()
        with connection.cursor() as cursor, cursor.copy("COPY experiments_metricchunk (series_id, level, seq, n, data) FROM STDIN") as copy:
            for s in series:
                for level, seq, n, data in blocks:
                    copy.write_row((s.pk, level, seq, n, data))
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE experiments_metricchunk")
        return runs, time.perf_counter() - start

    few, _ = add_runs(20, "small-")
    rows = _measure(owner, project, run_create, history_append, history_read, few, f"{20 * count / 1e6:.0f}M points stored")
    many, copy_seconds = add_runs(series_count, "big-")
    total = (series_count + 20) * count
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_total_relation_size('experiments_metricchunk')")
        size = cursor.fetchone()[0]
    rows.append((f"COPY {series_count * count / 1e6:,.0f}M points", f"{copy_seconds:.0f} s", f"table {size / 2**30:.1f} GiB", ""))
    rows += _measure(owner, project, run_create, history_append, history_read, random.sample(many, 20), f"{total / 1e6:,.0f}M points stored")
    return rows
