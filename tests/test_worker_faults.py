"""A worker killed mid-task: its task is handed out again, and runs once more, not forever."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from core import health, schedule
from core.models import WorkerBeat

# a real `db_worker --batch` closes its connection when done: each test commits, so the next query reconnects
pytestmark = pytest.mark.django_db(transaction=True)

DB_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def count_a_run():
    n = WorkerBeat.objects.filter(worker__startswith="ran-").count()
    WorkerBeat.objects.create(worker=f"ran-{n + 1}", at=timezone.now())


@pytest.fixture(autouse=True)
def _counting_job():
    schedule.every(10**9, name="tests.count_a_run")(count_a_run)
    yield
    schedule._jobs.pop("tests.count_a_run", None)


def _killed_mid_task(settings, worker_ids):
    from django_tasks_db.models import DBTaskResult

    from core.tasks import run_scheduled

    settings.TASKS = DB_BACKEND
    result = run_scheduled.enqueue("tests.count_a_run")
    # what a worker that died while running it leaves behind
    DBTaskResult.objects.filter(pk=result.id).update(status="RUNNING", started_at=timezone.now() - timezone.timedelta(hours=1), worker_ids=worker_ids)
    return DBTaskResult.objects.get(pk=result.id)


def test_a_task_whose_worker_died_runs_again_once(settings):
    task = _killed_mid_task(settings, ["worker-that-was-killed"])
    assert health.requeue_stale_tasks() == (1, 0)
    task.refresh_from_db()
    assert task.status == "READY"
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-schedule", verbosity=0)
    task.refresh_from_db()
    assert task.status == "SUCCESSFUL"
    assert WorkerBeat.objects.filter(worker__startswith="ran-").count() == 1  # once
    assert health.requeue_stale_tasks() == (0, 0)


def test_a_task_that_lost_two_workers_is_failed_not_handed_out_again(settings):
    task = _killed_mid_task(settings, ["first", "second"])
    assert health.requeue_stale_tasks() == (0, 1)
    task.refresh_from_db()
    assert task.status == "FAILED" and "stopped twice" in task.traceback


def test_a_task_still_running_in_time_is_left_alone(settings):
    from django_tasks_db.models import DBTaskResult

    task = _killed_mid_task(settings, ["busy"])
    DBTaskResult.objects.filter(pk=task.pk).update(started_at=timezone.now())
    assert health.requeue_stale_tasks() == (0, 0)
