"""`manage.py schedule`: the periodic jobs alone (for RQ workers, or one schedule for many machines)."""

from django.core.management.base import BaseCommand

from core import schedule


class Command(BaseCommand):
    help = "Run the site's periodic jobs (crash detection, retries, cleanup) until stopped"

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run every job once and exit")

    def handle(self, *args, **options):
        if options["once"]:
            schedule.run_all()
            return
        try:
            schedule.run_forever()
        except KeyboardInterrupt:
            pass
