"""Reads for projects and runs, by audience."""

from __future__ import annotations

import json
import math
import re
from array import array
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage, default_storage

from django.db.models import Count, Max, Q
from django.http import FileResponse, Http404, HttpResponse
from django.utils.http import content_disposition_header

from teams import policy
from teams import roles, storage
from teams.models import Membership, Team

from . import history
from .models import LogLine, MetricChunk, MetricSeries, Project, Run, RunFile, SeriesKind


def projects_of(user, team, order="name"):
    """The team's projects `user` may see, with run counts and last activity (one query)."""
    visible = policy.visible(user, Project.objects.filter(team=team))
    annotated = visible.select_related("created_by", "team").annotate(run_count=Count("runs"), last_run_at=Max("runs__created_at"))
    return annotated.order_by(order, "-id") if order in ("name", "-created_at") else annotated.order_by("name")


def move_targets(user, run):
    """The projects of the run's team that `user` may move it into (may log to), in one query."""
    projects = Project.objects.filter(team_id=run.project.team_id).exclude(pk=run.project_id)
    return policy.permitted(user, "run:log", projects).order_by("name")


def access_list_candidates(project, listed):
    """Team members who could join a restricted project's access list (admins see it anyway)."""
    members = Membership.objects.filter(team_id=project.team_id).select_related("user").exclude(user__in=listed)
    return members.exclude(role__in=roles.ADMIN_ROLES, custom_role__isnull=True).order_by("user__username")


def project_by_name(team, name) -> Project | None:
    found = list(Project.objects.select_related("created_by").filter(team=team, name=name).order_by()[:1])
    if found:
        found[0].team = team
    return found[0] if found else None


def run_by_id(project, run_id) -> Run | None:
    found = list(Run.objects.select_related("created_by", "logged_by").filter(project=project, run_id=run_id)[:1])
    if found:
        found[0].project = project
    return found[0] if found else None


def run_by_id_or_name(project, name) -> Run | None:
    """A run named in a report's chart block: by its id, else the newest run of that name."""
    run = run_by_id(project, name)
    if run is None:
        found = list(Run.objects.select_related("created_by", "logged_by").filter(project=project, name=name).order_by("-created_at", "-id")[:1])
        run = found[0] if found else None
        if run is not None:
            run.project = project
    return run


def run_for_logging(team_slug, project_name, run_id) -> Run | None:
    """The run a client writes to, with its project and team (the logging hot path).

    Three raw single-row queries: cheaper than compiling one ORM join, which
    matters for an endpoint a training script calls many times a second.
    """
    teams = list(Team.objects.raw(f"SELECT * FROM {Team._meta.db_table} WHERE slug = %s", [team_slug]))
    if not teams:
        return None
    projects = list(
        Project.objects.raw(
            f"SELECT * FROM {Project._meta.db_table} WHERE team_id = %s AND name = %s AND deleted_at IS NULL", [teams[0].pk, project_name]
        )
    )
    if not projects:
        return None
    runs = list(Run.objects.raw(
            f"SELECT * FROM {Run._meta.db_table} WHERE project_id = %s AND run_id = %s AND deleted_at IS NULL", [projects[0].pk, run_id]
        ))
    if not runs:
        return None
    projects[0].team = teams[0]
    runs[0].project = projects[0]
    return runs[0]


CONFIG_KEY = re.compile(r"[A-Za-z0-9_.-]{1,100}")
NUMBER = r"^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$"
RUN_ORDERS = {"created_at", "-created_at", "name", "-name", "state", "-state"}


def runs_of(project, *, state=None, tag=None, group=None, q=None, config=None, order="-created_at"):
    """A project's runs, filtered as the runs table and the API offer.

    `config` is {key: value-as-text}; values compare as JSON text after a number
    or boolean is tried, so `config.lr=0.001` and `config.arch=resnet` both work.
    `order` is a run field or `summary.KEY` / `-summary.KEY` (or `config.KEY`).
    """
    runs = Run.objects.filter(project=project).select_related("created_by", "logged_by")
    if state:
        runs = runs.filter(state=state)
    if group:
        runs = runs.filter(group=group)
    if q:
        runs = runs.filter(Q(name__icontains=q) | Q(notes__icontains=q) | Q(run_id__icontains=q))
    if tag:
        runs = runs.filter(_has_tag(tag))
    for key, raw in (config or {}).items():
        if not CONFIG_KEY.fullmatch(key) or "__" in key:
            raise ValidationError({"config": [f"“{key}” is not a config key to filter on (letters, digits, _ - and dots)."]})
        runs = runs.filter(_config_equals(key, raw))
    return _ordered(runs, order)


def _has_tag(tag):
    """Runs tagged exactly `tag`, the same way on SQLite (json_each) and PostgreSQL (jsonb @>)."""
    from django.db import connection
    from django.db.models.expressions import RawSQL

    if connection.features.supports_json_field_contains:
        return Q(tags__contains=[tag])
    table = Run._meta.db_table
    return Q(pk__in=RawSQL(f"SELECT {table}.id FROM {table}, json_each({table}.tags) WHERE json_each.value = %s", [tag]))


def _config_equals(key, raw):
    lookup = f"config__{key.replace('.', '__')}"
    options = [Q(**{lookup: raw})]
    for parse in (int, float):
        try:
            options.append(Q(**{lookup: parse(raw)}))
        except ValueError:
            pass
    if raw in ("true", "false"):
        options.append(Q(**{lookup: raw == "true"}))
    condition = options[0]
    for option in options[1:]:
        condition |= option
    return condition


def _ordered(runs, order):
    from django.db.models import F
    from django.db.models.fields.json import KT

    order = order or "-created_at"
    if order.lstrip("-").startswith(("summary.", "config.")):
        source, _, key = order.lstrip("-").partition(".")
        from django.db.models import FloatField
        from django.db.models.functions import Cast

        from django.db.models import Case, When

        if not CONFIG_KEY.fullmatch(key) or "__" in key:
            return runs.order_by("-created_at", "-id")
        # only numbers sort; a run whose value is text or missing goes last (PostgreSQL
        # refuses to cast text to a number, SQLite would quietly make it 0)
        runs = runs.annotate(_raw=KT(f"{source}__{key.replace('.', '__')}")).annotate(
            _sort=Case(When(_raw__regex=NUMBER, then=Cast("_raw", FloatField())), default=None, output_field=FloatField())
        )
        column = F("_sort").desc(nulls_last=True) if order.startswith("-") else F("_sort").asc(nulls_last=True)
        return runs.order_by(column, F("_raw").asc(nulls_last=True), "-created_at", "-id")
    if order not in RUN_ORDERS:
        order = "-created_at"
    return runs.order_by(order, "-id")


def parse_config_filter(text):
    """'lr=0.01, arch=resnet' -> {'lr': '0.01', 'arch': 'resnet'} (the workspace's config filter)."""
    result = {}
    for part in (text or "").split(","):
        if "=" in part:
            key, value = part.split("=", 1)
            if key.strip():
                result[key.strip()] = value.strip()
    return result


RUN_CSV_FIELDS = ["run_id", "name", "state", "created_by", "created_at", "finished_at", "group", "job_type", "tags"]


def runs_csv(runs):
    """The runs table as CSV lines, streamed: fixed columns, then every config.* and summary.* key seen."""
    import csv
    import io

    keys = {"config": set(), "summary": set()}
    for config, summary in runs.values_list("config", "summary").iterator(chunk_size=500):
        keys["config"].update(config or {})
        keys["summary"].update(summary or {})
    extra = [("config", key) for key in sorted(keys["config"])] + [("summary", key) for key in sorted(keys["summary"])]
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\n")

    def flush():
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    out.writerow(RUN_CSV_FIELDS + [f"{where}.{key}" for where, key in extra])
    yield flush()
    for n, run in enumerate(runs.select_related("created_by").iterator(chunk_size=500)):
        row = [run.run_id, run.name, run.shown_state, run.created_by.username if run.created_by else "", run.created_at.isoformat(),
               run.finished_at.isoformat() if run.finished_at else "", run.group, run.job_type, " ".join(run.tags)]
        for where, key in extra:
            value = getattr(run, where).get(key, "")
            row.append(json.dumps(value) if isinstance(value, (dict, list, bool)) or value is None else value)
        out.writerow(row)
        if n % 200 == 199:
            yield flush()
    yield flush()


def series_keys(run, kind=SeriesKind.HISTORY) -> list[str]:
    return list(MetricSeries.objects.filter(run=run, kind=kind).order_by("key").values_list("key", flat=True))


def project_metric_keys(project, kind=SeriesKind.HISTORY, limit=200) -> list[str]:
    return list(
        MetricSeries.objects.filter(run__project=project, kind=kind).values_list("key", flat=True).distinct().order_by("key")[:limit]
    )


def _level_entries(series, level):
    data = array("d")
    for blob in MetricChunk.objects.filter(series=series, level=level).order_by("seq").values_list("data", flat=True):
        data.frombytes(bytes(blob))
    return data


def _number(value):
    if math.isnan(value) or math.isinf(value):
        return None  # JSON has no NaN or infinity; CSV keeps them
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def history_read(run, *, kind=SeriesKind.HISTORY, keys=None, samples=1000) -> dict:
    """{series: {key: {steps, values, ts}}, total_points, sampled} for a chart.

    With samples=N > 0 a long series is cut into N/2 buckets and each bucket's
    minimum and maximum points are returned (at most N points); samples=0
    returns every point.
    """
    query = MetricSeries.objects.filter(run=run, kind=kind)
    if keys:
        query = query.filter(key__in=keys)
    result, totals, sampled = {}, {}, False
    for series in query.order_by("key"):
        totals[series.key] = series.count
        if samples and series.count > samples:
            buckets = max(1, samples // 2)
            level = history.choose_level(series.count, buckets)
            points = list(history.sample(_level_entries(series, level), level, buckets))
            if len(points) > samples:  # samples=1: one bucket, keep its maximum
                points = [max(points, key=lambda p: (p[2] == p[2], p[2]))]
            sampled = True
        else:
            points = history.raw_points(_level_entries(series, 0))
        steps, values, stamps = [], [], []
        for step, ts, value in points:
            steps.append(_number(step))
            stamps.append(ts)
            values.append(_number(value))
        result[series.key] = {"steps": steps, "values": values, "ts": stamps}
    return {"series": result, "total_points": totals, "sampled": sampled}


def history_json_stream(run, *, kind=SeriesKind.HISTORY, keys=None):
    """Every point as the JSON of history_read(samples=0), written block by block.

    Memory stays at one block whatever the series length: each array is
    written in its own pass over the stored blocks.
    """
    query = MetricSeries.objects.filter(run=run, kind=kind)
    if keys:
        query = query.filter(key__in=keys)
    series = list(query.order_by("key").values_list("pk", "key", "count"))
    yield '{"series": {'
    for position, (pk, key, _) in enumerate(series):
        yield ("," if position else "") + json.dumps(key) + ": {"
        for field, (name, index) in enumerate((("steps", 0), ("values", 2), ("ts", 1))):
            yield ("," if field else "") + f'"{name}": ['
            first = True
            blocks = MetricChunk.objects.filter(series_id=pk, level=0).order_by("seq").values_list("data", flat=True)
            for blob in blocks.iterator(chunk_size=20):
                entries = history.unpack(blob)[index :: history.RAW]
                if index == 1:
                    text = ",".join(repr(value) for value in entries)
                else:
                    text = ",".join("null" if value is None else repr(value) for value in map(_number, entries))
                if text:
                    yield ("" if first else ",") + text
                    first = False
            yield "]"
        yield "}"
    totals = {key: count for _, key, count in series}
    yield '}, "total_points": ' + json.dumps(totals) + ', "sampled": false}'


def history_csv_rows(run, *, kind=SeriesKind.HISTORY, keys=None):
    """Every point as CSV lines (key, step, ts, value), streamed block by block."""
    yield "key,step,ts,value\n"
    query = MetricSeries.objects.filter(run=run, kind=kind)
    if keys:
        query = query.filter(key__in=keys)
    for series in query.order_by("key"):
        key = series.key.replace('"', '""')
        chunks = MetricChunk.objects.filter(series=series, level=0).order_by("seq").values_list("data", flat=True)
        for blob in chunks.iterator(chunk_size=50):
            entries = history.unpack(blob)
            yield "".join(
                f'"{key}",{step:.17g},{ts:.17g},{value!r}\n' for step, ts, value in history.raw_points(entries)
            )


def history_tail(series_id: int, count: int, points: int) -> list[tuple[float, float]]:
    """The last `points` raw points of a series as (step, value), oldest first: reads only the blocks that hold them."""
    first = max(count - points, 0)
    blocks = MetricChunk.objects.filter(series_id=series_id, level=0, seq__gte=first // history.CHUNK).order_by("seq")
    data = array("d")
    for blob in blocks.values_list("data", flat=True):
        data.frombytes(bytes(blob))
    skip = first - (first // history.CHUNK) * history.CHUNK
    return [(step, value) for step, _, value in history.raw_points(data[skip * history.RAW :])]


def latest_log_lines(run, *, limit=20) -> list[str]:
    lines = list(LogLine.objects.filter(run=run).order_by("-offset").values_list("text", flat=True)[:limit])
    return lines[::-1]


def log_lines(run, *, offset=0, limit=1000):
    lines = list(LogLine.objects.filter(run=run, offset__gte=offset).order_by("offset").values_list("offset", "text")[:limit])
    next_offset = lines[-1][0] + 1 if lines else offset
    return [text for _, text in lines], next_offset


CHARTED_BY_DEFAULT = 10


def run_file_response(run, path):
    """A run's file as a download; a missing record, or bytes gone from storage, is a 404 (never a 500)."""
    record = RunFile.objects.filter(run=run, path=path).first()
    if record is None:
        raise Http404(f"The run has no file {path}.")
    filename = path.rsplit("/", 1)[-1]
    if settings.X_ACCEL_REDIRECT_PREFIX and record.storage_id is None and isinstance(default_storage, FileSystemStorage):
        # the policy has said yes; nginx sends the bytes (deploy/nginx/teamsite.conf)
        response = HttpResponse(content_type="application/octet-stream")
        response["X-Accel-Redirect"] = settings.X_ACCEL_REDIRECT_PREFIX + quote(record.file.name)
        response["Content-Disposition"] = content_disposition_header(True, filename)
        return response
    try:
        handle = storage.open_stream(record.storage, record.file.name)
    except Exception:  # noqa: BLE001 - missing locally (FileNotFoundError) or in a bucket (NoSuchKey)
        raise Http404(f"The bytes of {path} are missing from storage; ask a site operator.") from None
    return FileResponse(handle, as_attachment=True, filename=filename)
