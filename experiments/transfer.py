"""The experiments app's part of a team export: projects (access lists, watchers, alert rules), runs with
config, summary, every history and system-metrics point (Parquet with pyarrow, else CSV), logs, files,
alerts and the batch ids already applied."""

from __future__ import annotations

import csv
import io
import math
import tempfile
from array import array

from django.core.files.base import File

from core import hooks
from core.transfer import ImportProblem, Part, parse_when, plain, restore
from teams import policy
from teams import storage as team_storage

from . import history
from .models import AlertRule, HistoryBatch, LogLine, MetricChunk, MetricSeries, Project, ProjectWatch, Run, RunAlert, RunFile

try:
    import pyarrow as pa
    import pyarrow.parquet as pq
except ImportError:  # pragma: no cover - exercised by forcing CSV in the tests
    pa = pq = None

PROJECT_FIELDS = ("name", "description", "visibility", "created_at", "panels")
RUN_FIELDS = ("run_id", "name", "state", "config", "summary", "pinned_summary_keys", "tags", "notes", "group", "job_type", "host",
              "created_at", "heartbeat_at", "finished_at", "stop_requested")
RULE_FIELDS = ("name", "metric", "kind", "level", "enabled", "op", "value", "aggregate", "direction", "amount", "relative", "window",
               "baseline_window", "created_at")
ALERT_FIELDS = ("title", "text", "level", "sent", "created_at", "values")
POINTS_PER_BATCH = 65_536


def parquet_available() -> bool:
    return pq is not None


# --- export -----------------------------------------------------------------------------


def _points(run):
    """(kind, key, flat step/ts/value array) for every series of the run, block by block."""
    for series in MetricSeries.objects.filter(run=run).order_by("kind", "key"):
        blocks = MetricChunk.objects.filter(series=series, level=0).order_by("seq").values_list("data", flat=True)
        for blob in blocks.iterator(chunk_size=50):
            yield series.kind, series.key, history.unpack(blob)


def _write_points(out, base, run, use_parquet):
    if use_parquet:
        schema = pa.schema([("kind", pa.string()), ("key", pa.string()), ("step", pa.float64()), ("ts", pa.float64()), ("value", pa.float64())])
        with tempfile.NamedTemporaryFile(suffix=".parquet") as tmp:
            writer = pq.ParquetWriter(tmp.name, schema, compression="zstd")
            for kind, key, flat in _points(run):
                n = len(flat) // 3
                writer.write_table(pa.table([[kind] * n, [key] * n, list(flat[0::3]), list(flat[1::3]), list(flat[2::3])], schema=schema))
            writer.close()
            out.path(f"{base}/points.parquet", tmp.name)
        return
    with out.open(f"{base}/points.csv") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        lines = csv.writer(text, lineterminator="\n")
        lines.writerow(["kind", "key", "step", "ts", "value"])
        for kind, key, flat in _points(run):
            lines.writerows((kind, key, repr(flat[i]), repr(flat[i + 1]), repr(flat[i + 2])) for i in range(0, len(flat), 3))
        text.flush()
        text.detach()


def _dump(team, out):
    projects = Project.objects.filter(team=team).order_by("pk")
    rows = []
    for project in projects:
        rows.append({**plain(project, PROJECT_FIELDS), "id": out.ref("project", project.pk), "created_by": out.user(project.created_by),
                     "access_list": [out.user(u) for u in sorted(policy.access_list(project), key=lambda u: u.pk)],
                     "watchers": [out.user(w.user) for w in ProjectWatch.objects.filter(project=project).select_related("user").order_by("pk")]})
    out.rows("projects", rows)
    rules = AlertRule.objects.filter(project__team=team).order_by("pk")
    out.rows("alert_rules", [{**plain(r, RULE_FIELDS), "id": out.ref("rule", r.pk), "project": out.ref("project", r.project_id),
                              "created_by": out.user(r.created_by)} for r in rules])
    use_parquet = out.parquet
    runs = Run.objects.filter(project__team=team).select_related("created_by", "logged_by").order_by("pk")
    run_rows = []
    for run in runs.iterator(chunk_size=200):
        local = out.ref("run", run.pk)
        base = f"runs/{local}"
        series = [{"kind": s.kind, "key": s.key, "count": s.count} for s in MetricSeries.objects.filter(run=run).order_by("kind", "key")]
        files = [{"path": f.path, "size": f.size, "sha256": f.sha256, "created_at": f.created_at.isoformat()} for f in RunFile.objects.filter(run=run).order_by("path")]
        run_rows.append({**plain(run, RUN_FIELDS), "id": local, "project": out.ref("project", run.project_id), "created_by": out.user(run.created_by),
                         "logged_by": out.user(run.logged_by), "series": series, "files": files,
                         "batches": [[b.kind, b.batch_id, b.accepted, b.created_at.isoformat()] for b in HistoryBatch.objects.filter(run=run).order_by("pk")]})
        if series:
            _write_points(out, base, run, use_parquet)
        out.rows(f"{base}/logs", ({"offset": o, "text": t} for o, t in LogLine.objects.filter(run=run).order_by("offset").values_list("offset", "text")))
        for record in RunFile.objects.filter(run=run).order_by("path"):
            with team_storage.open_stream(record.storage, record.file.name) as handle:  # the team's bucket or the media folder
                out.file(f"{base}/files/{record.path}", handle)
        out.rows(f"{base}/alerts", ({**plain(a, ALERT_FIELDS), "rule": out.ref("rule", a.rule_id) if a.rule_id else None}
                                    for a in RunAlert.objects.filter(run=run).order_by("pk")))
    out.rows("runs", run_rows)


# --- import -----------------------------------------------------------------------------


def _read_points(inp, base):
    """{(kind, key): flat array} from the run's points file."""
    grouped: dict[tuple, array] = {}
    if inp.has(f"{base}/points.parquet"):
        if pq is None:
            raise ImportProblem(f"{base}/points.parquet needs pyarrow to be read: pip install pyarrow.")
        table = pq.ParquetFile(io.BytesIO(inp.content(f"{base}/points.parquet").read()))
        batches = ((b.column(0).to_pylist(), b.column(1).to_pylist(), b.column(2).to_pylist(), b.column(3).to_pylist(), b.column(4).to_pylist())
                   for b in table.iter_batches(batch_size=POINTS_PER_BATCH))
        for kinds, keys, steps, stamps, values in batches:
            for kind, key, step, ts, value in zip(kinds, keys, steps, stamps, values):
                target = grouped.get((kind, key))
                if target is None:
                    target = grouped[(kind, key)] = array("d")
                target.extend((step, ts, value))
    elif inp.has(f"{base}/points.csv"):
        reader = csv.reader(io.TextIOWrapper(inp.content(f"{base}/points.csv"), encoding="utf-8", newline=""))
        if next(reader, None) != ["kind", "key", "step", "ts", "value"]:
            raise ImportProblem(f"{base}/points.csv must start with the header kind,key,step,ts,value.")
        for row in reader:
            grouped.setdefault((row[0], row[1]), array("d")).extend((float(row[2]), float(row[3]), float(row[4])))
    return grouped


def _store_series(run, kind, key, flat):
    series = MetricSeries.objects.create(run=run, kind=kind, key=key)
    count, windows = history.append(0, {}, flat)
    chunks = [MetricChunk(series=series, level=level, seq=seq, n=n, data=history.pack(part))
              for level, (start, entries) in windows.items() for seq, n, part in history.split_blocks(level, start, entries)]
    MetricChunk.objects.bulk_create(chunks, batch_size=500)
    last = flat[-1] if flat and math.isfinite(flat[-1]) else None
    MetricSeries.objects.filter(pk=series.pk).update(count=count, last_step=flat[-3] if flat else None, last_value=last)


def _load(team, inp):
    for row in inp.rows("projects"):
        project = restore(Project, row, PROJECT_FIELDS, team=team, created_by=inp.user(row["created_by"]))
        project.save()
        inp.remember("project", row["id"], project)
        if project.created_by:
            policy.grant_project_creator(project.created_by, project)
        for ref in row["access_list"]:
            policy.access_list_add(project, inp.user(ref))
        ProjectWatch.objects.bulk_create([ProjectWatch(project=project, user=inp.user(ref)) for ref in row["watchers"]])
    for row in inp.rows("alert_rules"):
        rule = restore(AlertRule, row, RULE_FIELDS, project=inp.get("project", row["project"]), created_by=inp.user(row["created_by"]))
        rule.save()
        inp.remember("rule", row["id"], rule)
    for row in inp.rows("runs"):
        run = restore(Run, row, RUN_FIELDS, project=inp.get("project", row["project"]), created_by=inp.user(row["created_by"]),
                      logged_by=inp.user(row["logged_by"]))
        run.save()
        inp.remember("run", row["id"], run)
        if run.created_by:
            policy.grant_owner(run.created_by, run)
        base = f"runs/{row['id']}"
        points = _read_points(inp, base)
        for series in row["series"]:
            flat = points.get((series["kind"], series["key"]), array("d"))
            if len(flat) // 3 != series["count"]:
                raise ImportProblem(f"Run {run.run_id}: {series['key']} should have {series['count']} points, the archive holds {len(flat) // 3}.")
            _store_series(run, series["kind"], series["key"], flat)
        HistoryBatch.objects.bulk_create([HistoryBatch(run=run, kind=k, batch_id=b, accepted=n, created_at=parse_when(at)) for k, b, n, at in row["batches"]])
        LogLine.objects.bulk_create((LogLine(run=run, offset=line["offset"], text=line["text"]) for line in inp.rows(f"{base}/logs")), batch_size=2000)
        for info in row["files"]:
            record = RunFile(run=run, path=info["path"], size=info["size"], sha256=info["sha256"], created_at=parse_when(info["created_at"]))
            record.file.save(info["path"], File(inp.content(f"{base}/files/{info['path']}")), save=False)
            record.save()
        alerts = [restore(RunAlert, a, ALERT_FIELDS, run=run, rule=inp.get("rule", a["rule"]) if a["rule"] else None) for a in inp.rows(f"{base}/alerts")]
        RunAlert.objects.bulk_create(alerts)


hooks.register("export.parts", Part("experiments", 20, _dump, _load))
