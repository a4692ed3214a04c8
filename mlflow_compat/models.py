"""MLflow 3's logged models, as teamsite keeps them.

A logged model belongs to the run that logged it: its files are that run's files
under `models/<model_id>/` (uploaded through the run's mlflow-artifacts path), and
finalizing it READY makes them a teamsite artifact version of type `model`, which
the registry can link (`register_model("models:/<model_id>")`).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from experiments.models import Run
from registry.models import ArtifactVersion


class LoggedModel(models.Model):
    PENDING, READY, FAILED = "LOGGED_MODEL_PENDING", "LOGGED_MODEL_READY", "LOGGED_MODEL_UPLOAD_FAILED"

    model_id = models.CharField(max_length=40, unique=True)
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=256)
    model_type = models.CharField(max_length=128, blank=True)
    status = models.CharField(max_length=40, default=PENDING)
    params = models.JSONField(default=dict, blank=True)
    tags = models.JSONField(default=dict, blank=True)
    artifact_version = models.ForeignKey(ArtifactVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.name} ({self.model_id})"

    @property
    def prefix(self) -> str:
        """Where its files sit among the run's files."""
        return f"models/{self.model_id}"
