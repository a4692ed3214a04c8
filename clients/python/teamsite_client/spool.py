"""The disk half of a run (journal.py): history moved to disk while the server is away
or slower than the script, sent from there first when it answers; and what finish
could not send in time, left for `teamsite sync`.

`Spooler` is mixed into `Run` with `Sender` and works on the run's buffers under
the run's locks: `_spill_lock` makes taking from memory and writing to disk one
step, so the disk holds history in step order.
"""

from __future__ import annotations

import logging
import os

from . import limits
from .journal import RunFolder
from .journal import send as send_entry

logger = logging.getLogger("teamsite_client")


class Spooler:

    def _disk(self):
        """The run's folder (journal.py), made the first time something goes to disk."""
        with self._disk_lock:
            return self._make_disk()

    def _make_disk(self):
        if self._folder is None:
            self._folder = RunFolder.create(
                prefix="run", run_id=self.run_id,
                info={"base_url": self._transport.base_url, "team": self.team, "project": self.project, "run_id": self.run_id},
            )
        return self._folder

    def _spool_waiting(self):
        return self._spooling and self._spool_next < self._folder.count()

    def _take_spool(self):
        if not self._spool_waiting() or self._channels_by_name["history"].pending is not None:
            return None  # an older batch is still in flight: it goes first
        return next(self._folder.entries(self._spool_next), None)

    def _send_spool(self, item):
        index, entry = item
        send_entry(self._transport, self._folder, entry, timeout=self._timeout())
        self._spool_next = index + 1
        self._folder.mark(self._spool_next)

    def _history_entry(self, batch):
        return {"m": "POST", "p": f"{self._base}/history", "b": self._rows_body(batch.rows, batch.batch_id)}

    def _spill(self):
        """While the server is away or slower than the script, history past SPILL_POINTS
        goes to disk, oldest first, instead of memory dropping it. The spill thread
        does it (the network thread may be waiting on a slow answer); the batch in
        flight stays in flight, and the spool waits for it, so the server still sees
        steps in order."""
        if self._journal_mode or self._row_points <= limits.SPILL_POINTS:
            return
        folder = self._disk()
        if folder.size() >= limits.MAX_SPOOL_BYTES:
            self._warn_once("spool-full", f"teamsite: {folder.path} holds {limits.MAX_SPOOL_BYTES:,} bytes already; "
                            "further history waits in memory only.")
            return
        with self._spill_lock:
            self._spooling = True
            while self._row_points > limits.SPILL_POINTS // 2:
                batch = self._take_memory_history()
                if batch is None:
                    break
                folder.append(self._history_entry(batch))
        self._warn_once("spilled", f"teamsite: more history waits than the server takes now; it is kept on disk in {folder.path} and sent from there.")

    def _spiller(self):
        """The spill thread: moves history to disk when too much waits (see _spill)."""
        while self._closing is None:
            self._spill_wake.wait(0.2)
            self._spill_wake.clear()
            try:
                self._spill()
            except Exception:  # pragma: no cover - a full disk must not end the run
                logger.exception("teamsite: could not move history to disk")

    def _keep_on_disk(self, end_body):
        """What finish could not send goes to the run's folder, for `teamsite sync`."""
        with self._spill_lock:
            self._keep_on_disk_locked(end_body)

    def _keep_on_disk_locked(self, end_body):
        folder = self._disk()
        if not self._spooling:
            folder.mark(folder.count())  # lines already there were sent
        self._spooling = True
        channels = self._channels_by_name
        history = channels["history"]
        if history.pending is not None:
            folder.append(self._history_entry(history.pending))
            history.pending = None
        while True:
            batch = self._take_memory_history()
            if batch is None:
                break
            folder.append(self._history_entry(batch))
        system = [channels["system"].pending] if channels["system"].pending else []
        while True:
            batch = self._take_system()
            if batch is None:
                break
            system.append(batch)
        for batch in system:
            folder.append({"m": "POST", "p": f"{self._base}/system-metrics", "b": self._rows_body(batch.rows, batch.batch_id)})
        lines = [channels["logs"].pending] if channels["logs"].pending else []
        while True:
            more = self._take_lines()
            if more is None:
                break
            lines.append(more)
        for chunk in lines:
            folder.append({"m": "POST", "p": f"{self._base}/logs", "b": {"lines": chunk}})
        uploads = ([channels["files"].pending] if channels["files"].pending else []) + list(self._uploads)
        for local, field in uploads:
            if os.path.isfile(local):
                folder.append({"m": "UPLOAD", "p": f"{self._base}/files", "field": field, "local": folder.blob(copy_of=local)})
        media = ([channels["media"].pending] if channels["media"].pending else []) + list(self._media)
        for meta, filename, payload in media:
            folder.append({"m": "MEDIA", "p": f"{self._base}/media", "meta": meta, "filename": filename, "blob": folder.blob(payload)})
        alerts = ([channels["alerts"].pending] if channels["alerts"].pending else []) + list(self._alerts)
        for body in alerts:
            folder.append({"m": "POST", "p": f"{self._base}/alerts", "b": body})
        if end_body is not None:
            folder.append({"m": "PATCH", "p": self._base, "b": end_body})
        for channel in self._channels:
            channel.pending = None
        self._uploads.clear()
        self._media.clear()
        self._alerts.clear()
