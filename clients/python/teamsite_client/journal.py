"""A run's folder on disk: what could not be sent (yet), in the order it happened.

Offline mode (`TEAMSITE_MODE=offline`) writes every request a run makes here,
under TEAMSITE_DIR (default ./teamsite), one `offline-run-<time>-<id>` folder per
run. Online, a run writes here only when the server is away: history past
limits.SPILL_POINTS goes to disk instead of memory and is sent from here first
when the server is back; what finish() could not send in time stays here too
(`run-<time>-<id>`). `teamsite sync DIR...` sends the rest.

A folder holds `teamsite-run.json` (server, team, project, run_id),
`requests.jsonl` (one request a line: {"m": method, "p": path, "b": body}, or an
upload {"m": "UPLOAD", "field", "local"}, or media {"m": "MEDIA", "meta", "blob"}),
the bytes they name under `blobs/`, and `synced.json` ({"done": n}: how many
lines reached the server). History batches keep their batch_id and every line is
sent once, so syncing twice adds nothing twice.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from pathlib import Path
from typing import Any

from .transport import HTTPStatusError, Transport, multipart, multipart_media

JOURNAL, INFO, MARKER, BLOBS = "requests.jsonl", "teamsite-run.json", "synced.json", "blobs"


def root_dir() -> Path:
    return Path(os.environ.get("TEAMSITE_DIR") or "teamsite")


class RunFolder:
    """One run's folder: append requests, read them back from an index."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._count = None

    @classmethod
    def create(cls, *, prefix: str, run_id: str, info: dict) -> RunFolder:
        stamp = time.strftime("%Y%m%d_%H%M%S")
        path = root_dir() / f"{prefix}-{stamp}-{run_id}"
        (path / BLOBS).mkdir(parents=True, exist_ok=True)
        (path / INFO).write_text(json.dumps(info, indent=2) + "\n")
        folder = cls(path)
        folder._count = 0
        return folder

    @property
    def info(self) -> dict:
        return json.loads((self.path / INFO).read_text())

    def size(self) -> int:
        try:
            return (self.path / JOURNAL).stat().st_size
        except OSError:
            return 0

    def append(self, entry: dict) -> int:
        """Write one request; its index."""
        line = json.dumps(entry, separators=(",", ":")) + "\n"  # NaN/Infinity kept as JSON literals, as the API takes them
        with self._lock:
            with open(self.path / JOURNAL, "a", encoding="utf-8") as handle:
                handle.write(line)
            index = self.count()
            self._count = index + 1
            return index

    def count(self) -> int:
        if self._count is None:
            try:
                with open(self.path / JOURNAL, encoding="utf-8") as handle:
                    self._count = sum(1 for _ in handle)
            except OSError:
                self._count = 0
        return self._count

    def entries(self, start: int = 0):
        """(index, entry) from `start` on."""
        try:
            handle = open(self.path / JOURNAL, encoding="utf-8")
        except OSError:
            return
        with handle:
            for index, line in enumerate(handle):
                if index >= start and line.strip():
                    yield index, json.loads(line)

    def blob(self, data: bytes | None = None, *, copy_of: str | None = None) -> str:
        """Keep bytes (or a copy of a file) with the folder; the relative name."""
        name = f"{BLOBS}/{time.time_ns()}-{threading.get_ident()}"
        target = self.path / name
        if copy_of is not None:
            shutil.copyfile(copy_of, target)
        else:
            target.write_bytes(data or b"")
        return name

    def done(self) -> int:
        try:
            return int(json.loads((self.path / MARKER).read_text()).get("done", 0))
        except (OSError, ValueError):
            return 0

    def mark(self, done: int) -> None:
        tmp = self.path / (MARKER + ".tmp")
        tmp.write_text(json.dumps({"done": done}))
        os.replace(tmp, self.path / MARKER)


def send(transport: Transport, folder: RunFolder, entry: dict, timeout: float | None = None) -> Any:
    """Send one journal entry (raises Offline or HTTPStatusError as Transport.request does)."""
    method = entry["m"]
    if method == "UPLOAD":
        headers, body = multipart(entry["field"], str(folder.path / entry["local"]))
        return transport.request("POST", entry["p"], data=body, headers=headers, timeout=max(60.0, timeout or 0))
    if method == "MEDIA":
        payload = (folder.path / entry["blob"]).read_bytes()
        headers, body = multipart_media(json.dumps(entry["meta"]), entry.get("filename") or "media", payload)
        return transport.request("POST", entry["p"], data=body, headers=headers, timeout=max(60.0, timeout or 0))
    return transport.request(method, entry["p"], entry.get("b"), timeout=timeout)


def sync(folder: RunFolder, transport: Transport) -> tuple[int, list[str]]:
    """Send what the folder holds past its marker; (lines sent, problems). Raises Offline
    when the server cannot be reached (the marker keeps what was sent)."""
    done = folder.done()
    sent, problems = 0, []
    for index, entry in folder.entries(done):
        try:
            send(transport, folder, entry)
        except HTTPStatusError as exc:
            creating = entry["m"] == "POST" and entry["p"].endswith("/runs")
            if exc.status >= 500 or exc.status == 429:
                raise
            if not (creating and exc.status == 409):  # the run exists: an earlier sync made it
                problems.append(f"{entry['m']} {entry['p']}: {exc.status} {exc.message}")
        sent += 1
        folder.mark(index + 1)
    return sent, problems
