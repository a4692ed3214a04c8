from django.core.management.base import BaseCommand, CommandError

from teamsite.demo import database_is_empty, demo_sign_ins, load_demo


class Command(BaseCommand):
    help = "Load the demo users and content into an empty database, then print the sign-ins."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="Only print the sign-ins when data already exists.")
        parser.add_argument("--url", default="http://127.0.0.1:8000/", help="The URL to print.")

    def handle(self, *args, if_empty, url, **options):
        if database_is_empty():
            load_demo()
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        elif not if_empty:
            raise CommandError("The database already has users; the demo loads only into an empty database.")
        self.stdout.write(f"\n  teamsite is at {url}\n")
        sign_ins = demo_sign_ins()
        if sign_ins:
            self.stdout.write("  Demo sign-ins (username / password):")
            for username, password, what in sign_ins:
                self.stdout.write(f"    {username:<10} {password:<20} {what}")
        self.stdout.write("  Emails (verification, password reset) are printed in this terminal.\n")
