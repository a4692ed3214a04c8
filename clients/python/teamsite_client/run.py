"""The run a script logs to: what the training thread calls.

`Run` is made by `teamsite_client.init`. Its methods only check their input and
append to memory; the background half (sender.py) does all network work.
"""

from __future__ import annotations

import glob as globbing
import logging
import os
import posixpath
import threading
import time
import traceback
import warnings
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from . import limits
from .console import ConsoleTee, capture_console, release_console
from .errors import RunStopped, TeamsiteError, TeamsiteWarning
from .journal import RunFolder
from .media import media_entries, split_media
from .sender import Channel, Sender
from .synced import Config, Summary
from .transport import Transport, quote
from .values import clean_step, flatten_metrics

logger = logging.getLogger("teamsite_client")

END_STATES = frozenset({"finished", "failed", "stopped", "crashed"})
ALERT_LEVELS = {"info": "info", "warn": "warn", "warning": "warn", "error": "error"}

open_runs: set = set()  # runs not finished yet; the atexit hook (session.py) finishes them


def _system_sampler():
    from .sysmetrics import SystemSampler

    return SystemSampler()


class Run(Sender):
    """A run being logged. Made by `init`; see the package docstring for the contract.

    Attributes: `run_id`, `name`, `url`, `team`, `project`, `config` (Config),
    `summary` (Summary), `warnings` (every warning this run issued, newest last).
    """

    def __init__(
        self,
        *,
        transport: Transport,
        team: str,
        project: str,
        info: dict[str, Any],
        on_stop: Callable[[Run], object] | None = None,
        capture_console: bool = True,
        system_metrics_interval: float | None = 15.0,
        heartbeat_interval: float = 15.0,
        folder: RunFolder | None = None,
    ):
        self._transport = transport
        self.team = team
        self.project: str = info.get("project") or project
        self.run_id: str = info["run_id"]
        self.name: str = info.get("name") or self.run_id
        self.url: str = info.get("url") or f"{transport.base_url}/{team}/{self.project}/runs/{self.run_id}/"
        self.config = Config(self, info.get("config") or {})
        self.summary = Summary(self, info.get("summary") or {})
        self.warnings: list[str] = []

        self._on_stop = on_stop
        self._pid = os.getpid()
        self._lock = threading.Lock()  # rows, steps and state; never held while writing or warning
        self._lines_lock = threading.Lock()
        self._wake = threading.Event()
        self._done = threading.Event()
        self._warned: set = set()

        self._rows: deque = deque()  # (step, values, ts)
        self._row_points = 0
        self.max_buffered_points = limits.MAX_BUFFERED_POINTS
        self._dropped_points = 0
        self._next_step = 0
        self._last_step = None
        self._step_warnings = 0
        self._sys_rows: deque = deque(maxlen=limits.MAX_BUFFERED_SYSTEM_ROWS)
        self._sys_step = 0
        self._lines: deque = deque()
        self._dropped_lines = 0
        self._patch: dict[str, dict] = {"config": {}, "summary": {}}
        self._summary_set: dict = {}  # keys the script set itself: they win over logged values
        self._uploads: deque = deque()
        self._alerts: deque = deque()
        self._media: deque = deque()  # (meta, filename, payload)
        # offline mode: the folder every request goes to; online: made when the server is away
        self._folder = folder
        self._journal_mode = folder is not None
        self._spooling = False  # history waits in the folder, to be sent before memory
        self._spool_next = 0
        self._spill_lock = threading.Lock()  # takes from memory and writes to disk as one step
        self._disk_lock = threading.Lock()
        self._spill_wake = threading.Event()

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
            Channel("spool", "history saved on disk", self._take_spool, self._send_spool, interval=0),
            Channel("history", "history", self._take_history, lambda b: self._post_rows("history", b.rows, b.batch_id),
                    ready=lambda: self._row_points >= limits.FLUSH_POINTS),
            Channel("system", "system metrics", self._take_system, lambda b: self._post_rows("system", b.rows, b.batch_id)),
            Channel("logs", "console lines", self._take_lines, self._post_lines),
            Channel("patch", "a config/summary change", self._take_patch, self._send_patch),
            Channel("files", "a file upload", self._take_upload, self._send_upload, interval=0),
            Channel("alerts", "an alert", self._take_alert, self._send_alert, interval=0),
            Channel("media", "media", self._take_media, self._send_media, interval=0),
        ]
        self._channels_by_name = {channel.name: channel for channel in self._channels}

        self._tees: list[tuple[str, ConsoleTee]] = []
        if capture_console:
            self._capture_console()
        self._thread = threading.Thread(target=self._worker, name=f"teamsite-run-{self.run_id}", daemon=True)
        self._thread.start()
        if not self._journal_mode:
            threading.Thread(target=self._spiller, name=f"teamsite-spill-{self.run_id}", daemon=True).start()
        open_runs.add(self)

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
    def folder(self):
        """The run's folder on disk (offline mode; online once something had to wait there), or None."""
        return self._folder.path if self._folder is not None else None

    @property
    def path(self) -> str:
        """team/project/run_id."""
        return f"{self.team}/{self.project}/{self.run_id}"

    @property
    def _base(self) -> str:
        return f"/teams/{quote(self.team)}/projects/{quote(self.project)}/runs/{quote(self.run_id)}"

    def __repr__(self) -> str:
        return f"<teamsite Run {self.path} {self._state}>"

    def __enter__(self) -> Run:
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        """A normal exit finishes the run; RunStopped leaves it stopped; any other
        exception marks it failed (its traceback goes to the run's logs) and goes on."""
        if exc_type is None or issubclass(exc_type, RunStopped):
            self.finish()
        else:
            self._add_lines("".join(traceback.format_exception(exc_type, exc, tb)).rstrip("\n").split("\n"))
            self.finish(state="failed")
        return False

    def _stop_message(self) -> str:
        return (
            f"The run {self.path} was stopped from the web page; it takes no more data. "
            "Catch teamsite_client.RunStopped to save a checkpoint and exit cleanly."
        )

    def log(self, data: Mapping[str, Any], step: int | None = None) -> None:
        """Record metrics at a step. Never waits for the network.

        Without `step` the next step of an internal counter is used (0, 1, 2, ...);
        an explicit step moves the counter, and one lower than the last step is
        dropped with a warning. Raises RunStopped once the run was stopped from the
        web page, TypeError for a value that is not a number, TeamsiteError after
        finish.
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
        data, media = split_media(data)
        values = flatten_metrics(data)
        if step is not None:
            step = clean_step(step)
        now = time.time()
        dropped, backwards, wake, spill = 0, None, False, False
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
                    dropped = self._buffer(step, values, now)
                if media:
                    self._media.extend(media_entries(media, step))
                    wake = True
                wake = self._row_points >= limits.FLUSH_POINTS
                spill = self._row_points > limits.SPILL_POINTS
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
        if spill:
            self._spill_wake.set()

    def _buffer(self, step: int, values: dict, now: float) -> int:
        """Append one step's values (under the lock); the number of old points dropped."""
        items = list(values.items())
        per_request = limits.MAX_POINTS_PER_REQUEST
        for start in range(0, len(items), per_request):
            part = dict(items[start : start + per_request])
            self._rows.append((step, part, now))
            self._row_points += len(part)
        dropped = 0
        while self._row_points > self.max_buffered_points and self._rows:
            old = self._rows.popleft()
            self._row_points -= len(old[1])
            dropped += len(old[1])
        self._dropped_points += dropped
        for key, value in values.items():
            if key not in self._summary_set:
                dict.__setitem__(self.summary, key, value)
        return dropped

    def save(self, path: str | os.PathLike, name: str | None = None) -> list[str]:
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
    def _file_name(local: str) -> str:
        absolute = os.path.abspath(local)
        relative = os.path.relpath(absolute, os.getcwd())
        if relative.startswith(".."):
            return os.path.basename(absolute)
        return relative.replace(os.sep, "/")

    def log_artifact(self, artifact, aliases=None, progress: bool = True) -> dict:
        """Log `artifact` (ts.Artifact) as made by this run; returns {"version", "digest", "created"} once the site holds it."""
        from .artifacts import log_artifact

        return log_artifact(self._transport, self.team, self.project, artifact, aliases=aliases, run_id=self.run_id, progress=progress)

    def use_artifact(self, ref: str):
        """Record that this run uses "project/name:version-or-alias" (lineage); `.download()` fetches it."""
        from .artifacts import use_artifact

        return use_artifact(self._transport, self.team, self.project, self.run_id, ref)

    def alert(self, title: str, text: str = "", level: str = "info", wait_duration: float = 300) -> None:
        """Send an alert in the background (info, warn or error); the same title within `wait_duration` seconds is stored, not sent."""
        level = getattr(level, "value", level)
        if str(level).lower() not in ALERT_LEVELS:
            raise ValueError("teamsite: level is 'info', 'warn' or 'error'.")
        title = (title or "").strip()
        if not title or len(title) > 64:  # spec/api.md: a title of 1-64 characters
            raise ValueError("teamsite: an alert needs a title of 1 to 64 characters.")
        if hasattr(wait_duration, "total_seconds"):
            wait_duration = wait_duration.total_seconds()
        body = {"title": title, "text": str(text or ""), "level": ALERT_LEVELS[str(level).lower()], "wait_duration": float(wait_duration)}
        with self._lock:
            if self._closing is not None:
                raise TeamsiteError(f"The run {self.path} is {self._closing}; it takes no more alerts.")
            self._alerts.append(body)
        self._wake.set()

    def finish(self, state: str = "finished", timeout: float | None = None) -> None:
        """Flush everything (waiting at most `timeout` seconds: TEAMSITE_FINISH_TIMEOUT,
        60 by default), end the run as `state` and restore the console. What could
        not be sent in time stays in the run's folder for `teamsite sync`, and one
        line says where. Calling it again does nothing."""
        if state not in END_STATES:
            raise ValueError(f"teamsite: state is one of {', '.join(sorted(END_STATES))}.")
        timeout = limits.finish_timeout() if timeout is None else timeout
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
        self._forget()

    def _forget(self) -> None:
        open_runs.discard(self)

    # --- console -------------------------------------------------------------------

    def _capture_console(self) -> None:
        self._tees.extend(capture_console(self._add_lines))

    def _release_console(self) -> None:
        tees, self._tees = self._tees, []
        release_console(tees)

    def _add_lines(self, lines: list[str]) -> None:
        with self._lines_lock:
            for line in lines:
                self._lines.append(line[: limits.MAX_LINE_LENGTH])
            while len(self._lines) > limits.MAX_BUFFERED_LINES:
                self._lines.popleft()
                self._dropped_lines += 1

    # --- warnings --------------------------------------------------------------------

    def _warn(self, message: str, stacklevel: int = 2) -> None:
        self.warnings.append(message)
        logger.debug(message)
        warnings.warn(message, TeamsiteWarning, stacklevel=stacklevel + 1)

    def _warn_once(self, key: str, message: str, stacklevel: int = 2) -> None:
        if key in self._warned:
            return
        self._warned.add(key)
        self._warn(message, stacklevel=stacklevel + 1)
