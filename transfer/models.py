from django.conf import settings
from django.db import models
from django.utils import timezone

from teams.models import Team


def export_path(instance, filename):
    return f"exports/{instance.team_id}/{filename}"


class Export(models.Model):
    """One archive of a team's data, built by the worker (transfer/archive.py)."""

    QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
    STATES = [(QUEUED, "Queued"), (RUNNING, "Running"), (DONE, "Done"), (FAILED, "Failed")]

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="exports")
    state = models.CharField(max_length=8, choices=STATES, default=QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent done")
    step = models.CharField(max_length=200, blank=True)
    file = models.FileField(upload_to=export_path, blank=True, max_length=500)
    size = models.BigIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Export of {self.team} ({self.state})"
