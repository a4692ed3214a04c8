"""Where the client finds its server and key: arguments, then TEAMSITE_BASE_URL /
TEAMSITE_API_KEY, then the credentials file `teamsite login` writes
($XDG_CONFIG_HOME/teamsite/credentials, default ~/.config/teamsite/credentials,
mode 600: JSON {"base_url", "api_key"})."""

from __future__ import annotations

import json
import os
from pathlib import Path

from .transport import DEFAULT_BASE_URL, clean_base_url


def path() -> Path:
    root = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(root) / "teamsite" / "credentials"


def read() -> dict:
    """{"base_url", "api_key"} from the file, or {} when there is none (or it cannot be read)."""
    try:
        data = json.loads(path().read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write(base_url: str, api_key: str) -> Path:
    """Save the host and key, readable by the owner alone (mode 600, folder 700)."""
    target = path()
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    body = json.dumps({"base_url": clean_base_url(base_url), "api_key": api_key}, indent=2) + "\n"
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # an older file keeps its mode through O_CREAT: set it
        os.write(fd, body.encode())
    finally:
        os.close(fd)
    return target


def resolve(base_url: str | None = None, api_key: str | None = None) -> tuple[str, str | None]:
    """(base_url, api_key): arguments, else the environment, else the credentials file."""
    saved = None
    if not base_url and not os.environ.get("TEAMSITE_BASE_URL"):
        saved = read()
    base = base_url or os.environ.get("TEAMSITE_BASE_URL") or (saved or {}).get("base_url") or DEFAULT_BASE_URL
    key = api_key or os.environ.get("TEAMSITE_API_KEY")
    if not key:
        saved = read() if saved is None else saved
        # a saved key belongs to its host: never send it to another server
        if saved.get("api_key") and clean_base_url(saved.get("base_url")) == clean_base_url(base):
            key = saved["api_key"]
    return base, key
