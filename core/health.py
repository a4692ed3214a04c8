"""Readiness checks the base layer adds to /health/ready: the task worker is alive, the queue is not piling up.

Each worker's schedule writes a beat every few seconds (to the database, which every
web process shares); a web process reads the newest beat and the count of waiting tasks.
"""

import os
import socket

from django.conf import settings
from django.utils import timezone

from . import hooks, schedule
from .models import WorkerBeat

WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"


@schedule.every(10, name="core.worker_beat")
def beat():
    WorkerBeat.objects.update_or_create(worker=WORKER_ID, defaults={"at": timezone.now()})
    WorkerBeat.objects.filter(at__lt=timezone.now() - timezone.timedelta(days=1)).delete()


def _backend():
    return settings.TASKS["default"]["BACKEND"]


def worker_alive():
    if _backend().endswith("ImmediateBackend"):
        return True, "tasks run at once, in the process that queues them (no worker needed)"
    newest = WorkerBeat.objects.order_by("-at").first()
    if newest is None:
        return False, "no worker schedule has written a beat yet (manage.py db_worker, or manage.py schedule beside RQ workers)"
    age = (timezone.now() - newest.at).total_seconds()
    ok = age <= settings.WORKER_BEAT_STALE_SECONDS
    return ok, f"last beat {age:.0f} s ago from {newest.worker}" + ("" if ok else ": the worker looks stopped")


def queue_depth():
    if _backend() != "django_tasks_db.DatabaseBackend":
        return True, f"not counted here ({_backend().rsplit('.', 1)[-1]}; for RQ: manage.py rqstats)"
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.filter(status="READY").count()
    ok = waiting <= settings.QUEUE_DEPTH_LIMIT
    return ok, f"{waiting} task(s) waiting" + ("" if ok else f", more than {settings.QUEUE_DEPTH_LIMIT}")


hooks.register("health.checks", lambda: ("worker", worker_alive))
hooks.register("health.checks", lambda: ("queue", queue_depth))
