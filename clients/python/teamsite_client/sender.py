"""The background half of a run: one daemon thread does all network work.

`Sender` is mixed into `Run` (run.py) and works on the run's buffers under the
run's lock. Each kind of request is a `Channel`: one item in flight at a time,
retried with backoff. History leaves every FLUSH_INTERVAL seconds or as soon as
FLUSH_POINTS wait, in batches of at most MAX_POINTS_PER_REQUEST points, each
with its own batch_id kept across retries (the server stores a batch once).
Network errors, 429 and gateway errors are retried for as long as the run lives,
other 5xx MAX_SERVER_ERROR_ATTEMPTS times; any other 4xx drops the request with
one warning. A heartbeat answering `stop_requested` ends the run as stopped.
"""

from __future__ import annotations

import logging
import os
import time
import traceback
import uuid

from . import limits
from .spool import Spooler
from .transport import HTTPStatusError, Offline, backoff

logger = logging.getLogger("teamsite_client")


def steps_in_order(rows: list[dict]) -> bool:
    return all(a["step"] <= b["step"] for a, b in zip(rows, rows[1:]))


def columns(rows: list[dict]) -> dict:
    """Rows as the server's column form: one list per metric, null where a step lacks it."""
    keys: dict = {}
    for row in rows:
        for key in row["values"]:
            keys.setdefault(key, None)
    return {
        "step": [row["step"] for row in rows],
        "ts": [row.get("ts") or time.time() for row in rows],
        "values": {key: [row["values"].get(key) for row in rows] for key in keys},
    }


class Channel:
    """One kind of request: one item in flight at a time, retried with backoff."""

    def __init__(self, name, what, take, send, *, interval=None, ready=None):
        self.name = name
        self.what = what  # for warnings: "history", "an alert"...
        self.take = take  # () -> the next item to send, or None
        self.send = send  # item -> None; raises Offline or HTTPStatusError
        self.interval = limits.FLUSH_INTERVAL if interval is None else interval
        self.ready = ready  # () -> bool: leave before the interval is up
        self.pending = None
        self.attempts = 0
        self.next_at = 0.0
        self.last_take = time.monotonic()
        self.dropped = 0


class Batch:
    """Rows of history or system metrics sent as one request, under one batch_id."""

    def __init__(self, rows, points, batch_id=None):
        self.rows = rows
        self.points = points
        self.batch_id = batch_id or uuid.uuid4().hex
        self.keys = {key for row in rows for key in row["values"]}


class Sender(Spooler):
    """What the background thread does for a Run (see the module docstring)."""

    # --- taking from the buffers, sending -----------------------------------------

    @staticmethod
    def _rows_body(rows, batch_id):
        return {"columns": columns(rows), "batch_id": batch_id} if steps_in_order(rows) else {"rows": rows, "batch_id": batch_id}

    def _post_rows(self, kind, rows, batch_id):
        """Send one batch of history ("history") or system metrics ("system")."""
        endpoint = "history" if kind == "history" else "system-metrics"
        body = self._rows_body(rows, batch_id)
        answer = self._transport.request("POST", f"{self._base}/{endpoint}", body, timeout=self._timeout())
        return (answer or {}).get("accepted")

    def _take_rows(self, buffer, row_of):
        rows, points = [], 0
        while buffer and points + len(row_of(buffer[0])["values"]) <= limits.MAX_POINTS_PER_REQUEST:
            row = row_of(buffer.popleft())
            rows.append(row)
            points += len(row["values"])
        return rows, points

    def _take_history(self):
        if self._spool_waiting():
            return None  # older history waits on disk: it goes first
        return self._take_memory_history()

    def _take_memory_history(self):
        with self._lock:
            if not self._rows:
                return None
            rows, points = self._take_rows(self._rows, lambda r: {"step": r[0], "values": r[1], "ts": r[2]})
            self._row_points -= points
        return Batch(rows, points)

    def _take_system(self):
        with self._lock:
            if not self._sys_rows:
                return None
            rows, points = self._take_rows(self._sys_rows, lambda r: r)
        return Batch(rows, points)

    def _take_lines(self):
        with self._lines_lock:
            if not self._lines:
                return None
            count = min(len(self._lines), limits.MAX_LINES_PER_REQUEST)
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
        self._transport.upload(f"{self._base}/files", field, local, timeout=max(60.0, self._timeout()))

    def _take_media(self):
        with self._lock:
            return self._media.popleft() if self._media else None

    def _send_media(self, item):
        meta, filename, payload = item
        self._transport.upload_media(f"{self._base}/media", meta, filename, payload, timeout=max(60.0, self._timeout()))

    def _take_alert(self):
        with self._lock:
            return self._alerts.popleft() if self._alerts else None

    def _send_alert(self, body):
        self._transport.request("POST", f"{self._base}/alerts", body, timeout=self._timeout())

    def _timeout(self):
        if self._deadline is None:
            return limits.REQUEST_TIMEOUT
        return max(0.5, min(limits.REQUEST_TIMEOUT, self._deadline - time.monotonic()))

    # --- the thread ------------------------------------------------------------------

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
            self._forget()
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
        except Offline as exc:
            self._went_offline(exc)
            return
        except HTTPStatusError as exc:
            if exc.status >= 500 or exc.status == 429:
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
                self._deadline = time.monotonic() + limits.FINISH_TIMEOUT
            self._release_console()
            logger.warning("teamsite: the run %s was stopped from the web page.", self.path)

    def _went_offline(self, exc):
        if not self._offline:
            self._offline = True
            self._warn(
                f"teamsite: cannot reach {self._transport.base_url} ({exc}); the run keeps its data "
                f"(in memory, then on disk past {limits.SPILL_POINTS:,} points) and retries in the background."
            )

    def _back_online(self):
        if self._offline:
            self._offline = False
            logger.info("teamsite: %s answers again; sending what waited.", self._transport.base_url)

    def _pump(self, channel: Channel, now: float, *, force: bool) -> bool:
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
        except Offline as exc:
            self._went_offline(exc)
            self._retry(channel, now)
            return False
        except HTTPStatusError as exc:
            self._refused(channel, exc, now)
            return False
        self._back_online()
        sent, channel.pending = channel.pending, None
        if channel.name == "history":
            self._after_history(sent)
        return True

    def _retry(self, channel, now, retry_after=None):
        channel.attempts += 1
        channel.next_at = now + backoff(channel.attempts, retry_after)

    def _refused(self, channel, exc, now):
        if exc.status == 429 or exc.status in limits.GATEWAY_STATUSES:
            self._retry(channel, now, exc.retry_after)
            return
        if exc.status >= 500 and channel.attempts + 1 < limits.MAX_SERVER_ERROR_ATTEMPTS:
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

    # --- the end ---------------------------------------------------------------------

    def _end(self, state):
        """Send everything still waiting, then the end state; all before the deadline."""
        deadline = self._deadline or time.monotonic() + limits.FINISH_TIMEOUT
        for channel in self._channels:
            channel.next_at = min(channel.next_at, time.monotonic())  # one prompt try each
        while time.monotonic() < deadline:
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
        end = Channel("end", f"the end state ({state})", lambda: None, self._send_patch, interval=0)
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
            self._keep_on_disk(end.pending)
            where = self._folder.path
            self._warn(
                f"teamsite: the server took not everything for {self.path} within the finish timeout; "
                f"the rest ({', '.join(left)}) is saved in {where}: send it with `teamsite sync {where}`."
            )

    def _has_more(self, channel):
        buffers = {
            "history": self._rows, "system": self._sys_rows, "logs": self._lines,
            "files": self._uploads, "alerts": self._alerts,
        }
        if channel.name == "patch":
            return any(self._patch.values())
        if channel.name == "spool":
            return self._spool_waiting()
        if channel.name == "media":
            return bool(self._media)
        return bool(buffers.get(channel.name))

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
        if self._media or pending["media"]:
            left.append(f"{len(self._media) + (1 if pending['media'] else 0)} media")
        if self._spool_waiting() or pending["spool"]:
            left.append("history saved on disk during the outage")
        return left
