"""`init`: create a run on the server and start logging it; and the end of the process.

An atexit hook finishes the runs a script left open: as finished, or as failed
when the script died of an uncaught exception (RunStopped excepted).
"""

from __future__ import annotations

import atexit
import logging
import os
import secrets
import socket
import string
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from . import limits
from . import credentials
from .capture import collect, switches
from .errors import RunStopped, TeamsiteError
from .journal import RunFolder
from .offline import DisabledRun, JournalTransport
from .run import Run, open_runs
from .transport import HTTPStatusError, Offline, Transport, backoff, quote
from .values import jsonable

logger = logging.getLogger("teamsite_client")

RUN_ID_ALPHABET = string.ascii_lowercase + string.digits

_hooks_installed = False
_uncaught_exception = False


def _at_exit() -> None:
    state = "failed" if _uncaught_exception else "finished"
    for run in list(open_runs):
        try:
            run.finish(state=state)
        except Exception:  # pragma: no cover
            logger.exception("teamsite: could not finish %s at exit", run)


def _install_hooks() -> None:
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


def _create_run(transport: Transport, path: str, body: dict, attach: bool = False) -> dict:
    """POST the run, retrying an unreachable server and 429/5xx a few times. With
    `attach` (a sweep agent made the run already) an existing run is taken over."""
    attempts = 0
    while True:
        attempts += 1
        try:
            return transport.request("POST", path, body)
        except HTTPStatusError as exc:
            if exc.status == 409 and (attempts > 1 or attach):
                # an earlier try reached the server but its answer was lost
                return transport.request("GET", f"{path}/{quote(body['run_id'])}")
            transient = exc.status == 429 or exc.status >= 500
            if not transient or attempts >= limits.INIT_ATTEMPTS:
                raise TeamsiteError(exc.message, status=exc.status, code=exc.code, fields=exc.fields) from None
        except Offline as exc:
            if attempts >= limits.INIT_ATTEMPTS:
                raise TeamsiteError(
                    f"Cannot reach the teamsite server at {transport.base_url} ({exc}). "
                    "Set TEAMSITE_BASE_URL or pass base_url= to init."
                ) from None
        time.sleep(backoff(attempts))


def _pick_team(transport: Transport) -> str:
    """The caller's only team, from GET /viewer."""
    try:
        viewer = transport.request("GET", "/viewer") or {}
    except HTTPStatusError as exc:
        raise TeamsiteError(exc.message, status=exc.status, code=exc.code) from None
    except Offline as exc:
        raise TeamsiteError(f"Cannot reach the teamsite server at {transport.base_url} ({exc}).") from None
    teams = [entry.get("team") for entry in viewer.get("teams", [])]
    if len(teams) == 1:
        return teams[0]
    if not teams:
        raise TeamsiteError(f"{viewer.get('username', 'This account')} is in no team; pass team= or set TEAMSITE_TEAM.")
    raise TeamsiteError(f"Pass team= or set TEAMSITE_TEAM; this account is in {', '.join(sorted(teams))}.")


def init(
    project: str | None = None,
    config: Mapping[str, Any] | Any | None = None,
    name: str | None = None,
    tags: Iterable[str] | str | None = None,
    group: str | None = None,
    job_type: str | None = None,
    team: str | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    notes: str | None = None,
    run_id: str | None = None,
    on_stop: Callable[[Run], object] | None = None,
    capture_console: bool = True,
    system_metrics_interval: float | None = 15.0,
    heartbeat_interval: float = 15.0,
    mode: str | None = None,
    capture: bool | Mapping[str, bool] | None = None,
) -> Run:
    """Start a run in `team`/`project` and return it.

    Arguments win over the environment: TEAMSITE_BASE_URL (default
    http://127.0.0.1:8000), TEAMSITE_API_KEY, TEAMSITE_TEAM (else the caller's
    only team), TEAMSITE_PROJECT, and with a service account's key
    TEAMSITE_USERNAME / TEAMSITE_USER_EMAIL (the member the run is credited to).
    `config` is a dict or an object with attributes (argparse.Namespace).
    `on_stop(run)` is called from the background thread once the run was stopped
    from the web page. `system_metrics_interval` None or 0 turns sampling off.

    The run is created synchronously: a refusal raises TeamsiteError with the
    server's sentence, and so does a server that cannot be reached after a few
    seconds of retries.

    `mode` (else TEAMSITE_MODE): "online" (the default), "offline" (everything is
    written under TEAMSITE_DIR, default ./teamsite, for `teamsite sync`; needs
    `team`) or "disabled" (a run whose every call does nothing). `capture`: what
    reproduces the run, saved with it (see capture.py); False turns it off.
    Without base_url/api_key and their variables, the host and key saved by
    `teamsite login` are used. Under a sweep agent (TEAMSITE_SWEEP_ID and
    TEAMSITE_RUN_ID set) the agent's run is taken over: the sweep's parameters
    win over the same keys of `config`.
    """
    mode = (mode or os.environ.get("TEAMSITE_MODE") or "online").strip().lower()
    if mode not in MODES:
        raise TeamsiteError(f"TEAMSITE_MODE is online, offline or disabled, not {mode!r}.")
    if mode == "disabled":
        return DisabledRun(project=project, config=dict(config) if isinstance(config, Mapping) else None, name=name)
    parts = switches(capture)
    base_url, api_key = credentials.resolve(base_url, api_key)
    if mode == "offline":
        api_key = api_key or "offline"
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
    attach = bool(os.environ.get("TEAMSITE_SWEEP_ID") and os.environ.get("TEAMSITE_RUN_ID") and not run_id)
    run_id = run_id or os.environ.get("TEAMSITE_RUN_ID") or "".join(secrets.choice(RUN_ID_ALPHABET) for _ in range(8))
    folder = None
    team = team or os.environ.get("TEAMSITE_TEAM")
    if mode == "offline":
        if not team:
            raise TeamsiteError("Offline runs need their team: pass team= or set TEAMSITE_TEAM.")
        folder = RunFolder.create(prefix="offline-run", run_id=run_id, info={"base_url": base_url, "team": team, "project": project, "run_id": run_id})
        transport = JournalTransport(folder, base_url)
    else:
        transport = Transport(base_url, api_key)
    team = team or _pick_team(transport)
    body = {
        "run_id": run_id,
        "name": name,
        "config": jsonable(dict(config), "config") if config is not None else None,
        "tags": [str(tag) for tag in tags] if tags is not None else None,
        "notes": notes,
        "group": group,
        "job_type": job_type,
        "host": socket.gethostname() if parts["host"] else None,
        "username": os.environ.get("TEAMSITE_USERNAME") or None,
        "user_email": os.environ.get("TEAMSITE_USER_EMAIL") or None,
    }
    body = {key: value for key, value in body.items() if value is not None}
    info = _create_run(transport, f"/teams/{quote(team)}/projects/{quote(project)}/runs", body, attach=attach)
    _install_hooks()
    run = Run(
        transport=transport,
        team=team,
        project=project,
        info=info,
        on_stop=on_stop,
        capture_console=capture_console,
        system_metrics_interval=system_metrics_interval,
        heartbeat_interval=heartbeat_interval,
        folder=folder,
    )
    if attach and config:
        missing = {key: value for key, value in jsonable(dict(config), "config").items() if key not in run.config}
        if missing:
            run.config.update(missing)
    if any(parts.values()):
        threading.Thread(target=_capture, args=(run, parts), name="teamsite-capture", daemon=True).start()
    return run


MODES = ("online", "offline", "disabled")


def _capture(run: Run, parts: dict) -> None:
    """Collect what reproduces the run (git, pip freeze: slow) off the training thread, then save it."""
    try:
        files = collect(parts)
        for name, local in files.items():
            run.save(local, name=name)
    except TeamsiteError:
        pass  # the run ended first
    except Exception:  # pragma: no cover - never stop a run over its metadata
        logger.debug("teamsite: capture failed", exc_info=True)
