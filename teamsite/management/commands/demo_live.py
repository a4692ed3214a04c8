import time

from django.core.management.base import BaseCommand

from teamsite.demo import LIVE_RUNS, keep_alive


class Command(BaseCommand):
    help = "Keep the demo's running runs alive (a heartbeat and a new point every few seconds) until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--every", type=float, default=5.0, help="Seconds between beats.")
        parser.add_argument("--once", action="store_true", help="One beat, then exit.")

    def handle(self, *args, every, once, **options):
        if once:
            keep_alive()
            return
        self.stdout.write(f"Keeping the demo runs {', '.join(LIVE_RUNS)} alive while the server runs.")
        try:
            while True:
                try:
                    keep_alive()
                except Exception as exc:  # the database is busy or gone for a moment: try again next beat
                    self.stderr.write(f"demo_live: {exc}")
                time.sleep(every)
        except KeyboardInterrupt:
            pass
