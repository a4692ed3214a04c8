"""`manage.py export_team TEAM FILE.zip`: all of a team's data in one archive (docs/export.md)."""

from django.core.management.base import BaseCommand, CommandError

from teams.models import Team
from transfer.archive import export_team


class Command(BaseCommand):
    help = "Export all of a team's data to a zip archive"

    def add_arguments(self, parser):
        parser.add_argument("team", help="the team's slug")
        parser.add_argument("file", help="where to write the zip")
        parser.add_argument("--csv", action="store_true", help="metric points as CSV even when pyarrow is installed")

    def handle(self, *args, **options):
        team = Team.objects.filter(slug__iexact=options["team"]).select_related("organization").first()
        if team is None:
            raise CommandError(f"There is no team {options['team']}.")
        manifest = export_team(team, options["file"], parquet=False if options["csv"] else None)
        counts = ", ".join(f"{n} {label}" for label, n in manifest["counts"].items())
        self.stdout.write(f"Exported {team.slug} to {options['file']} ({counts}; points as {manifest['points_format']}).")
