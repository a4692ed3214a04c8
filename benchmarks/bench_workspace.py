"""The workspace at size (issue 13): 50 runs x 20 metrics x 100k points each, and 5 runs.

Server time for the page plus every panel's data, as the browser asks for it:
one bulk history request per panel (charts.js: 5,000 points per panel shared by
its runs, at most 1,000 and at least 100 per run), gzipped as the browser accepts.
The series are stored as the ingest path stores them (packed blocks and the
min/max pyramid), built once and copied to every series so set-up stays quick.
"""

import time

POINTS = 100_000
METRICS = 20
BUDGET = 5000


def _blocks():
    """The stored blocks of one 100k-point series: [(level, seq, n, bytes)]."""
    import math
    from array import array

    from experiments import history

    flat = array("d")
    for i in range(POINTS):
        flat.extend((float(i), 1_700_000_000.0 + i, 1e-4 + 9e-4 * math.exp(-i / 20_000) + 1e-5 * math.sin(i)))
    count, windows = history.append(0, {}, flat)
    assert count == POINTS
    return [(level, seq, n, history.pack(part)) for level, (start, entries) in windows.items() for seq, n, part in history.split_blocks(level, start, entries)]


def _project(team, owner, name, runs, blocks):
    from experiments import services
    from experiments.models import MetricChunk, MetricSeries, Run

    project = services.project_create(team=team, name=name, actor=owner)
    made = Run.objects.bulk_create(
        [Run(project=project, run_id=f"{name}-{n:03d}", name=f"run {n}", created_by=owner, logged_by=owner, config={"lr": 1e-4 * (n + 1)}, summary={"acc": n / runs}) for n in range(runs)]
    )
    series = MetricSeries.objects.bulk_create(
        [MetricSeries(run=run, kind="history", key=f"metric_{k:02d}", count=POINTS, last_step=POINTS - 1, last_value=0.0) for run in made for k in range(METRICS)],
        batch_size=1000,
    )
    for start in range(0, len(series), 50):
        MetricChunk.objects.bulk_create(
            [MetricChunk(series=s, level=level, seq=seq, n=n, data=data) for s in series[start : start + 50] for level, seq, n, data in blocks],
            batch_size=500,
        )
    return project, [run.run_id for run in made]


def _workspace(client, project, run_ids, charted):
    """One workspace load: the page, then one bulk request per panel for the charted runs -> (seconds, bytes)."""
    import re

    start = time.perf_counter()
    page = client.get(f"/bench/{project.name}/")
    assert page.status_code == 200
    sent = len(page.content)
    panels = re.findall(r'data-keys="([^"]+)"', page.content.decode())
    assert len(panels) == METRICS, len(panels)
    runs = run_ids[:charted]
    samples = max(100, min(1000, BUDGET // len(runs)))
    for keys in panels:
        url = f"/api/v1/teams/bench/projects/{project.name}/history?kind=history&samples={samples}&runs={','.join(runs)}&keys={keys}"
        response = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
        assert response.status_code == 200
        sent += len(response.content)
    return time.perf_counter() - start, sent


def run(median_ms):
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.services import user_create
    from teams import services as team_services
    from teams.models import Team
    from teams.policy import SYSTEM

    owner = user_create(username="ws-owner", email="ws-owner@example.com", password="a-long-bench-secret-1")
    team = Team.objects.filter(slug="bench").first()
    if team is None:
        org = team_services.organization_create(actor=SYSTEM, slug="ws-org", name="WS", admin=owner)
        team = team_services.team_create(actor=SYSTEM, organization=org, slug="bench", name="Bench", admin=owner)
    else:
        team_services.org_member_set(actor=SYSTEM, organization=team.organization, user=owner, role="member")
        team_services.member_add(actor=SYSTEM, team=team, user=owner, role="member")
    blocks = _blocks()
    client = Client()
    client.force_login(owner)
    rows = []
    for runs, charted in ((50, 10), (50, 50), (5, 5)):
        name = f"ws-{runs}"
        from experiments.models import Project

        project = Project.objects.filter(team=team, name=name).first()
        if project is None:
            project, run_ids = _project(team, owner, name, runs, blocks)
        else:
            run_ids = list(project.runs.order_by("-created_at", "-id").values_list("run_id", flat=True))
        _workspace(client, project, run_ids, charted)  # warm
        times = []
        for _ in range(5):
            elapsed, sent = _workspace(client, project, run_ids, charted)
            times.append(elapsed)
        times.sort()
        with CaptureQueriesContext(connection) as queries:
            _workspace(client, project, run_ids, charted)
        rows.append((
            f"workspace {runs} runs x {METRICS} metrics x 100k points, {charted} charted: page + {METRICS} panels",
            f"{times[len(times) // 2] * 1000:.0f} ms",
            f"{sent / 1e6:.2f} MB sent (gzip), {len(queries.captured_queries)} SQL queries",
            "< 1 s, < 2 MB",
        ))
    return rows
