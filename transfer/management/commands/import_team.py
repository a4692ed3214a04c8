"""`manage.py import_team FILE.zip --org ORG [--slug NEW]`: a team from an archive, in one transaction."""

from django.core.management.base import BaseCommand, CommandError

from core.transfer import ImportProblem
from teams.models import Organization
from transfer.archive import import_team


class Command(BaseCommand):
    help = "Import a team exported by export_team (or the export page) into an organization"

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--org", required=True, help="the organization's slug")
        parser.add_argument("--slug", help="a new slug for the team (default: the exported one)")

    def handle(self, *args, **options):
        org = Organization.objects.filter(slug__iexact=options["org"]).first()
        if org is None:
            raise CommandError(f"There is no organization {options['org']}.")
        try:
            team = import_team(options["file"], organization=org, slug=options["slug"])
        except ImportProblem as exc:
            raise CommandError(f"Nothing was imported: {exc}") from None
        self.stdout.write(f"Imported {team.slug} into {org.slug}: {team.projects.count()} projects, {team.memberships.count()} members.")
