"""The local artifact cache: blobs by sha256 (least recently used out first), the sha256 of
local files by (path, size, mtime), and pending upload ids to resume."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
from pathlib import Path

CHUNK = 1024 * 1024
DEFAULT_CACHE_LIMIT = 20 * 1024**3


def cache_dir() -> Path:
    return Path(os.environ.get("TEAMSITE_CACHE_DIR") or Path.home() / ".cache" / "teamsite")


def cache_limit() -> int:
    try:
        return int(os.environ.get("TEAMSITE_CACHE_LIMIT") or DEFAULT_CACHE_LIMIT)
    except ValueError:
        return DEFAULT_CACHE_LIMIT


class Cache:
    """Blobs by sha256, hashes of local files by (path, size, mtime), pending upload ids."""

    def __init__(self, root: Path | None = None):
        self.root = Path(root or cache_dir())
        self.blobs = self.root / "blobs"
        self.blobs.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.root / "index.sqlite3", timeout=30, check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS hashes (path TEXT PRIMARY KEY, size INTEGER, mtime INTEGER, sha256 TEXT)")
        self._db.execute("CREATE TABLE IF NOT EXISTS uploads (key TEXT PRIMARY KEY, upload_id TEXT)")
        self._db.commit()

    def close(self):
        self._db.close()

    def sha256(self, path: str) -> str:
        stat = os.stat(path)
        key = os.path.realpath(path)
        row = self._db.execute("SELECT size, mtime, sha256 FROM hashes WHERE path = ?", (key,)).fetchone()
        if row and row[0] == stat.st_size and row[1] == stat.st_mtime_ns:
            return row[2]
        digest = hash_file(path)
        self._db.execute("INSERT OR REPLACE INTO hashes VALUES (?, ?, ?, ?)", (key, stat.st_size, stat.st_mtime_ns, digest))
        self._db.commit()
        return digest

    def pending(self, key: str) -> str | None:
        row = self._db.execute("SELECT upload_id FROM uploads WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def remember(self, key: str, upload_id: str | None):
        if upload_id:
            self._db.execute("INSERT OR REPLACE INTO uploads VALUES (?, ?)", (key, upload_id))
        else:
            self._db.execute("DELETE FROM uploads WHERE key = ?", (key,))
        self._db.commit()

    def blob(self, sha256: str) -> Path:
        return self.blobs / sha256[:2] / sha256

    def prune(self, limit: int | None = None) -> int:
        """Remove least recently used blobs until the cache holds at most `limit` bytes; bytes freed."""
        limit = cache_limit() if limit is None else limit
        files = [(p.stat().st_mtime, p.stat().st_size, p) for p in self.blobs.glob("*/*") if p.is_file()]
        total = sum(size for _, size, _ in files)
        freed = 0
        for _, size, path in sorted(files):
            if total - freed <= limit:
                break
            path.unlink(missing_ok=True)
            freed += size
        return freed


def clean(root: Path | None = None) -> int:
    """Empty the cache; the bytes freed (`teamsite cache clean`)."""
    root = Path(root or cache_dir())
    freed = sum(p.stat().st_size for p in (root / "blobs").glob("*/*") if p.is_file()) if (root / "blobs").exists() else 0
    shutil.rmtree(root, ignore_errors=True)
    return freed


def hash_file(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while True:
            data = handle.read(CHUNK)
            if not data:
                return digest.hexdigest()
            digest.update(data)


