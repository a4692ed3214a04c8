"""Background work: ingestion with 10 alert rules on the project against none (the check is queued for the
worker, not run in the request), the worker's check itself, and export/import of a team with 1M points."""

import os
import resource
import tempfile
import time

ROWS_PER_BATCH = 1000


def _columns(start, count):
    steps = list(range(start, start + count))
    return {"columns": {"step": steps, "values": {"loss": [1.0 / (s + 1) for s in steps], "acc": [s * 1e-6 for s in steps]}}}


def _peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(median_ms):
    import json

    from django.test import Client, override_settings

    from experiments import events, services as experiments
    from experiments.models import Run
    from teams import services
    from teams.policy import SYSTEM
    from tests import factories
    from transfer.archive import export_team, import_team

    rows = []
    admin = factories.user(username="bg-bench")
    org = services.organization_create(actor=SYSTEM, slug="bg-bench", name="Bench", admin=admin)
    team = services.team_create(actor=SYSTEM, organization=org, slug="bg-bench", name="Bench", admin=admin)
    plain = experiments.project_create(actor=admin, team=team, name="plain")
    ruled = experiments.project_create(actor=admin, team=team, name="ruled")
    for n in range(10):
        metric = "loss" if n % 2 else "acc"
        if n < 5:
            experiments.alert_rule_create(actor=admin, project=ruled, name=f"t{n}", metric=metric, kind="threshold", op=">", value=1e9, window=10, aggregate="mean")
        else:
            experiments.alert_rule_create(actor=admin, project=ruled, name=f"c{n}", metric=metric, kind="change", direction="any", amount=1e9, window=10, baseline_window=50)
    key = factories.api_key(admin)
    client = Client(headers={"Authorization": f"Bearer {key}"})
    runs = {name: experiments.run_create(actor=admin, project=project, run_id="r") for name, project in (("plain", plain), ("ruled", ruled))}
    steps = {"plain": 0, "ruled": 0}

    def ingest(name):
        def call():
            body = json.dumps(_columns(steps[name], ROWS_PER_BATCH))
            steps[name] += ROWS_PER_BATCH
            response = client.post(f"/api/v1/teams/bg-bench/projects/{name}/runs/r/history", body, content_type="application/json")
            assert response.status_code == 200, response.content
        return call

    # the site's own queue (database backend): the request writes a task row, the worker checks the rules
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}):
        plain_ms, _ = median_ms(ingest("plain"), repeat=60, warmup=5)
        ruled_ms, _ = median_ms(ingest("ruled"), repeat=60, warmup=5)
        plain_ms2, _ = median_ms(ingest("plain"), repeat=60, warmup=0)
    base = min(plain_ms, plain_ms2)
    rows.append(("ingest 1,000 rows x 2 metrics, no rules", f"{base:.2f} ms median", f"{2 * ROWS_PER_BATCH / base:.0f}k points/s", ""))
    rows.append(("same, 10 alert rules on the project", f"{ruled_ms:.2f} ms median", f"{(ruled_ms / base - 1) * 100:+.1f}%", "within 10%"))
    check_ms, _ = median_ms(lambda: events.rules_check(runs["ruled"].pk), repeat=50, warmup=5)
    rows.append(("the worker's check of 10 rules (one batch)", f"{check_ms:.2f} ms median", "reads only the tail blocks", ""))

    total = 100_000 if os.environ.get("BENCH_QUICK") else 1_000_000
    big = experiments.run_create(actor=admin, project=plain, run_id="big")
    for start in range(0, total // 2, 5000):
        experiments.history_append(actor=admin, run=big, columns=_columns(start, 5000)["columns"])
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "team.zip")
        before = _peak_mb()
        started = time.perf_counter()
        export_team(team, path)
        exported = time.perf_counter() - started
        export_peak = _peak_mb() - before
        size = os.path.getsize(path) / 1e6
        before = _peak_mb()
        started = time.perf_counter()
        copy = import_team(path, organization=org, slug="bg-copy")
        imported = time.perf_counter() - started
        import_peak = _peak_mb() - before
    assert Run.objects.filter(project__team=copy).count() == 3
    label = f"{total // 1000}k" if total < 1_000_000 else "1M"
    rows.append((f"export a team with {label} history points", f"{exported:.2f} s", f"{size:.1f} MB zip, peak RSS +{export_peak:.0f} MB", ""))
    rows.append((f"import it (one transaction)", f"{imported:.2f} s", f"peak RSS +{import_peak:.0f} MB", ""))
    return rows
