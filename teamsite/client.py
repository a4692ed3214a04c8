"""The teamsite Python client: log a training run from a script.

Standard library only (urllib, json, threading); psutil and pynvml are used for
system metrics when installed (see teamsite/_sysmetrics.py for the fallbacks).

    import teamsite.client as ts

    run = ts.init(project="mnist", config={"lr": 1e-3}, name="baseline", tags=["cnn"])
    for step in range(1000):
        run.log({"loss": loss, "acc": acc})      # step 0, 1, 2, ... unless step= is given
    run.summary["best_acc"] = 0.97
    run.save("checkpoints/model.pt")
    run.finish()

    with ts.init(project="mnist") as run:       # an exception inside marks the run failed
        ...

Configuration: arguments to `init`, else the environment: TEAMSITE_BASE_URL
(default http://127.0.0.1:8000), TEAMSITE_API_KEY, TEAMSITE_TEAM (else the
caller's only team), TEAMSITE_PROJECT, and for service accounts
TEAMSITE_USERNAME / TEAMSITE_USER_EMAIL: the team member the run is credited
to (the service account stays recorded as the run's logger).

How it behaves (the contract scripts can rely on):

- `init` creates the run synchronously (POST .../runs; the server creates a
  missing project when the caller may). A 4xx answer raises `TeamsiteError`
  carrying the server's sentence (a bad key, a non-member named by
  TEAMSITE_USERNAME, ...). A server that cannot be reached is retried for a few
  seconds, then raises `TeamsiteError` too.
- The training loop never waits for the network. `run.log` checks its input
  (a non-numeric value raises TypeError at once; NaN and infinities are sent as
  such; bools count as 0/1; nested dicts become "outer/inner" keys), then
  appends to a bounded in-memory buffer (MAX_BUFFERED_POINTS = 100,000 points).
  When the buffer is full the oldest points are dropped and ONE warning says so.
- Steps: without `step=` an internal counter gives 0, 1, 2, ...; an explicit
  step sets the counter (the next implicit step is step + 1); an explicit step
  lower than the last one is warned about and dropped.
- One background thread (daemon) does all network work: it sends history in
  batches every ~1 s or as soon as 1,000 points wait, at most 10,000 points per
  request, each batch with its own `batch_id`, kept across retries, so a retried
  batch is never stored twice; it sends a heartbeat every `heartbeat_interval`
  seconds, samples system metrics every `system_metrics_interval` seconds
  (`cpu`, `memory`, `disk`, `net.sent`, `net.recv`, `gpu.N.util`,
  `gpu.N.memory`, ...; 0 or None turns sampling off), and sends the captured
  console (a tee of sys.stdout and sys.stderr, line by line, carriage-return
  progress bars collapsed to what the terminal shows).
- Network errors, 429 and 5xx answers are retried with exponential backoff
  (0.5 s doubling to at most 30 s, with jitter). Unreachable servers and gateway
  errors (502/503/504) are retried for as long as the run lives, other 5xx a few
  times. Losing the server is warned about once per outage. Any other 4xx is a
  permanent error for that request: warned about once, and the request is
  dropped. A 409 on history means the run was ended on the server: its data is
  dropped with a warning.
- `run.config` and `run.summary` are dicts; changes are sent as merges
  (PATCH config / summary; deleting a key sends null, which removes it). The
  server keeps each metric's last logged value in the summary; a key the script
  sets itself wins and is sent again after history for that key and at finish.
- Stop from the web page: when a heartbeat answers `stop_requested: true` the
  client ends the run as `stopped` on its own (flush, PATCH state=stopped),
  then calls `on_stop(run)` if given (from the background thread). `run.stopped`
  turns True and the next `run.log(...)` raises `RunStopped` in the training
  thread; catch it to save a checkpoint and exit cleanly.
- `run.finish()` is idempotent: it restores sys.stdout/sys.stderr, flushes
  everything with a bounded wait (30 s by default; what is left after that is
  dropped with a warning), marks the run finished (PATCH state) and stops the
  thread. Used as a context manager, an exception inside the block marks the run
  failed (its traceback goes to the run's logs) and propagates; `RunStopped`
  leaves the run stopped. An atexit hook finishes runs left open: as finished,
  or as failed when the script died of an uncaught exception.
- `run.save(path)` uploads a file (globs allowed) in the background, read when it
  is sent; `run.alert(...)` is sent in the background too, both before finish
  completes.
"""

from __future__ import annotations

import atexit
import decimal
import glob as globbing
import json
import logging
import numbers
import os
import posixpath
import random
import secrets
import socket
import string
import sys
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import uuid
import warnings
from collections import deque
from collections.abc import Mapping
from http.client import HTTPException

__all__ = [
    "init",
    "Run",
    "TeamsiteError",
    "RunStopped",
    "TeamsiteWarning",
    "DEFAULT_BASE_URL",
]

VERSION = "0.1.0"
DEFAULT_BASE_URL = "http://127.0.0.1:8000"

FLUSH_INTERVAL = 1.0  # seconds between history / log / system batches
FLUSH_POINTS = 1_000  # a batch leaves early once this many points wait
MAX_POINTS_PER_REQUEST = 10_000  # the server answers 413 above this
MAX_BUFFERED_POINTS = 100_000  # history kept in memory while the server is away
MAX_BUFFERED_SYSTEM_ROWS = 10_000
MAX_BUFFERED_LINES = 100_000
MAX_LINES_PER_REQUEST = 5_000
MAX_LINE_LENGTH = 10_000
MAX_KEY_LENGTH = 255
FINISH_TIMEOUT = 30.0
REQUEST_TIMEOUT = 10.0
BACKOFF_BASE = 0.5
BACKOFF_CAP = 30.0
MAX_SERVER_ERROR_ATTEMPTS = 8  # a plain 500 is retried this often, then the request is dropped
GATEWAY_STATUSES = {502, 503, 504}
END_STATES = {"finished", "failed", "stopped", "crashed"}
ALERT_LEVELS = {"info": "info", "warn": "warn", "warning": "warn", "error": "error"}
RUN_ID_ALPHABET = string.ascii_lowercase + string.digits

logger = logging.getLogger("teamsite.client")


# --- Errors ----------------------------------------------------------------------------


def _steps_in_order(rows):
    return all(a["step"] <= b["step"] for a, b in zip(rows, rows[1:]))


def _columns(rows):
    """Rows as the server's column form: one list per metric, null where a step lacks it."""
    keys = {}
    for row in rows:
        for key in row["values"]:
            keys.setdefault(key, None)
    return {
        "step": [row["step"] for row in rows],
        "ts": [row.get("ts") or time.time() for row in rows],
        "values": {key: [row["values"].get(key) for row in rows] for key in keys},
    }


class TeamsiteError(Exception):
    """The server refused something, or could not be reached when it mattered."""

    def __init__(self, message, *, status=None, code=None, fields=None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.fields = fields or {}


class RunStopped(TeamsiteError):
    """Raised by `run.log` once the run was stopped from the web page."""


class TeamsiteWarning(UserWarning):
    """Something went wrong in the background; training goes on."""


class _Offline(Exception):
    """No answer from the server (refused, timed out, DNS, reset...)."""


class _HTTPError(Exception):
    def __init__(self, status, message, *, code=None, fields=None, retry_after=None):
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message
        self.code = code
        self.fields = fields or {}
        self.retry_after = retry_after


# --- HTTP ------------------------------------------------------------------------------


def _q(part) -> str:
    return urllib.parse.quote(str(part), safe="")


def _clean_base_url(url: str) -> str:
    url = (url or DEFAULT_BASE_URL).strip().rstrip("/")
    if url.endswith("/api/v1"):
        url = url[: -len("/api/v1")]
    return url


class _Transport:
    """JSON over urllib, with the API key; raises _Offline or _HTTPError."""

    def __init__(self, base_url: str, api_key: str, timeout: float = REQUEST_TIMEOUT):
        self.base_url = _clean_base_url(base_url)
        self.api_key = api_key
        self.timeout = timeout
        self._opener = urllib.request.build_opener()

    def request(self, method, path, body=None, *, data=None, headers=None, timeout=None):
        url = f"{self.base_url}/api/v1{path}"
        all_headers = {
            "Authorization": f"Bearer {self.api_key}",
            "Accept": "application/json",
            "User-Agent": f"teamsite-client/{VERSION} python/{sys.version_info.major}.{sys.version_info.minor}",
        }
        if body is not None:
            data = json.dumps(body).encode()  # NaN and Infinity go out as JSON literals
            all_headers["Content-Type"] = "application/json"
        all_headers.update(headers or {})
        req = urllib.request.Request(url, data=data, method=method, headers=all_headers)
        try:
            with self._opener.open(req, timeout=timeout or self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raise self._error(exc) from None
        except (urllib.error.URLError, OSError, HTTPException, ValueError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise _Offline(f"{type(exc).__name__}: {reason}") from None
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return None

    @staticmethod
    def _error(exc: urllib.error.HTTPError) -> _HTTPError:
        try:
            raw = exc.read()
        except Exception:
            raw = b""
        message, code, fields = None, None, None
        try:
            error = json.loads(raw).get("error") or {}
            message, code, fields = error.get("message"), error.get("code"), error.get("fields")
        except Exception:
            pass
        retry_after = None
        try:
            retry_after = float(exc.headers.get("Retry-After")) if exc.headers and exc.headers.get("Retry-After") else None
        except (TypeError, ValueError):
            pass
        if not message:
            message = f"The server answered {exc.code} {exc.reason}."
        return _HTTPError(exc.code, message, code=code, fields=fields, retry_after=retry_after)


def _backoff(attempts: int, retry_after: float | None = None) -> float:
    delay = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempts - 1)) * random.uniform(0.5, 1.0)
    if retry_after:
        delay = max(delay, min(BACKOFF_CAP, retry_after))
    return delay


def _multipart(field: str, local_path: str):
    """(headers, body iterable) for one file, streamed from disk."""
    boundary = f"teamsite-{uuid.uuid4().hex}"
    safe_field = field.replace("\\", "\\\\").replace('"', "%22").replace("\r", "").replace("\n", "")
    filename = os.path.basename(local_path).replace('"', "%22").replace("\r", "").replace("\n", "")
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="{safe_field}"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    size = os.path.getsize(local_path)

    def body():
        yield head
        with open(local_path, "rb") as handle:
            while True:
                chunk = handle.read(1 << 20)
                if not chunk:
                    break
                yield chunk
        yield tail

    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", "Content-Length": str(len(head) + size + len(tail))}
    return headers, body()


# --- Input checks ----------------------------------------------------------------------


def _number(name, value):
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, (numbers.Real, decimal.Decimal)):
        return float(value)
    item = getattr(value, "item", None)  # numpy scalars, 0-d arrays, one-element tensors
    if callable(item) and not isinstance(value, (str, bytes)):
        try:
            inner = item()
        except Exception:
            inner = None
        if isinstance(inner, (bool, int, float)):
            return _number(name, inner)
    shown = repr(value)
    shown = shown if len(shown) <= 40 else shown[:37] + "..."
    raise TypeError(f"teamsite: the metric {name!r} must be a number, not {type(value).__name__} {shown}.")


def _flatten_metrics(data, prefix="", out=None) -> dict:
    out = {} if out is None else out
    for key, value in data.items():
        if not isinstance(key, str):
            raise TypeError(f"teamsite: metric names are strings, not {type(key).__name__} {key!r}.")
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            _flatten_metrics(value, f"{name}/", out)
            continue
        if not name or len(name) > MAX_KEY_LENGTH:
            raise ValueError(f"teamsite: metric names are 1 to {MAX_KEY_LENGTH} characters; got {name[:60]!r}.")
        out[name] = _number(name, value)
    return out


def _clean_step(step) -> int:
    if isinstance(step, bool):
        raise TypeError("teamsite: step must be a whole number, not a bool.")
    if isinstance(step, float) and step.is_integer():
        step = int(step)
    try:
        step = int(step.__index__()) if not isinstance(step, int) else step
    except (AttributeError, TypeError):
        raise TypeError(f"teamsite: step must be a whole number, not {type(step).__name__} {step!r}.") from None
    if step < 0:
        raise ValueError(f"teamsite: step must be 0 or more, not {step}.")
    return step


def _jsonable(value, where="value"):
    """The value as plain JSON data, or TypeError naming what is wrong."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v, where) for v in value]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, (numbers.Real, decimal.Decimal)):
        return float(value)
    for method in ("item", "tolist"):  # numpy / torch
        convert = getattr(value, method, None)
        if callable(convert):
            try:
                return _jsonable(convert(), where)
            except TypeError:
                raise
            except Exception:
                pass
    raise TypeError(f"teamsite: {where} cannot be sent as JSON ({type(value).__name__}).")


# --- config and summary ---------------------------------------------------------------


class _SyncedDict(dict):
    """A dict whose changes are sent to the server as a merge."""

    _field = ""

    def __init__(self, run, initial=None):
        dict.__init__(self, initial or {})
        object.__setattr__(self, "_run", run)

    def __reduce__(self):  # copies and pickles are plain dicts
        return (dict, (dict(self),))

    def _changed(self, changes):
        run = self.__dict__.get("_run")
        if run is not None:
            run._queue_patch(self._field, changes)

    def __setitem__(self, key, value):
        key = str(key)
        value = _jsonable(value, f"{self._field}[{key!r}]")
        dict.__setitem__(self, key, value)
        self._changed({key: value})

    def __delitem__(self, key):
        dict.__delitem__(self, key)
        self._changed({key: None})

    def update(self, other=(), /, **more):
        changes = {str(k): _jsonable(v, f"{self._field}[{k!r}]") for k, v in dict(other, **more).items()}
        dict.update(self, changes)
        if changes:
            self._changed(changes)

    def setdefault(self, key, default=None):
        if key not in self:
            self[key] = default
        return dict.__getitem__(self, str(key) if not isinstance(key, str) else key)

    def pop(self, key, *default):
        if key in self:
            value = dict.pop(self, key)
            self._changed({key: None})
            return value
        if default:
            return default[0]
        raise KeyError(key)

    def popitem(self):
        key, value = dict.popitem(self)
        self._changed({key: None})
        return key, value

    def clear(self):
        keys = list(self)
        dict.clear(self)
        if keys:
            self._changed({key: None for key in keys})

    def __getattr__(self, name):  # run.config.lr
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"{self._field} has no key {name!r}") from None

    def __setattr__(self, name, value):
        if name.startswith("_"):
            object.__setattr__(self, name, value)
        else:
            self[name] = value


class Config(_SyncedDict):
    """run.config: the run's hyperparameters. Changes are merged on the server."""

    _field = "config"


class Summary(_SyncedDict):
    """run.summary: one value per metric. By default each metric's last logged
    value; a key set here wins over logged values."""

    _field = "summary"


def _system_sampler():
    """teamsite/_sysmetrics.py, inside the package or copied next to this file."""
    try:
        from ._sysmetrics import SystemSampler
    except ImportError:
        from _sysmetrics import SystemSampler  # type: ignore[no-redef]
    return SystemSampler()


# --- Console capture -------------------------------------------------------------------


def _visible(line: str) -> str:
    """What a terminal shows of a line with carriage returns (progress bars)."""
    return line.rstrip("\r").rsplit("\r", 1)[-1]


class _ConsoleTee:
    """Stands in for sys.stdout / sys.stderr: writes through, and hands complete
    lines to the run."""

    def __init__(self, original, sink):
        self._original = original
        self._sink = sink
        self._partial = ""
        self._lock = threading.RLock()
        self._pid = os.getpid()
        self.capturing = True

    def write(self, text):
        written = self._original.write(text)
        if self.capturing and isinstance(text, str) and text and os.getpid() == self._pid:
            try:
                self._capture(text)
            except Exception:
                pass
        return written if written is not None else len(text)

    def _capture(self, text):
        with self._lock:
            parts = (self._partial + text).split("\n")
            partial = parts.pop()
            if "\r" in partial[:-1]:  # keep only what a terminal would show
                head, _, tail = partial[:-1].rpartition("\r")
                partial = tail + partial[-1]
            if len(partial) > MAX_LINE_LENGTH:
                parts.append(partial)
                partial = ""
            self._partial = partial
        if parts:
            self._sink([_visible(line) for line in parts])

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        return self._original.flush()

    def stop(self):
        with self._lock:
            self.capturing = False
            rest, self._partial = self._partial, ""
        if _visible(rest):
            self._sink([_visible(rest)])

    def __getattr__(self, name):
        return getattr(self._original, name)


# --- The run ---------------------------------------------------------------------------


class _Channel:
    """One kind of request: one item in flight at a time, retried with backoff."""

    def __init__(self, name, what, take, send, *, interval=FLUSH_INTERVAL, ready=None):
        self.name = name
        self.what = what  # for warnings: "a history batch of 1,000 points"
        self.take = take
        self.send = send
        self.interval = interval
        self.ready = ready  # () -> bool: leave before the interval is up
        self.pending = None
        self.attempts = 0
        self.next_at = 0.0
        self.last_take = time.monotonic()
        self.dropped = 0


class _Batch:
    def __init__(self, rows, points, batch_id=None):
        self.rows = rows
        self.points = points
        self.batch_id = batch_id or uuid.uuid4().hex
        self.keys = {key for row in rows for key in row["values"]}


class Run:
    """A run being logged. Made by `init`; see the module docstring."""

    def __init__(
        self,
        *,
        transport: _Transport,
        team: str,
        project: str,
        info: dict,
        on_stop=None,
        capture_console=True,
        system_metrics_interval=15.0,
        heartbeat_interval=15.0,
    ):
        self._transport = transport
        self.team = team
        self.project = info.get("project") or project
        self.run_id = info["run_id"]
        self.name = info.get("name") or self.run_id
        self.url = info.get("url") or f"{transport.base_url}/{team}/{self.project}/runs/{self.run_id}/"
        self.config = Config(self, info.get("config") or {})
        self.summary = Summary(self, info.get("summary") or {})
        self.warnings: list[str] = []  # every warning this run issued, newest last

        self._on_stop = on_stop
        self._pid = os.getpid()
        self._lock = threading.Lock()  # rows, steps and state; never held while writing or warning
        self._lines_lock = threading.Lock()
        self._wake = threading.Event()
        self._done = threading.Event()
        self._warned: set = set()

        self._rows: deque = deque()  # (step, values, ts)
        self._row_points = 0
        self.max_buffered_points = MAX_BUFFERED_POINTS
        self._dropped_points = 0
        self._next_step = 0
        self._last_step = None
        self._step_warnings = 0
        self._sys_rows: deque = deque(maxlen=MAX_BUFFERED_SYSTEM_ROWS)
        self._sys_step = 0
        self._lines: deque = deque()
        self._dropped_lines = 0
        self._patch = {"config": {}, "summary": {}}
        self._summary_set: dict = {}  # keys the script set itself: they win over logged values
        self._uploads: deque = deque()
        self._alerts: deque = deque()

        self._state = "running"
        self._stopped = False
        self._closing = None  # the end state once finish has begun
        self._deadline = None
        self._offline = False

        self._heartbeat_interval = max(0.01, float(heartbeat_interval or 15.0))
        self._next_heartbeat = time.monotonic() + self._heartbeat_interval
        self._sampler = None
        self._sample_interval = float(system_metrics_interval or 0)
        if self._sample_interval > 0:
            try:
                self._sampler = _system_sampler()
            except Exception as exc:  # pragma: no cover - never stop a run over metrics
                logger.debug("system metrics are off: %s", exc)
        self._next_sample = time.monotonic() + self._sample_interval

        self._channels = [
            _Channel("history", "history", self._take_history, lambda b: self._post_rows("history", b.rows, b.batch_id),
                     ready=lambda: self._row_points >= FLUSH_POINTS),
            _Channel("system", "system metrics", self._take_system, lambda b: self._post_rows("system", b.rows, b.batch_id)),
            _Channel("logs", "console lines", self._take_lines, self._post_lines),
            _Channel("patch", "a config/summary change", self._take_patch, self._send_patch),
            _Channel("files", "a file upload", self._take_upload, self._send_upload, interval=0),
            _Channel("alerts", "an alert", self._take_alert, self._send_alert, interval=0),
        ]

        self._tees = []
        if capture_console:
            self._capture_console()
        self._thread = threading.Thread(target=self._worker, name=f"teamsite-run-{self.run_id}", daemon=True)
        self._thread.start()
        _open_runs.add(self)

    # --- what a script calls -------------------------------------------------------

    @property
    def stopped(self) -> bool:
        """True once the run was stopped from the web page."""
        return self._stopped

    @property
    def state(self) -> str:
        """running, finished, failed, stopped (as far as the client knows)."""
        return self._state

    @property
    def path(self) -> str:
        return f"{self.team}/{self.project}/{self.run_id}"

    @property
    def _base(self) -> str:
        return f"/teams/{_q(self.team)}/projects/{_q(self.project)}/runs/{_q(self.run_id)}"

    def __repr__(self):
        return f"<teamsite Run {self.path} {self._state}>"

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None or issubclass(exc_type, RunStopped):
            self.finish()
        else:
            self._add_lines("".join(traceback.format_exception(exc_type, exc, tb)).rstrip("\n").split("\n"))
            self.finish(state="failed")
        return False

    def _stop_message(self):
        return (
            f"The run {self.path} was stopped from the web page; it takes no more data. "
            "Catch teamsite.client.RunStopped to save a checkpoint and exit cleanly."
        )

    def log(self, data: Mapping, step: int | None = None) -> None:
        """Record metrics at a step. Never waits for the network.

        Raises RunStopped once the run was stopped from the web page, TypeError
        for a value that is not a number, TeamsiteError after finish.
        """
        if self._stopped:
            raise RunStopped(self._stop_message(), code="stopped")
        if self._closing is not None:
            raise TeamsiteError(f"The run {self.path} is {self._closing}; it takes no more data.")
        if not isinstance(data, Mapping):
            raise TypeError(f"teamsite: run.log takes a dict of metric names to numbers, not {type(data).__name__}.")
        if os.getpid() != self._pid:
            self._warn_once("fork", "teamsite: run.log was called in a child process; only the process that called init sends data.")
            return
        values = _flatten_metrics(data)
        if step is not None:
            step = _clean_step(step)
        now = time.time()
        dropped, backwards = 0, None
        with self._lock:
            if self._stopped:
                raise RunStopped(self._stop_message(), code="stopped")
            if self._closing is not None:
                raise TeamsiteError(f"The run {self.path} is {self._closing}; it takes no more data.")
            if step is None:
                step = self._next_step
            elif self._last_step is not None and step < self._last_step:
                backwards = self._last_step
                self._step_warnings += 1
            if backwards is None:
                self._last_step = step
                self._next_step = step + 1
                if values:
                    items = list(values.items())
                    for start in range(0, len(items), MAX_POINTS_PER_REQUEST):
                        part = dict(items[start : start + MAX_POINTS_PER_REQUEST])
                        self._rows.append((step, part, now))
                        self._row_points += len(part)
                    while self._row_points > self.max_buffered_points and self._rows:
                        old = self._rows.popleft()
                        self._row_points -= len(old[1])
                        dropped += len(old[1])
                    self._dropped_points += dropped
                    for key, value in values.items():
                        if key not in self._summary_set:
                            dict.__setitem__(self.summary, key, value)
                wake = self._row_points >= FLUSH_POINTS
            count = self._step_warnings
        if backwards is not None:
            if count <= 10:
                more = " (further ones are dropped without a warning)" if count == 10 else ""
                self._warn(f"teamsite: step {step} is lower than the last step {backwards}; these metrics were dropped{more}.")
            return
        if dropped:
            self._warn_once(
                "overflow",
                f"teamsite: more than {self.max_buffered_points:,} points are waiting for the server; "
                "the oldest points are being dropped (this is said once).",
            )
        if wake:
            self._wake.set()

    def save(self, path, name: str | None = None) -> list[str]:
        """Upload a file (or every file a glob matches) in the background.

        The file is stored under `name`, else under its path relative to the
        working directory (just its file name when it lies outside). Returns the
        names. The file is read when it is sent.
        """
        path = os.fspath(path)
        matches = sorted(globbing.glob(path, recursive=True)) if globbing.has_magic(path) else [path]
        files = [match for match in matches if os.path.isfile(match)]
        if not files:
            raise FileNotFoundError(f"teamsite: no file at {path}.")
        if name is not None and len(files) > 1:
            raise ValueError("teamsite: name= is for a single file; a glob keeps each file's relative path.")
        names = []
        for local in files:
            raw = (name if name is not None else self._file_name(local)).replace("\\", "/")
            field = posixpath.normpath(raw) if raw else ""
            if not raw or field == "." or raw.startswith("/") or ".." in raw.split("/"):
                raise ValueError(f"teamsite: {field!r} must be a relative path inside the run, such as model/weights.pt.")
            names.append(field)
        with self._lock:
            if self._closing is not None:
                raise TeamsiteError(f"The run {self.path} is {self._closing}; it takes no more files.")
            self._uploads.extend(zip(files, names))
        self._wake.set()
        return names

    @staticmethod
    def _file_name(local):
        absolute = os.path.abspath(local)
        relative = os.path.relpath(absolute, os.getcwd())
        if relative.startswith(".."):
            return os.path.basename(absolute)
        return relative.replace(os.sep, "/")

    def alert(self, title: str, text: str = "", level: str = "info", wait_duration: float = 300) -> None:
        """Send an alert (an email to the run's owner) in the background. The same
        title again within `wait_duration` seconds is recorded but not emailed."""
        level = getattr(level, "value", level)
        if str(level).lower() not in ALERT_LEVELS:
            raise ValueError("teamsite: level is 'info', 'warn' or 'error'.")
        title = (title or "").strip()
        if not title or len(title) > 200:
            raise ValueError("teamsite: an alert needs a title of at most 200 characters.")
        if hasattr(wait_duration, "total_seconds"):
            wait_duration = wait_duration.total_seconds()
        body = {"title": title, "text": str(text or ""), "level": ALERT_LEVELS[str(level).lower()], "wait_duration": float(wait_duration)}
        with self._lock:
            if self._closing is not None:
                raise TeamsiteError(f"The run {self.path} is {self._closing}; it takes no more alerts.")
            self._alerts.append(body)
        self._wake.set()

    def finish(self, state: str = "finished", timeout: float = FINISH_TIMEOUT) -> None:
        """Flush everything (waiting at most `timeout` seconds), end the run as
        `state` and restore the console. Calling it again does nothing."""
        if state not in END_STATES:
            raise ValueError(f"teamsite: state is one of {', '.join(sorted(END_STATES))}.")
        if threading.current_thread() is self._thread:
            return  # on_stop calling finish: the background thread is ending the run already
        with self._lock:
            starting = self._closing is None
        if starting:
            self._release_console()  # before the end begins, so the last lines are sent
            with self._lock:
                if self._closing is None:
                    self._closing = state
                    self._deadline = time.monotonic() + timeout
        self._wake.set()
        if self._thread.is_alive():
            self._done.wait(timeout + 5)
        elif not self._done.is_set():  # the thread died: finish here
            self._end(self._closing)
            self._done.set()
        _open_runs.discard(self)

    # --- console -------------------------------------------------------------------

    def _capture_console(self):
        for name in ("stdout", "stderr"):
            original = getattr(sys, name)
            if original is None:
                continue
            tee = _ConsoleTee(original, self._add_lines)
            setattr(sys, name, tee)
            self._tees.append((name, tee))

    def _release_console(self):
        tees, self._tees = self._tees, []
        for name, tee in tees:
            tee.stop()
            if getattr(sys, name) is tee:
                setattr(sys, name, tee._original)

    def _add_lines(self, lines):
        with self._lines_lock:
            for line in lines:
                self._lines.append(line[:MAX_LINE_LENGTH])
            while len(self._lines) > MAX_BUFFERED_LINES:
                self._lines.popleft()
                self._dropped_lines += 1

    # --- warnings --------------------------------------------------------------------

    def _warn(self, message, stacklevel=2):
        self.warnings.append(message)
        logger.debug(message)
        warnings.warn(message, TeamsiteWarning, stacklevel=stacklevel + 1)

    def _warn_once(self, key, message, stacklevel=2):
        if key in self._warned:
            return
        self._warned.add(key)
        self._warn(message, stacklevel=stacklevel + 1)

    # --- what the background thread sends ------------------------------------------

    def _post_rows(self, kind, rows, batch_id):
        """Send one batch of history ("history") or system metrics ("system")."""
        endpoint = "history" if kind == "history" else "system-metrics"
        body = {"columns": _columns(rows), "batch_id": batch_id} if _steps_in_order(rows) else {"rows": rows, "batch_id": batch_id}
        answer = self._transport.request("POST", f"{self._base}/{endpoint}", body, timeout=self._timeout())
        return (answer or {}).get("accepted")

    def _take_history(self):
        with self._lock:
            if not self._rows:
                return None
            rows, points = [], 0
            while self._rows and points + len(self._rows[0][1]) <= MAX_POINTS_PER_REQUEST:
                step, values, ts = self._rows.popleft()
                rows.append({"step": step, "values": values, "ts": ts})
                points += len(values)
            self._row_points -= points
        return _Batch(rows, points)

    def _take_system(self):
        with self._lock:
            if not self._sys_rows:
                return None
            rows, points = [], 0
            while self._sys_rows and points + len(self._sys_rows[0]["values"]) <= MAX_POINTS_PER_REQUEST:
                row = self._sys_rows.popleft()
                rows.append(row)
                points += len(row["values"])
        return _Batch(rows, points)

    def _take_lines(self):
        with self._lines_lock:
            if not self._lines:
                return None
            count = min(len(self._lines), MAX_LINES_PER_REQUEST)
            return [self._lines.popleft() for _ in range(count)]

    def _post_lines(self, lines):
        self._transport.request("POST", f"{self._base}/logs", {"lines": lines}, timeout=self._timeout())

    def _queue_patch(self, field, changes):
        with self._lock:
            self._patch[field].update(changes)
            if field == "summary":
                for key, value in changes.items():
                    if value is None:
                        self._summary_set.pop(key, None)
                    else:
                        self._summary_set[key] = value
        self._wake.set()

    def _take_patch(self):
        with self._lock:
            body = {field: changes for field, changes in self._patch.items() if changes}
            self._patch = {"config": {}, "summary": {}}
        return body or None

    def _send_patch(self, body):
        self._transport.request("PATCH", self._base, body, timeout=self._timeout())

    def _take_upload(self):
        with self._lock:
            return self._uploads.popleft() if self._uploads else None

    def _send_upload(self, item):
        local, field = item
        if not os.path.isfile(local):
            self._warn(f"teamsite: {local} is gone; it was not uploaded.")
            return
        headers, body = _multipart(field, local)
        self._transport.request("POST", f"{self._base}/files", data=body, headers=headers, timeout=max(60.0, self._timeout()))

    def _take_alert(self):
        with self._lock:
            return self._alerts.popleft() if self._alerts else None

    def _send_alert(self, body):
        self._transport.request("POST", f"{self._base}/alerts", body, timeout=self._timeout())

    def _timeout(self):
        if self._deadline is None:
            return REQUEST_TIMEOUT
        return max(0.5, min(REQUEST_TIMEOUT, self._deadline - time.monotonic()))

    # --- the background thread -------------------------------------------------------

    def _worker(self):
        state = None
        try:
            while True:
                with self._lock:
                    state = self._closing
                if state is not None:
                    break
                try:
                    self._tick()
                except Exception:  # pragma: no cover - a bug here must not end the run's thread
                    logger.exception("teamsite: the background thread hit an error; it goes on")
                self._wake.wait(self._sleep_time())
                self._wake.clear()
            self._end(state)
            if state == "stopped" and self._stopped and self._on_stop is not None:
                try:
                    self._on_stop(self)
                except Exception:
                    logger.exception("teamsite: on_stop raised")
                    self._warn("teamsite: on_stop raised an exception:\n" + traceback.format_exc())
        finally:
            _open_runs.discard(self)
            self._done.set()

    def _sleep_time(self):
        now = time.monotonic()
        until = [0.25, self._next_heartbeat - now]
        if self._sampler is not None:
            until.append(self._next_sample - now)
        return max(0.01, min(until))

    def _tick(self):
        now = time.monotonic()
        if now >= self._next_heartbeat:
            self._next_heartbeat = now + self._heartbeat_interval
            self._heartbeat()
            if self._closing is not None:
                return
        if self._sampler is not None and now >= self._next_sample:
            self._next_sample = max(self._next_sample + self._sample_interval, now + self._sample_interval / 2)
            self._sample()
        for channel in self._channels:
            self._pump(channel, time.monotonic(), force=False)

    def _sample(self):
        values = self._sampler.sample()
        if values:
            with self._lock:
                self._sys_rows.append({"step": self._sys_step, "values": values, "ts": time.time()})
                self._sys_step += 1

    def _heartbeat(self):
        try:
            answer = self._transport.request("POST", f"{self._base}/heartbeat", timeout=self._timeout())
        except _Offline as exc:
            self._went_offline(exc)
            return
        except _HTTPError as exc:
            if exc.status in GATEWAY_STATUSES or exc.status >= 500 or exc.status == 429:
                return
            self._warn_once(f"heartbeat-{exc.status}", f"teamsite: the server refused the heartbeat ({exc.status}: {exc.message}).")
            return
        self._back_online()
        if (answer or {}).get("stop_requested"):
            with self._lock:
                if self._closing is not None:
                    return
                self._stopped = True
                self._closing = "stopped"
                self._deadline = time.monotonic() + FINISH_TIMEOUT
            self._release_console()
            logger.warning("teamsite: the run %s was stopped from the web page.", self.path)

    def _went_offline(self, exc):
        if not self._offline:
            self._offline = True
            self._warn(
                f"teamsite: cannot reach {self._transport.base_url} ({exc}); the run keeps its data in memory "
                f"(up to {self.max_buffered_points:,} points) and retries in the background."
            )

    def _back_online(self):
        if self._offline:
            self._offline = False
            logger.info("teamsite: %s answers again; sending what waited.", self._transport.base_url)

    def _pump(self, channel: _Channel, now: float, *, force: bool) -> bool:
        """Send the channel's next item if it is due; True when something left."""
        if channel.pending is None:
            due = force or channel.interval == 0 or now - channel.last_take >= channel.interval or (channel.ready and channel.ready())
            if not due:
                return False
            channel.last_take = now
            channel.pending = channel.take()
            if channel.pending is None:
                return False
            channel.attempts = 0
            channel.next_at = now
        if now < channel.next_at:
            return False
        try:
            channel.send(channel.pending)
        except _Offline as exc:
            self._went_offline(exc)
            self._retry(channel, now)
            return False
        except _HTTPError as exc:
            self._refused(channel, exc, now)
            return False
        self._back_online()
        sent, channel.pending = channel.pending, None
        if channel.name == "history":
            self._after_history(sent)
        return True

    def _retry(self, channel, now, retry_after=None):
        channel.attempts += 1
        channel.next_at = now + _backoff(channel.attempts, retry_after)

    def _refused(self, channel, exc, now):
        if exc.status == 429 or exc.status in GATEWAY_STATUSES:
            self._retry(channel, now, exc.retry_after)
            return
        if exc.status >= 500 and channel.attempts + 1 < MAX_SERVER_ERROR_ATTEMPTS:
            self._retry(channel, now, exc.retry_after)
            return
        channel.pending = None
        channel.dropped += 1
        if exc.status == 409:
            message = f"teamsite: the server no longer takes {channel.what} for {self.path} ({exc.message}); it was dropped."
        else:
            message = f"teamsite: the server refused {channel.what} for {self.path} ({exc.status}: {exc.message}); it was dropped."
        self._warn_once(f"{channel.name}-{exc.status}", message)

    def _after_history(self, batch):
        with self._lock:
            again = {key: self._summary_set[key] for key in batch.keys if key in self._summary_set}
            if again:
                self._patch["summary"].update(again)

    def _end(self, state):
        """Send everything still waiting, then the end state; all before the deadline."""
        deadline = self._deadline or time.monotonic() + FINISH_TIMEOUT
        for channel in self._channels:
            channel.next_at = min(channel.next_at, time.monotonic())  # one prompt try each
        while True:
            now = time.monotonic()
            if now >= deadline:
                break
            busy = False
            for channel in self._channels:
                self._pump(channel, time.monotonic(), force=True)
                if channel.pending is not None or self._has_more(channel):
                    busy = True
            if not busy:
                break
            waits = [c.next_at for c in self._channels if c.pending is not None]
            pause = (min(waits) - time.monotonic()) if waits else 0
            if pause > 0:
                time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
        with self._lock:
            body = {field: changes for field, changes in self._patch.items() if changes}
            self._patch = {"config": {}, "summary": {}}
            body["summary"] = {**self._summary_set, **body.get("summary", {})}
            if not body["summary"]:
                del body["summary"]
            body["state"] = state
        end = _Channel("end", f"the end state ({state})", lambda: None, self._send_patch, interval=0)
        end.pending = body
        while time.monotonic() < deadline and end.pending is not None:
            self._pump(end, time.monotonic(), force=True)
            if end.pending is not None:
                time.sleep(max(0.0, min(end.next_at, deadline) - time.monotonic()))
        self._state = state
        left = self._leftovers()
        if end.pending is not None:
            left.append(f"the end state ({state})")
        if left:
            self._warn(
                f"teamsite: could not send everything for {self.path} within the finish timeout; "
                f"lost: {', '.join(left)}. The server marks a silent run crashed after a few minutes."
            )

    def _has_more(self, channel):
        if channel.name == "history":
            return bool(self._rows)
        if channel.name == "system":
            return bool(self._sys_rows)
        if channel.name == "logs":
            return bool(self._lines)
        if channel.name == "patch":
            return any(self._patch.values())
        if channel.name == "files":
            return bool(self._uploads)
        if channel.name == "alerts":
            return bool(self._alerts)
        return False

    def _leftovers(self):
        left = []
        pending = {c.name: c.pending for c in self._channels}
        points = self._row_points + (pending["history"].points if pending["history"] else 0)
        if points:
            left.append(f"{points:,} history points")
        lines = len(self._lines) + (len(pending["logs"]) if pending["logs"] else 0)
        if lines:
            left.append(f"{lines:,} console lines")
        files = len(self._uploads) + (1 if pending["files"] else 0)
        if files:
            left.append(f"{files} file uploads")
        if self._sys_rows or pending["system"]:
            left.append("system metrics")
        if any(self._patch.values()) or pending["patch"]:
            left.append("config/summary changes")
        if self._alerts or pending["alerts"]:
            left.append("alerts")
        return left


# --- init, and the end of the process ---------------------------------------------------

_open_runs: set = set()
_hooks_installed = False
_uncaught_exception = False


def _at_exit():
    state = "failed" if _uncaught_exception else "finished"
    for run in list(_open_runs):
        try:
            run.finish(state=state)
        except Exception:  # pragma: no cover
            logger.exception("teamsite: could not finish %s at exit", run)


def _install_hooks():
    global _hooks_installed
    if _hooks_installed:
        return
    _hooks_installed = True
    atexit.register(_at_exit)
    previous = sys.excepthook

    def excepthook(exc_type, exc, tb):
        global _uncaught_exception
        if not issubclass(exc_type, RunStopped):
            _uncaught_exception = True
        previous(exc_type, exc, tb)

    sys.excepthook = excepthook


def _create_run(transport: _Transport, path: str, body: dict) -> dict:
    attempts = 0
    while True:
        attempts += 1
        try:
            return transport.request("POST", path, body)
        except _HTTPError as exc:
            if exc.status == 409 and attempts > 1:
                # an earlier try reached the server but its answer was lost
                return transport.request("GET", f"{path}/{_q(body['run_id'])}")
            transient = exc.status == 429 or exc.status >= 500
            if not transient or attempts >= 4:
                raise TeamsiteError(exc.message, status=exc.status, code=exc.code, fields=exc.fields) from None
        except _Offline as exc:
            if attempts >= 4:
                raise TeamsiteError(
                    f"Cannot reach the teamsite server at {transport.base_url} ({exc}). "
                    "Set TEAMSITE_BASE_URL or pass base_url= to init."
                ) from None
        time.sleep(_backoff(attempts))


def _pick_team(transport: _Transport) -> str:
    try:
        viewer = transport.request("GET", "/viewer") or {}
    except _HTTPError as exc:
        raise TeamsiteError(exc.message, status=exc.status, code=exc.code) from None
    except _Offline as exc:
        raise TeamsiteError(f"Cannot reach the teamsite server at {transport.base_url} ({exc}).") from None
    teams = [entry.get("team") for entry in viewer.get("teams", [])]
    if len(teams) == 1:
        return teams[0]
    if not teams:
        raise TeamsiteError(f"{viewer.get('username', 'This account')} is in no team; pass team= or set TEAMSITE_TEAM.")
    raise TeamsiteError(f"Pass team= or set TEAMSITE_TEAM; this account is in {', '.join(sorted(teams))}.")


def init(
    project: str | None = None,
    config=None,
    name: str | None = None,
    tags=None,
    group: str | None = None,
    job_type: str | None = None,
    team: str | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    notes: str | None = None,
    run_id: str | None = None,
    on_stop=None,
    capture_console: bool = True,
    system_metrics_interval: float | None = 15.0,
    heartbeat_interval: float = 15.0,
) -> Run:
    """Start a run in `team`/`project` and return it (see the module docstring)."""
    base_url = base_url or os.environ.get("TEAMSITE_BASE_URL") or DEFAULT_BASE_URL
    api_key = api_key or os.environ.get("TEAMSITE_API_KEY")
    if not api_key:
        raise TeamsiteError(
            "No API key: pass api_key= or set TEAMSITE_API_KEY. Make one under Settings > API keys "
            "or with `python manage.py create_api_key USERNAME`."
        )
    project = project or os.environ.get("TEAMSITE_PROJECT")
    if not project:
        raise TeamsiteError("Name the project: ts.init(project=...) or TEAMSITE_PROJECT.")
    if config is not None and not isinstance(config, Mapping):
        if hasattr(config, "__dict__"):  # argparse.Namespace and friends
            config = vars(config)
        else:
            raise TypeError(f"teamsite: config is a dict, not {type(config).__name__}.")
    if tags is not None and isinstance(tags, str):
        tags = [tags]
    transport = _Transport(base_url, api_key)
    team = team or os.environ.get("TEAMSITE_TEAM") or _pick_team(transport)
    body = {
        "run_id": run_id or "".join(secrets.choice(RUN_ID_ALPHABET) for _ in range(8)),
        "name": name,
        "config": _jsonable(dict(config), "config") if config is not None else None,
        "tags": [str(tag) for tag in tags] if tags is not None else None,
        "notes": notes,
        "group": group,
        "job_type": job_type,
        "host": socket.gethostname(),
        "username": os.environ.get("TEAMSITE_USERNAME") or None,
        "user_email": os.environ.get("TEAMSITE_USER_EMAIL") or None,
    }
    body = {key: value for key, value in body.items() if value is not None}
    info = _create_run(transport, f"/teams/{_q(team)}/projects/{_q(project)}/runs", body)
    _install_hooks()
    return Run(
        transport=transport,
        team=team,
        project=project,
        info=info,
        on_stop=on_stop,
        capture_console=capture_console,
        system_metrics_interval=system_metrics_interval,
        heartbeat_interval=heartbeat_interval,
    )
