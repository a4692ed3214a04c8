"""Periodic work: apps register jobs here; the worker's schedule runs the ones that are due.

`manage.py db_worker` starts `run_forever` in a thread beside the task loop (see
teamsite/management/commands/db_worker.py); `manage.py schedule` runs it alone (for
RQ workers, or one schedule for many worker machines). Every job must be safe to run
twice at once: jobs claim their rows with a conditional UPDATE, so two schedules never
act on the same row.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import close_old_connections

logger = logging.getLogger("teamsite.schedule")


@dataclass
class Job:
    name: str
    every: float
    fn: object
    last: float = 0.0


_jobs: dict[str, Job] = {}


def every(seconds: float, name: str | None = None):
    """Decorator: run `fn()` at most every `seconds` (and at the first tick)."""

    def register(fn):
        key = name or f"{fn.__module__}.{fn.__qualname__}"
        _jobs[key] = Job(key, seconds, fn)
        return fn

    return register


def jobs() -> dict[str, Job]:
    return dict(_jobs)


def run_job(name: str):
    return _jobs[name].fn()


def tick(now: float | None = None) -> list[str]:
    """Run every job that is due; returns their names. A failing job is logged and does not stop the others."""
    now = time.monotonic() if now is None else now
    ran = []
    for job in list(_jobs.values()):
        if job.last and now - job.last < job.every:
            continue
        job.last = now
        try:
            job.fn()
        except Exception:  # noqa: BLE001 - the schedule must outlive one bad job
            logger.exception("Periodic job %s failed", job.name)
        ran.append(job.name)
    return ran


def run_all() -> None:
    """Every job once, now (tests and `manage.py schedule --once`)."""
    for job in list(_jobs.values()):
        job.fn()


def run_forever(stop: threading.Event | None = None) -> None:
    stop = stop or threading.Event()
    interval = max(1.0, min(settings.SCHEDULE_SECONDS, min((j.every for j in _jobs.values()), default=15)))
    logger.info("Schedule running %d jobs, checking every %.0f s", len(_jobs), interval)
    while not stop.is_set():
        close_old_connections()
        tick()
        close_old_connections()
        stop.wait(interval)


def start_thread() -> threading.Event:
    stop = threading.Event()
    threading.Thread(target=run_forever, args=(stop,), name="teamsite-schedule", daemon=True).start()
    return stop
