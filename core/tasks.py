"""The base layer's background tasks: sending the outbox, and the periodic schedule's entry point.

Tasks go through Django's Tasks API (the django-tasks backport; built into Django 6):
the database backend by default (`manage.py db_worker`), RQ with REDIS_URL, the
immediate backend in tests.
"""

from django_tasks import task


@task()
def send_outbox_mail(mail_id: int) -> str:
    from . import mail

    return mail.deliver(mail_id)


@task()
def run_scheduled(name: str) -> None:
    """Run one periodic job by name (the schedule can hand jobs to any worker)."""
    from . import schedule

    schedule.run_job(name)


def _prune_task_results() -> None:
    """Finished task results of the database backend are kept a week."""
    from django.conf import settings
    from django.core.management import call_command

    if settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend":
        call_command("prune_db_task_results", min_age_days=7, verbosity=0)


def _register():
    from . import schedule

    schedule.every(3600, name="tasks.prune")(_prune_task_results)


_register()
