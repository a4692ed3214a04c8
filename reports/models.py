from django.conf import settings
from django.db import models
from django.utils import timezone
from guardian.models import UserObjectPermissionBase

from experiments.models import Project
from teams.models import Team


class ReportVisibility(models.TextChoices):
    DRAFT = "draft", "Draft"
    TEAM = "team", "Team"
    PUBLIC = "public", "Public"


class Report(models.Model):
    policy_kind = "report"  # judged by teams.policy: visibility, the team's or project's scopes, authorship
    policy_owner_perm = "own_report"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="reports")
    project = models.ForeignKey(Project, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="reports")
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True, max_length=200_000)
    visibility = models.CharField(max_length=8, choices=ReportVisibility.choices, default=ReportVisibility.DRAFT)
    revision = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["team", "-updated_at"])]
        permissions = [("own_report", "Wrote this report")]

    def __str__(self):
        return self.title


class ReportUserObjectPermission(UserObjectPermissionBase):
    """Direct-FK guardian grants on reports (their author owns them)."""

    content_object = models.ForeignKey(Report, on_delete=models.CASCADE)


class Revision(models.Model):
    """Every saved state of a report, kept for good."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    visibility = models.CharField(max_length=8, choices=ReportVisibility.choices, default=ReportVisibility.DRAFT)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["report", "number"], name="one_revision_number")]


class Comment(models.Model):
    policy_kind = "in_report"  # judged by its report

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField(max_length=20_000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]


class Follow(models.Model):
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="follows")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_follows")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["report", "user"], name="follow_once")]


class Star(models.Model):
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="stars")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_stars")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["report", "user"], name="star_once")]
