"""`manage.py db_worker`: django-tasks-db's worker, with the site's schedule in a thread beside it.

The schedule runs the periodic jobs (crash detection, mail and webhook retries,
cleanup; see core/schedule.py). `--no-schedule` for extra workers when one
schedule is enough (running several is safe, only redundant).
"""

from django_tasks_db.management.commands.db_worker import Command as DbWorker

from core import schedule


class Command(DbWorker):
    help = "Run the background worker (tasks from the database) and the site's periodic schedule"

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--no-schedule", action="store_true", help="Run tasks only, no periodic jobs")

    def handle(self, *args, **options):
        if not options.pop("no_schedule") and not options.get("batch"):
            schedule.start_thread()
        return super().handle(*args, **options)
