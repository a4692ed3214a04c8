from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts import signals
from accounts.models import ApiKey
from accounts.services import api_key_issue


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
            created = api_key_issue(user=user, name=name)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        signals.api_key_created.send(sender=ApiKey, api_key=created.api_key, actor=None)  # the site's operator made it
        self.stdout.write(created.key)
