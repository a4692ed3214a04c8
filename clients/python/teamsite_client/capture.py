"""What reproduces a run, captured in the background at init and saved as run files:
`teamsite-metadata.json` (git commit, remote, branch, dirty; Python version; the
program and its arguments; host and OS), `requirements.txt` (`pip freeze`) and
`diff.patch` (the uncommitted changes). The run page shows them.

Each part can be turned off, by init(capture=...) (False for none, or a dict such
as {"pip": False}) or the environment: TEAMSITE_DISABLE_GIT, TEAMSITE_DISABLE_PIP,
TEAMSITE_DISABLE_ARGS, TEAMSITE_DISABLE_HOST set to 1 (like W&B's WANDB_DISABLE_GIT).
"""

from __future__ import annotations

import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
from collections.abc import Mapping

PARTS = ("git", "pip", "args", "host")
MAX_DIFF_BYTES = 5 * 1024 * 1024


def switches(capture: bool | Mapping[str, bool] | None) -> dict[str, bool]:
    """Which parts are on: the argument first, then TEAMSITE_DISABLE_<PART>."""
    if capture is False:
        return {part: False for part in PARTS}
    chosen = dict(capture) if isinstance(capture, Mapping) else {}
    unknown = set(chosen) - set(PARTS)
    if unknown:
        raise ValueError(f"teamsite: capture= knows {', '.join(PARTS)}, not {', '.join(sorted(unknown))}.")
    found = {}
    for part in PARTS:
        disabled = (os.environ.get(f"TEAMSITE_DISABLE_{part.upper()}") or "").lower() in ("1", "true", "yes")
        found[part] = bool(chosen.get(part, not disabled))
    return found


def _git(*args, cwd=None, limit=None) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    out = done.stdout[:limit] if limit else done.stdout
    return out.decode("utf-8", "replace").strip("\n")


def git_info() -> tuple[dict, str | None]:
    """({commit, remote, branch, dirty}, the diff or None) of the working directory's repository."""
    commit = _git("rev-parse", "HEAD")
    if not commit:
        return {}, None
    info = {"commit": commit, "branch": _git("rev-parse", "--abbrev-ref", "HEAD"), "remote": _git("config", "--get", "remote.origin.url")}
    if info["remote"] and "@" in info["remote"] and "://" in info["remote"]:
        scheme, rest = info["remote"].split("://", 1)
        info["remote"] = f"{scheme}://{rest.split('@', 1)[1]}"  # never keep a token from the URL
    diff = _git("diff", "HEAD", limit=MAX_DIFF_BYTES)
    info["dirty"] = bool(diff)
    return {k: v for k, v in info.items() if v not in (None, "")}, diff or None


def pip_freeze() -> str | None:
    try:
        done = subprocess.run([sys.executable, "-m", "pip", "freeze"], capture_output=True, timeout=60, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.decode("utf-8", "replace") if done.returncode == 0 else None


def collect(parts: Mapping[str, bool]) -> dict[str, str]:
    """{file name: local path} of the files to save with the run (in a temporary folder)."""
    folder = tempfile.mkdtemp(prefix="teamsite-capture-")
    files = {}
    meta: dict = {"python": platform.python_version(), "executable": sys.executable}
    if parts.get("git"):
        info, diff = git_info()
        if info:
            meta["git"] = info
        if diff:
            files["diff.patch"] = _write(folder, "diff.patch", diff)
    if parts.get("args"):
        meta["program"] = sys.argv[0] if sys.argv else ""
        meta["args"] = sys.argv[1:]
    if parts.get("host"):
        meta["host"] = socket.gethostname()
        meta["os"] = platform.platform()
    if parts.get("pip"):
        frozen = pip_freeze()
        if frozen:
            files["requirements.txt"] = _write(folder, "requirements.txt", frozen)
    files["teamsite-metadata.json"] = _write(folder, "teamsite-metadata.json", json.dumps(meta, indent=2))
    return files


def _write(folder, name, text) -> str:
    path = os.path.join(folder, name)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path
