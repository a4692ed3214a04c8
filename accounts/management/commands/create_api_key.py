from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.services import api_key_create


class Command(BaseCommand):
    help = "Create an API key for USERNAME and print it (only the key, on stdout)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="command line", help="What the key is for.")

    def handle(self, *args, username, name, **options):
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"There is no user named {username!r}.") from None
        if not user.is_active:
            raise CommandError(f"The user {username!r} is deactivated; a key would not work.")
        try:
            created = api_key_create(user=user, name=name)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(created.key)
