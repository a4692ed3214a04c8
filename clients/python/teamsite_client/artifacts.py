"""Artifacts from a training script: version datasets and models, use them, download them.

    art = ts.Artifact("mnist", type="dataset", description="...", metadata={"rows": 70000})
    art.add_file("labels.csv"); art.add_dir("images/")
    run.log_artifact(art, aliases=["best"])          # -> {"version": "v3", "digest": ..., "created": True}
    used = run.use_artifact("mnist-project/mnist:latest")
    path = used.download()                           # ./artifacts/mnist-v3/

How it behaves:

- The digest (spec/api.md: SHA-256 of `path:sha256\\n` lines sorted by path) is
  computed here before anything is sent; each file's sha256 is remembered by
  (path, size, mtime) in the local cache, so unchanged files are not read again.
- The site answers which contents it lacks; only those are sent, in parts of
  PART_SIZE bytes (`Content-Range`), streamed from disk. A dropped connection is
  retried with backoff, resuming from what the site holds; an interrupted upload
  is resumed by logging the same artifact again (the upload id is kept in the cache).
- Downloads check every file's sha256 and go through a local cache keyed by
  sha256 (TEAMSITE_CACHE_DIR, default ~/.cache/teamsite; at most
  TEAMSITE_CACHE_LIMIT bytes, default 20 GiB, least recently used first out):
  a second download of unchanged files reads nothing from the network.
  `teamsite cache clean` empties it.
- A tqdm progress bar when tqdm is installed, plain lines on stderr otherwise
  (progress=False: silent).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from .cache import Cache, cache_dir, clean, hash_file  # noqa: F401  (cache_dir and clean: `teamsite cache clean`)
from .errors import TeamsiteError
from .transport import HTTPStatusError, Offline, Transport, backoff, quote

PART_SIZE = 64 * 1024 * 1024
CHUNK = 1024 * 1024
ATTEMPTS = 8


def digest_of(pairs) -> str:
    return hashlib.sha256("".join(f"{path}:{sha}\n" for path, sha in sorted(pairs)).encode()).hexdigest()


# --- Progress ---------------------------------------------------------------------------------------


class Progress:
    def __init__(self, total: int, label: str, enabled: bool = True):
        self.total, self.label, self.done, self._bar, self._last = total, label, 0, None, -1
        self.enabled = enabled and total > 0
        if self.enabled:
            try:
                from tqdm import tqdm

                self._bar = tqdm(total=total, unit="B", unit_scale=True, desc=label)
            except ImportError:
                self._bar = None

    def update(self, n: int):
        self.done += n
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.update(n)
            return
        tenth = self.done * 10 // self.total
        if tenth != self._last:
            self._last = tenth
            print(f"teamsite: {self.label}: {self.done / 1e6:,.1f} of {self.total / 1e6:,.1f} MB", file=sys.stderr)

    def close(self):
        if self._bar is not None:
            self._bar.close()


# --- Artifacts --------------------------------------------------------------------------------------


class Artifact:
    """A version to be: files by relative path, with a type, description and metadata."""

    def __init__(self, name: str, type: str, description: str = "", metadata: dict | None = None):
        self.name, self.type, self.description = name, type, description
        self.metadata = dict(metadata or {})
        self.files: dict[str, str] = {}  # relative path -> local path

    def add_file(self, path: str | os.PathLike, name: str | None = None) -> str:
        local = os.fspath(path)
        if not os.path.isfile(local):
            raise FileNotFoundError(local)
        relative = (name or os.path.basename(local)).replace("\\", "/").lstrip("/")
        self.files[relative] = local
        return relative

    def add_dir(self, path: str | os.PathLike, name: str | None = None) -> list[str]:
        root = os.fspath(path)
        if not os.path.isdir(root):
            raise NotADirectoryError(root)
        added = []
        for folder, _, names in os.walk(root):
            for filename in sorted(names):
                local = os.path.join(folder, filename)
                relative = os.path.relpath(local, root).replace(os.sep, "/")
                added.append(self.add_file(local, f"{name.rstrip('/')}/{relative}" if name else relative))
        return added

    def manifest(self, cache: Cache) -> list[dict]:
        return [{"path": path, "size": os.path.getsize(local), "sha256": cache.sha256(local)} for path, local in sorted(self.files.items())]

    def digest(self, cache: Cache | None = None) -> str:
        cache = cache or Cache()
        return digest_of((item["path"], item["sha256"]) for item in self.manifest(cache))

    def __repr__(self):
        return f"<Artifact {self.name} ({self.type}), {len(self.files)} files>"


def _artifacts_path(team, project, name) -> str:
    return f"/teams/{quote(team)}/projects/{quote(project)}/artifacts/{quote(name)}"


def log_artifact(transport: Transport, team: str, project: str, art: Artifact, *, aliases=None, run_id=None, progress=True, cache=None) -> dict:
    """Upload what the site lacks, then log the version; {"version", "digest", "created"}."""
    if not art.files:
        raise TeamsiteError(f"The artifact {art.name} has no files: add_file or add_dir first.")
    cache = cache or Cache()
    manifest = art.manifest(cache)
    base = _artifacts_path(team, project, art.name)
    key = f"{team}/{project}/{art.name}:{digest_of((m['path'], m['sha256']) for m in manifest)}"
    upload_id, missing, received = _resume(transport, base, cache.pending(key), manifest)
    if upload_id is None:
        started = _call(transport, "POST", f"{base}/uploads", {"files": manifest})
        upload_id, missing, received = started["upload_id"], started["missing"], {}
        cache.remember(key, upload_id)
    by_sha = {item["sha256"]: (art.files[item["path"]], item["size"]) for item in manifest}
    total = sum(by_sha[sha][1] for sha in missing)
    bar = Progress(total, f"uploading {art.name}", progress)
    try:
        for sha in missing:
            local, size = by_sha[sha]
            _send(transport, f"{base}/uploads/{upload_id}/blobs/{sha}", local, size, received.get(sha, 0), bar, f"{base}/uploads/{upload_id}", sha)
    except BaseException:
        bar.close()
        print(f"teamsite: the upload of {art.name} stopped after {bar.done:,} of {total:,} bytes; "
              "log the same artifact again to resume where it stopped.", file=sys.stderr)
        raise
    bar.close()
    body = {"type": art.type, "description": art.description, "metadata": art.metadata, "aliases": list(aliases or []), "run_id": run_id}
    answer = _call(transport, "POST", f"{base}/uploads/{upload_id}/commit", body)
    cache.remember(key, None)
    return answer


def _resume(transport, base, upload_id, manifest):
    """A pending upload of the same content: (upload_id, missing, received), or (None, ...)."""
    if not upload_id:
        return None, [], {}
    try:
        status = transport.request("GET", f"{base}/uploads/{upload_id}")
    except (HTTPStatusError, Offline):
        return None, [], {}
    if status.get("committed"):
        return None, [], {}
    return upload_id, status.get("missing", []), status.get("received", {})


def _call(transport, method, path, body=None):
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return transport.request(method, path, body)
        except Offline:
            if attempt == ATTEMPTS:
                raise TeamsiteError(f"The site did not answer {method} {path}; try again later.") from None
            time.sleep(backoff(attempt))
        except HTTPStatusError as exc:
            if exc.status < 500 or attempt == ATTEMPTS:
                raise TeamsiteError(exc.message) from None
            time.sleep(backoff(attempt))
    raise AssertionError("unreachable")


def _send(transport, url_path, local, size, start, bar, status_path, sha):
    """Send `local` from byte `start` in parts; after a dropped connection ask what arrived and resume."""
    before = bar.done
    bar.update(start)
    attempt = 0
    while start < size:
        end = min(size, start + PART_SIZE) - 1
        try:
            answer = transport.request(
                "PUT", url_path, data=_chunks(local, start, end - start + 1, bar),
                headers={"Content-Range": f"bytes {start}-{end}/{size}", "Content-Length": str(end - start + 1), "Content-Type": "application/octet-stream"},
                timeout=600,
            )
            held = int(answer["received"])
        except (Offline, HTTPStatusError) as exc:
            if isinstance(exc, HTTPStatusError) and exc.status < 500 and exc.status != 409:
                raise TeamsiteError(exc.message) from None
            attempt += 1
            if attempt >= ATTEMPTS:
                raise TeamsiteError(f"The upload of {local} failed {attempt} times; log the artifact again to resume.") from None
            time.sleep(backoff(attempt))
            try:
                held = int(transport.request("GET", status_path)["received"].get(sha, 0))
            except (Offline, HTTPStatusError):
                held = start
        bar.update(before + held - bar.done)  # the bar follows what the site holds
        start = held


def _chunks(local, start, length, bar):
    with open(local, "rb") as handle:
        handle.seek(start)
        left = length
        while left > 0:
            data = handle.read(min(CHUNK, left))
            if not data:
                return
            left -= len(data)
            bar.update(len(data))
            yield data


# --- Using and downloading ---------------------------------------------------------------------------


class UsedArtifact:
    """An artifact version a run used: its files, and `download(root=None)`."""

    def __init__(self, transport: Transport, team: str, info: dict[str, Any]):
        self._transport = transport
        self.team = team
        self.project = info.get("project")
        self.name = info.get("artifact")
        self.type = info.get("type")
        self.version = info["version"]
        self.digest = info["digest"]
        self.metadata = info.get("metadata") or {}
        self.description = info.get("description") or ""
        self.aliases = info.get("aliases") or []
        self.files = info.get("files") or []

    def __repr__(self):
        return f"<UsedArtifact {self.project}/{self.name}:{self.version}>"

    def download(self, root: str | os.PathLike | None = None, *, progress=True, cache: Cache | None = None) -> str:
        """Every file under `root` (default ./artifacts/<name>-<version>), checked by sha256; the folder."""
        cache = cache or Cache()
        target = Path(root or Path("artifacts") / f"{self.name}-{self.version}")
        base = f"{_artifacts_path(self.team, self.project, self.name)}/versions/{quote(self.version)}/files/"
        needed = [f for f in self.files if not cache.blob(f["sha256"]).exists()]
        bar = Progress(sum(f["size"] for f in needed), f"downloading {self.name}:{self.version}", progress)
        try:
            for item in self.files:
                blob = cache.blob(item["sha256"])
                if not blob.exists():
                    _fetch(self._transport, base + "/".join(quote(part) for part in item["path"].split("/")), item, blob, bar)
                os.utime(blob)  # recently used: pruned last
                destination = target / item["path"]
                if destination.is_file() and destination.stat().st_size == item["size"] and cache.sha256(str(destination)) == item["sha256"]:
                    continue
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(blob, destination)
        finally:
            bar.close()
        cache.prune()
        return str(target)


def _fetch(transport: Transport, path: str, item: dict, blob: Path, bar: Progress):
    blob.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, ATTEMPTS + 1):
        handle, temporary = tempfile.mkstemp(dir=blob.parent, prefix=".part-")
        digest = hashlib.sha256()
        got = 0
        try:
            request = urllib.request.Request(f"{transport.base_url}/api/v1{path}", headers={"Authorization": f"Bearer {transport.api_key}"})
            with os.fdopen(handle, "wb") as out, urllib.request.urlopen(request, timeout=600) as response:
                while True:
                    data = response.read(CHUNK)
                    if not data:
                        break
                    digest.update(data)
                    out.write(data)
                    got += len(data)
                    bar.update(len(data))
        except urllib.error.HTTPError as exc:
            os.unlink(temporary)
            error = Transport._error(exc)
            if error.status < 500 or attempt == ATTEMPTS:
                raise TeamsiteError(error.message) from None
        except OSError:
            os.unlink(temporary)
            bar.update(-got)
            if attempt == ATTEMPTS:
                raise TeamsiteError(f"Downloading {item['path']} failed {attempt} times.") from None
        else:
            if digest.hexdigest() != item["sha256"] or got != item["size"]:
                os.unlink(temporary)
                raise TeamsiteError(f"{item['path']} arrived with other bytes than its sha256 says; nothing was kept.")
            os.replace(temporary, blob)
            return
        time.sleep(backoff(attempt))


def use_artifact(transport: Transport, team: str, project: str, run_id: str, ref: str) -> UsedArtifact:
    if "/" not in ref.split(":", 1)[0]:
        ref = f"{project}/{ref}"
    info = _call(transport, "POST", f"/teams/{quote(team)}/projects/{quote(project)}/runs/{quote(run_id)}/uses", {"artifact": ref})
    info.setdefault("project", ref.split("/", 1)[0])
    return UsedArtifact(transport, team, info)

