"""Ingestion: metric history and system metrics (the hot path), console logs and files."""

from __future__ import annotations

import math
import posixpath
from array import array
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from core.errors import Conflict, TooLarge
from core.uploads import sha256_of
from teams import policy
from teams import storage as team_storage

from .. import events, history
from ..models import HistoryBatch, LogLine, MetricChunk, MetricSeries, Run, RunFile, RunState, SeriesKind, run_file_path
from .runs import FINAL_STATES
from .storage import delete_stored

MAX_POINTS_PER_REQUEST = 10_000
MAX_LOG_LINES_PER_REQUEST = 10_000
MAX_LOG_LINE_LENGTH = 10_000
MAX_KEY_LENGTH = 255


# --- History and system metrics ----------------------------------------------------------


def _bad_rows(message):
    return ValidationError({"rows": [message]})


def parse_rows(rows) -> tuple[dict[str, array], int]:
    """Validate rows [{step, values: {key: number}, ts?}] into flat (step, ts, value) per key.

    This runs for every point a script logs, so it trades a little elegance for
    speed: exact type checks, a set of names already validated, plain lists.
    """
    if not isinstance(rows, list):
        raise _bad_rows("rows is a list of {step, values, ts?} objects.")
    if len(rows) > MAX_POINTS_PER_REQUEST:
        raise TooLarge(f"A request may carry at most {MAX_POINTS_PER_REQUEST:,} points; send smaller batches.")
    now = timezone.now().timestamp()
    lists: dict[str, list] = {}
    last_step: dict[str, int] = {}
    good_keys: set = set()
    points = 0
    number = (float, int)
    for n, row in enumerate(rows, start=1):
        if type(row) is not dict:
            raise _bad_rows(f"Row {n} is not an object.")
        step = row.get("step")
        values = row.get("values")
        ts = row.get("ts", now)
        if type(step) is not int or step < 0:
            raise _bad_rows(f"Row {n}: step must be a whole number of at least 0.")
        if type(ts) not in number or not math.isfinite(ts):
            raise _bad_rows(f"Row {n}: ts must be seconds since the epoch.")
        if type(values) is not dict or not values:
            raise _bad_rows(f"Row {n}: values must be an object of metric names to numbers.")
        points += len(values)
        for key, value in values.items():
            if type(value) not in number:
                raise _bad_rows(f"Row {n}: {key} must be a number, not {type(value).__name__} {str(value)[:40]!r}.")
            target = lists.get(key)
            if target is None:
                if key not in good_keys:
                    if not key or len(key) > MAX_KEY_LENGTH:
                        raise _bad_rows(f"Row {n}: metric names are 1 to {MAX_KEY_LENGTH} characters.")
                    good_keys.add(key)
                target = lists[key] = []
            elif step < last_step[key]:
                raise _bad_rows(f"Row {n}: {key} goes back from step {last_step[key]} to {step}; steps must not decrease.")
            last_step[key] = step
            target += (step, ts, value)
    if points > MAX_POINTS_PER_REQUEST:
        raise TooLarge(f"A request may carry at most {MAX_POINTS_PER_REQUEST:,} points; send smaller batches.")
    return {key: array("d", values) for key, values in lists.items()}, points


def _bad_columns(message):
    return ValidationError({"columns": [message]})


def parse_columns(columns) -> tuple[dict[str, array], int]:
    """The column form of a batch: {step: [...], ts?: [...], values: {key: [number | null, ...]}}.

    The same points as rows, laid out so that validation and packing run
    mostly in C: the Python client sends this; rows remain the documented
    shape for everyone else. A null is "no value at that step".
    """
    if type(columns) is not dict:
        raise _bad_columns("columns is an object {step, ts?, values}.")
    steps, values = columns.get("step"), columns.get("values")
    if type(steps) is not list or not steps:
        raise _bad_columns("columns.step is a non-empty list of whole numbers.")
    if type(values) is not dict or not values:
        raise _bad_columns("columns.values is an object of metric names to lists of numbers.")
    count = len(steps)
    points = sum(len(v) if type(v) is list else 0 for v in values.values())
    if points > MAX_POINTS_PER_REQUEST:
        raise TooLarge(f"A request may carry at most {MAX_POINTS_PER_REQUEST:,} points; send smaller batches.")
    previous = -1
    for step in steps:
        if type(step) is not int or step < previous:
            raise _bad_columns(f"columns.step must hold whole numbers of at least 0 that never decrease (found {step!r}).")
        previous = step
    ts = columns.get("ts")
    if ts is None:
        ts = array("d", [timezone.now().timestamp()]) * count
    else:
        try:
            ts = array("d", ts) if type(ts) is list and len(ts) == count else None
        except TypeError:
            ts = None
        if ts is None or not all(map(math.isfinite, ts)):
            raise _bad_columns("columns.ts is a list of seconds since the epoch, one per step.")
    step_array = array("d", steps)
    by_key = {}
    points = 0
    for key, column in values.items():
        if not key or len(key) > MAX_KEY_LENGTH:
            raise _bad_columns(f"Metric names are 1 to {MAX_KEY_LENGTH} characters.")
        if type(column) is not list or len(column) != count:
            raise _bad_columns(f"columns.values.{key} must be a list with one entry per step.")
        if any(type(value) is bool for value in column):
            raise _bad_columns(f"{key} must hold numbers, not true/false.")
        present = range(count)
        if None in column:
            present = [i for i, value in enumerate(column) if value is not None]
            column = [column[i] for i in present]
        try:
            numbers = array("d", column)
        except TypeError:
            bad = next(value for value in column if type(value) not in (int, float))
            raise _bad_columns(f"{key} must be a number, not {type(bad).__name__} {str(bad)[:40]!r}.") from None
        if not numbers:
            continue
        flat = array("d", bytes(24 * len(numbers)))
        if len(numbers) == count:
            flat[0::3], flat[1::3] = step_array, ts
        else:
            flat[0::3] = array("d", (step_array[i] for i in present))
            flat[1::3] = array("d", (ts[i] for i in present))
        flat[2::3] = numbers
        by_key[key] = flat
        points += len(numbers)
    return by_key, points


@transaction.atomic
def history_append(
    *, actor, run: Run, rows=None, columns=None, kind: str = SeriesKind.HISTORY, batch_id: str | None = None
) -> int:
    """Append a batch of points to a run; returns how many were accepted (0 for a repeated batch).

    The hot path of the product: written as a handful of plain SQL statements
    (portable between SQLite and PostgreSQL) rather than ORM queries, whose
    construction would cost more than the writes themselves.
    """
    policy.require(actor, "run:log", run)
    by_key, points = parse_columns(columns) if columns is not None else parse_rows(rows)
    store = _HistoryStore(connection)
    state, summary, pinned = store.lock_run(run.pk)
    if state in FINAL_STATES:
        raise Conflict(f"The run {run.run_id} is {state}; it takes no more data.")
    if batch_id is not None:
        batch_id = str(batch_id)[:128]
        if store.batch_seen(run.pk, kind, batch_id):
            return 0
    series = store.series(run.pk, kind, list(by_key))
    for key, flat in by_key.items():
        known = series.get(key)
        if known is not None and known[2] is not None and flat[0] < known[2]:
            raise _bad_rows(f"{key} goes back from step {known[2]:g} to {flat[0]:g}; steps must not decrease.")
    missing = [key for key in by_key if key not in series]
    if missing:
        MetricSeries.objects.bulk_create([MetricSeries(run_id=run.pk, kind=kind, key=key) for key in missing])
        series.update(store.series(run.pk, kind, missing))
    store.write(series, by_key)
    if batch_id is not None:
        store.remember_batch(run.pk, kind, batch_id, points)
    new_summary = None
    if kind == SeriesKind.HISTORY:
        # the summary keeps each metric's last value unless the script sets it otherwise
        new_summary = dict(summary)
        for key, flat in by_key.items():
            if key not in pinned:
                value = flat[-1]
                new_summary[key] = value if math.isfinite(value) else None
    store.touch_run(run.pk, revive=state == RunState.CRASHED, summary=new_summary)
    if kind == SeriesKind.HISTORY:
        events.rules_for_batch(run, by_key)  # checked by the worker after the commit, not in this request
    return points


class _HistoryStore:
    """The SQL of history_append, in one place."""

    def __init__(self, conn):
        self.conn = conn
        self.run_table = Run._meta.db_table
        self.series_table = MetricSeries._meta.db_table
        self.chunk_table = MetricChunk._meta.db_table
        self.batch_table = HistoryBatch._meta.db_table
        self.lock = " FOR UPDATE" if conn.features.has_select_for_update else ""

    def lock_run(self, run_pk):
        with self.conn.cursor() as cursor:
            cursor.execute(f"SELECT state, summary, pinned_summary_keys FROM {self.run_table} WHERE id = %s{self.lock}", [run_pk])
            row = cursor.fetchone()
        if row is None:
            raise Run.DoesNotExist
        summary = Run._meta.get_field("summary").from_db_value(row[1], None, self.conn) or {}
        pinned = Run._meta.get_field("pinned_summary_keys").from_db_value(row[2], None, self.conn) or []
        return row[0], summary, set(pinned)

    def batch_seen(self, run_pk, kind, batch_id):
        with self.conn.cursor() as cursor:
            cursor.execute(
                f"SELECT 1 FROM {self.batch_table} WHERE run_id = %s AND kind = %s AND batch_id = %s", [run_pk, kind, batch_id]
            )
            return cursor.fetchone() is not None

    def series(self, run_pk, kind, keys):
        """{key: [id, count, last_step]} for the run's series among `keys`."""
        found = {}
        with self.conn.cursor() as cursor:
            for offset in range(0, len(keys), 500):
                part = keys[offset : offset + 500]
                marks = ", ".join(["%s"] * len(part))
                cursor.execute(
                    f"SELECT key, id, count, last_step FROM {self.series_table} WHERE run_id = %s AND kind = %s AND key IN ({marks})",
                    [run_pk, kind, *part],
                )
                for key, pk, count, last in cursor.fetchall():
                    found[key] = [pk, count, last]
        return found

    def write(self, series, by_key):
        slots = [(series[key][0], level, seq) for key in by_key for level, seq in history.tail_slots(series[key][1])]
        tails = {}
        with self.conn.cursor() as cursor:
            for offset in range(0, len(slots), 300):
                part = slots[offset : offset + 300]
                where = " OR ".join(["(series_id = %s AND level = %s AND seq = %s)"] * len(part))
                cursor.execute(f"SELECT series_id, level, data FROM {self.chunk_table} WHERE {where}", [v for slot in part for v in slot])
                for series_id, level, data in cursor.fetchall():
                    tails[(series_id, level)] = history.unpack(data)
            stale, fresh, updates = [], [], []
            for key, flat in by_key.items():
                pk, count, _ = series[key]
                mine = {level: data for (series_id, level), data in tails.items() if series_id == pk}
                new_count, windows = history.append(count, mine, flat)
                for level, (start, entries) in windows.items():
                    stale.append((pk, level, start // history.CHUNK))
                    for seq, n, part in history.split_blocks(level, start, entries):
                        fresh.append((pk, level, seq, n, history.pack(part)))
                last_value = flat[-1] if math.isfinite(flat[-1]) else None
                updates.append((new_count, flat[-3], last_value, pk))
            for offset in range(0, len(stale), 300):
                part = stale[offset : offset + 300]
                where = " OR ".join(["(series_id = %s AND level = %s AND seq >= %s)"] * len(part))
                cursor.execute(f"DELETE FROM {self.chunk_table} WHERE {where}", [v for slot in part for v in slot])
            cursor.executemany(f"INSERT INTO {self.chunk_table} (series_id, level, seq, n, data) VALUES (%s, %s, %s, %s, %s)", fresh)
            cursor.executemany(f"UPDATE {self.series_table} SET count = %s, last_step = %s, last_value = %s WHERE id = %s", updates)

    def remember_batch(self, run_pk, kind, batch_id, points):
        now = HistoryBatch._meta.get_field("created_at").get_db_prep_value(timezone.now(), self.conn)
        with self.conn.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {self.batch_table} (run_id, kind, batch_id, accepted, created_at) VALUES (%s, %s, %s, %s, %s)",
                [run_pk, kind, batch_id, points, now],
            )

    def touch_run(self, run_pk, *, revive, summary):
        now = Run._meta.get_field("heartbeat_at").get_db_prep_value(timezone.now(), self.conn)
        sets, params = ["heartbeat_at = %s"], [now]
        if revive:
            sets.append("state = %s")
            params.append(RunState.RUNNING)
        if summary is not None:
            sets.append("summary = %s")
            params.append(Run._meta.get_field("summary").get_db_prep_value(summary, self.conn))
        with self.conn.cursor() as cursor:
            cursor.execute(f"UPDATE {self.run_table} SET {', '.join(sets)} WHERE id = %s", [*params, run_pk])


# --- Logs and files ------------------------------------------------------------------


@transaction.atomic
def logs_append(*, actor, run: Run, lines) -> int:
    policy.require(actor, "run:log", run)
    if not isinstance(lines, list) or not all(isinstance(line, str) for line in lines):
        raise ValidationError({"lines": ["lines is a list of strings."]})
    if len(lines) > MAX_LOG_LINES_PER_REQUEST:
        raise TooLarge(f"A request may carry at most {MAX_LOG_LINES_PER_REQUEST:,} lines.")
    run = Run.objects.select_for_update().get(pk=run.pk)
    start = (LogLine.objects.filter(run=run).aggregate(last=Max("offset"))["last"] or -1) + 1
    LogLine.objects.bulk_create(
        [LogLine(run=run, offset=start + n, text=line[:MAX_LOG_LINE_LENGTH]) for n, line in enumerate(lines)], batch_size=1000
    )
    return start + len(lines)


def clean_file_path(path: str) -> str:
    """A run file's relative path; refuses absolute paths and anything that climbs out."""
    raw = (path or "").replace("\\", "/")
    if not raw or "\x00" in raw or raw.startswith("/") or (len(raw) > 1 and raw[1] == ":"):
        raise ValidationError({"path": [f"“{path}” must be a relative path inside the run, such as model/weights.pt."]})
    parts = raw.split("/")
    if ".." in parts:
        raise ValidationError({"path": [f"“{path}” may not contain “..”."]})
    clean = posixpath.normpath(raw)
    if clean in (".", "") or len(clean) > 1024:
        raise ValidationError({"path": [f"“{path}” is not a usable file path."]})
    return clean


@transaction.atomic
def files_save(*, actor, run: Run, files: dict) -> list[RunFile]:
    """Save uploaded files by relative path; a bad path refuses the whole request before any file is saved."""
    policy.require(actor, "run:log", run)
    if not files:
        raise ValidationError({"files": ["Send files as multipart form fields named by their relative path."]})
    paths = {clean_file_path(path): upload for path, upload in files.items()}
    saved = []
    try:
        for path, upload in paths.items():
            saved.append(_file_save(run, path, upload))
    except BaseException:
        # the rows roll back with the transaction; the bytes already written must go too (a full disk leaves no orphans)
        delete_stored([(record.storage_id, record.file.name) for record in saved])
        raise
    return saved


def _file_save(run: Run, path: str, upload) -> RunFile:
    old = RunFile.objects.filter(run=run, path=path).first()
    old_file = (old.storage_id, old.file.name) if old else None
    if old:
        old.delete()
    location = team_storage.current(run.project.team)  # the team's storage now; older files stay where they are
    record = RunFile(run=run, path=path, size=upload.size, sha256=sha256_of(upload), storage=location)
    if location is None:
        storage = record.file.storage
        name = storage.get_available_name(record.file.field.generate_filename(record, path))
        try:
            record.file.name = storage.save(name, upload)
        except BaseException:
            if storage.exists(name):  # a write cut short (a full disk) leaves part of the bytes
                storage.delete(name)
            raise
    else:
        record.file.name = team_storage.save_stream(location, run_file_path(record, path), upload)
    record.save()
    if old_file:
        transaction.on_commit(lambda: delete_stored([old_file]))
    return record
