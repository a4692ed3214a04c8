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


@schedule.every(60, name="core.requeue_stale_tasks")
def requeue_stale_tasks() -> tuple[int, int]:
    """A worker killed mid-task leaves its task RUNNING forever: hand it out again, once.

    Tasks here are safe to run twice (they claim their rows), so a task that has been
    RUNNING longer than TASK_STALE_SECONDS goes back to READY; one that was already
    handed out again (a second worker id) is marked FAILED instead of looping.
    Returns (requeued, failed).
    """
    if _backend() != "django_tasks_db.DatabaseBackend":
        return 0, 0
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    stale = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, started_at__lt=timezone.now() - timezone.timedelta(seconds=settings.TASK_STALE_SECONDS))
    requeued = failed = 0
    for task in stale.only("id", "worker_ids"):
        if len(task.worker_ids) <= 1:
            requeued += DBTaskResult.objects.filter(pk=task.pk, status=TaskResultStatus.RUNNING).update(status=TaskResultStatus.READY, started_at=None)
        else:
            failed += DBTaskResult.objects.filter(pk=task.pk, status=TaskResultStatus.RUNNING).update(
                status=TaskResultStatus.FAILED, finished_at=timezone.now(), exception_class_path="core.health.WorkerLost",
                traceback="The worker running this task stopped twice; it was not handed out a third time.")
    return requeued, failed
