"""TEAMSITE_MODE=offline and disabled.

Offline, a run talks to a `JournalTransport`: every request is written to the
run's folder (journal.py) and answered at once as the server would, so the run
behaves exactly as online and `teamsite sync` later sends the same requests.
Disabled, `init` returns a `DisabledRun`, whose every method does nothing.
"""

from __future__ import annotations

from typing import Any

from .journal import RunFolder
from .transport import Transport


class JournalTransport(Transport):
    """Writes requests to a run folder instead of the network."""

    def __init__(self, folder: RunFolder, base_url: str):
        super().__init__(base_url, "offline")
        self.folder = folder
        self.runs: dict[str, dict] = {}

    def request(self, method: str, path: str, body: Any = None, *, data=None, headers=None, timeout=None) -> Any:
        if path.endswith("/heartbeat"):
            return {"stop_requested": False}
        if method == "GET":
            return self.runs.get(path.rsplit("/", 1)[-1], {})
        self.folder.append({"m": method, "p": path, "b": body})
        if method == "POST" and path.endswith("/runs"):
            info = {"run_id": body["run_id"], "name": body.get("name") or body["run_id"], "config": body.get("config") or {}, "summary": {}}
            self.runs[body["run_id"]] = info
            return info
        if path.endswith(("/history", "/system-metrics")):
            cols = (body or {}).get("columns")
            if cols:
                return {"accepted": sum(1 for values in cols["values"].values() for v in values if v is not None)}
            return {"accepted": sum(len(row["values"]) for row in (body or {}).get("rows", []))}
        return {}

    def upload(self, path: str, field: str, local: str, timeout=None) -> None:
        self.folder.append({"m": "UPLOAD", "p": path, "field": field, "local": self.folder.blob(copy_of=local)})

    def upload_media(self, path: str, meta: dict, filename: str, payload: bytes, timeout=None) -> None:
        self.folder.append({"m": "MEDIA", "p": path, "meta": meta, "filename": filename, "blob": self.folder.blob(payload)})


class _Nothing(dict):
    """config and summary of a disabled run: a dict that sends nothing."""

    def update(self, *args, **kwargs):
        dict.update(self, *args, **kwargs)


class DisabledRun:
    """What `init` returns with TEAMSITE_MODE=disabled: every call is a no-op."""

    def __init__(self, project: str | None = None, config: dict | None = None, name: str | None = None):
        self.run_id = "disabled"
        self.name = name or "disabled"
        self.project = project or ""
        self.team = ""
        self.url = ""
        self.config = _Nothing(config or {})
        self.summary = _Nothing()
        self.warnings: list[str] = []
        self.stopped = False
        self.state = "running"
        self.folder = None

    def log(self, data, step=None) -> None:
        pass

    def save(self, path, name=None) -> list[str]:
        return []

    def alert(self, *args, **kwargs) -> None:
        pass

    def finish(self, state: str = "finished", timeout: float | None = None) -> None:
        self.state = state

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        self.finish("failed" if exc_type else "finished")
        return False
