from django.db import models

from experiments.models import Project
from reports.models import Report
from teams.models import Team


class ShowcaseItem(models.Model):
    """A report or project the team's admins chose to show on its profile, in their order."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="showcase")
    report = models.ForeignKey(Report, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(Project, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "teams_showcaseitem"  # created by the teams app before the profile moved here
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(report__isnull=False) & models.Q(project__isnull=True))
                | (models.Q(report__isnull=True) & models.Q(project__isnull=False)),
                name="showcase_one_thing",
            )
        ]

    def __str__(self):
        return f"{self.team.slug}: {self.report or self.project}"
