import re
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from guardian.models import UserObjectPermissionBase

from teams.models import Team, TeamStorage, slug_validator

def crash_after() -> timedelta:
    """How long a running run may go without a heartbeat before it counts as crashed."""
    return timedelta(seconds=settings.RUN_CRASH_AFTER_SECONDS)


RESERVED_PROJECT_NAMES = frozenset({"settings", "projects", "reports", "registry", "members", "alerts"})


def validate_project_name(value):
    slug_validator(value)
    if value.lower() in RESERVED_PROJECT_NAMES or not re.search(r"[A-Za-z0-9]", value):
        raise ValidationError(f"“{value}” is a word the site uses itself; choose another project name.", code="reserved")


class Visibility(models.TextChoices):
    TEAM = "team", "Team"
    RESTRICTED = "restricted", "Restricted"
    PUBLIC = "public", "Public"
    OPEN = "open", "Open"


class LiveProjects(models.Manager):
    """Projects not in the bin: a project deleted through the MLflow API stays restorable
    (experiments/restore) but is gone for every page, list and API of teamsite."""

    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


class Project(models.Model):
    policy_kind = "project"  # judged by teams.policy: team role, visibility, creator and access-list grants

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="projects")
    name = models.CharField(max_length=64, validators=[validate_project_name])
    description = models.TextField(blank=True, max_length=10_000)
    visibility = models.CharField(max_length=16, choices=Visibility.choices, default=Visibility.TEAM)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    # Set by experiments/delete on the MLflow paths; the project is hidden until restored.
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = LiveProjects()
    everything = models.Manager()  # the bin included (the MLflow paths)

    class Meta:
        ordering = ["name"]
        base_manager_name = "everything"
        constraints = [models.UniqueConstraint("team", Lower("name"), name="project_name_ci_unique")]
        permissions = [
            ("manage_project", "Manage this project (its creator)"),
            ("access_project", "On the access list of this restricted project"),
        ]

    def __str__(self):
        return f"{self.team.slug}/{self.name}"


class ProjectUserObjectPermission(UserObjectPermissionBase):
    """Direct-FK guardian grants on projects (creator, restricted access list)."""

    content_object = models.ForeignKey(Project, on_delete=models.CASCADE)


class RunState(models.TextChoices):
    RUNNING = "running", "Running"
    FINISHED = "finished", "Finished"
    FAILED = "failed", "Failed"
    CRASHED = "crashed", "Crashed"
    STOPPED = "stopped", "Stopped"


class LiveRuns(models.Manager):
    """Runs not in the bin, in projects not in the bin: what teamsite shows everywhere.

    A run deleted through the MLflow API (runs/delete) is kept, with its data, until
    runs/restore brings it back; only the MLflow paths see it (`Run.everything`).
    """

    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True, project__deleted_at__isnull=True)


class Run(models.Model):
    policy_kind = "in_project"  # judged by its project's access
    policy_owner_perm = "own_run"  # "own" means its creator

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="runs")
    run_id = models.CharField(max_length=64)
    name = models.CharField(max_length=128, blank=True)
    state = models.CharField(max_length=16, choices=RunState.choices, default=RunState.RUNNING)
    # The person the run belongs to; a service account logging for someone is kept in logged_by.
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="runs")
    logged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    config = models.JSONField(default=dict, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    # Summary keys the script set itself: logging that metric no longer overwrites them.
    pinned_summary_keys = models.JSONField(default=list, blank=True)
    tags = models.JSONField(default=list, blank=True)
    notes = models.TextField(blank=True, max_length=20_000)
    group = models.CharField(max_length=128, blank=True)
    job_type = models.CharField(max_length=64, blank=True)
    host = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    heartbeat_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    stop_requested = models.BooleanField(default=False)
    # MLflow's key/value tags (mlflow.* system tags kept as sent), beside teamsite's `tags` list.
    mlflow_tags = models.JSONField(default=dict, blank=True)
    # Set by runs/delete on the MLflow paths (MLflow's "deleted" lifecycle stage); see LiveRuns.
    deleted_at = models.DateTimeField(null=True, blank=True)
    # A sweep's run: deleting the sweep keeps the run. sweep_slot is the grid point it
    # holds (unique per sweep, so two agents never get the same one); a crashed run
    # gives its slot back (None) and the point is handed out again.
    sweep = models.ForeignKey("Sweep", null=True, blank=True, on_delete=models.SET_NULL, related_name="runs")
    sweep_slot = models.IntegerField(null=True, blank=True)

    objects = LiveRuns()
    everything = models.Manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        base_manager_name = "everything"
        constraints = [
            models.UniqueConstraint(fields=["project", "run_id"], name="run_id_unique_in_project"),
            models.UniqueConstraint(fields=["sweep", "sweep_slot"], name="one_run_per_grid_point"),
        ]
        indexes = [
            models.Index(fields=["project", "-created_at"]),
            models.Index(fields=["state", "heartbeat_at"]),
            models.Index(fields=["run_id"], name="run_by_id_alone"),  # MLflow names a run by its id only
        ]
        permissions = [("own_run", "Created this run")]

    def __str__(self):
        return self.name or self.run_id

    @property
    def is_active(self):
        return self.state == RunState.RUNNING

    @property
    def shown_state(self):
        """What pages and the API show: a running run whose client went silent reads as crashed.

        Storing that is a background job's work (runs_mark_crashed), never a page view's.
        """
        if self.state == RunState.RUNNING and self.heartbeat_at < timezone.now() - crash_after():
            return RunState.CRASHED
        return self.state

    @property
    def shown_state_label(self):
        return RunState(self.shown_state).label

    @property
    def duration(self):
        end = self.finished_at or (self.heartbeat_at if self.state != RunState.RUNNING else timezone.now())
        return end - self.created_at


class RunUserObjectPermission(UserObjectPermissionBase):
    """Direct-FK guardian grants on runs (their creator owns them)."""

    content_object = models.ForeignKey(Run, on_delete=models.CASCADE)


class SeriesKind(models.TextChoices):
    HISTORY = "history", "History"
    SYSTEM = "system", "System metrics"


class MetricSeries(models.Model):
    """One metric of one run; its points live in MetricChunk rows (see experiments/history.py)."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="series")
    kind = models.CharField(max_length=8, choices=SeriesKind.choices)
    key = models.CharField(max_length=255)
    count = models.BigIntegerField(default=0)
    last_step = models.FloatField(null=True)
    last_value = models.FloatField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "kind", "key"], name="one_series_per_key")]

    def __str__(self):
        return f"{self.run_id}:{self.kind}:{self.key}"


class MetricChunk(models.Model):
    """A packed block of a series: raw points at level 0, min/max buckets above."""

    series = models.ForeignKey(MetricSeries, on_delete=models.CASCADE, related_name="chunks")
    level = models.SmallIntegerField()
    seq = models.IntegerField()
    n = models.IntegerField()
    data = models.BinaryField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["series", "level", "seq"], name="one_chunk_per_slot")]


class HistoryBatch(models.Model):
    """A batch_id already applied to a run: the same batch again adds nothing."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="batches")
    kind = models.CharField(max_length=8, choices=SeriesKind.choices)
    batch_id = models.CharField(max_length=128)
    accepted = models.IntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "kind", "batch_id"], name="batch_once")]


class LogLine(models.Model):
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="log_lines")
    offset = models.IntegerField()
    text = models.TextField()

    class Meta:
        ordering = ["offset"]
        constraints = [models.UniqueConstraint(fields=["run", "offset"], name="one_line_per_offset")]


def run_file_path(instance, filename):
    return f"runs/{instance.run.project_id}/{instance.run.run_id}/{instance.path}"


class RunFile(models.Model):
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="files")
    path = models.CharField(max_length=1024)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    file = models.FileField(upload_to=run_file_path, max_length=1200)
    # Where the bytes were written: the team's storage then (None: the site's media folder).
    storage = models.ForeignKey(TeamStorage, null=True, blank=True, on_delete=models.RESTRICT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["path"]
        constraints = [models.UniqueConstraint(fields=["run", "path"], name="one_file_per_path")]


ALERT_LEVELS = [("info", "Info"), ("warn", "Warning"), ("error", "Error")]


class AlertRule(models.Model):
    """A project's watch on one metric (spec/api.md "Alert rules"), checked in the worker as history arrives."""

    policy_kind = "in_project"

    THRESHOLD, CHANGE = "threshold", "change"
    KINDS = [(THRESHOLD, "Threshold"), (CHANGE, "Change")]
    OPS = [(">", ">"), (">=", "≥"), ("<", "<"), ("<=", "≤")]
    AGGREGATES = [("last", "last value"), ("mean", "mean"), ("min", "minimum"), ("max", "maximum")]
    DIRECTIONS = [("increase", "increases"), ("decrease", "decreases"), ("any", "changes")]

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="alert_rules")
    name = models.CharField(max_length=64)
    metric = models.CharField(max_length=255)
    kind = models.CharField(max_length=16, choices=KINDS)
    level = models.CharField(max_length=8, choices=ALERT_LEVELS, default="warn")
    enabled = models.BooleanField(default=True)
    # threshold: the aggregate of the last `window` points compared with `value`
    op = models.CharField(max_length=2, choices=OPS, blank=True)
    value = models.FloatField(null=True, blank=True)
    aggregate = models.CharField(max_length=8, choices=AGGREGATES, default="last")
    # change: the mean of the last `window` points against the mean of the `baseline_window` before them
    direction = models.CharField(max_length=8, choices=DIRECTIONS, blank=True)
    amount = models.FloatField(null=True, blank=True)
    relative = models.BooleanField(default=False)
    window = models.PositiveIntegerField(default=1)
    baseline_window = models.PositiveIntegerField(default=50)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["project", "enabled", "metric"])]

    def __str__(self):
        return self.name

    @property
    def description(self):
        if self.kind == self.THRESHOLD:
            what = self.metric if self.aggregate == "last" and self.window == 1 else f"{self.aggregate} of the last {self.window} {self.metric}"
            return f"{what} {self.op} {self.value:g}"
        amount = f"{self.amount * 100:g}% relative" if self.relative else f"{self.amount:g}"
        return (f"{self.metric} {self.get_direction_display()} by {amount} "
                f"(mean of the last {self.window} points against the {self.baseline_window} before)")


class RunAlert(models.Model):
    LEVELS = ALERT_LEVELS

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="alerts")
    title = models.CharField(max_length=200)
    text = models.TextField(max_length=5000)
    level = models.CharField(max_length=8, choices=LEVELS)
    sent = models.BooleanField(default=False, help_text="Emailed; repeats of the title wait for wait_duration after this.")
    created_at = models.DateTimeField(default=timezone.now)
    # A firing of an alert rule: the rule, and the values that made it fire.
    rule = models.ForeignKey(AlertRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="firings")
    values = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["run", "rule", "created_at"])]


class ProjectWatch(models.Model):
    """Someone watching a project: its alerts and run finished/crashed mails reach them (by their choices)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="watches")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="project_watches")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "user"], name="watch_once")]



class Workspace(models.Model):
    """A person's own workspace of a project (owner set, no name) or a named view shared with the team (no owner).

    Panels are the automatic ones (one chart per logged metric) plus the changes:
    `panels` holds the arranged list once someone changed it, `hidden` the metrics
    whose automatic chart was removed; a metric logged later still gets its chart.
    `table` is the runs table's query (columns, filters, order, grouping).
    """

    policy_kind = "in_project"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="workspaces")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=80, blank=True)
    panels = models.JSONField(default=list, blank=True)
    hidden = models.JSONField(default=list, blank=True)
    table = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "owner"], condition=models.Q(owner__isnull=False), name="one_personal_workspace"),
            models.UniqueConstraint("project", Lower("name"), condition=models.Q(owner__isnull=True), name="saved_view_name_unique"),
        ]

    def __str__(self):
        return self.name or f"{self.owner}'s workspace"

    @property
    def is_view(self):
        return self.owner_id is None




class SweepState(models.TextChoices):
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    FINISHED = "finished", "Finished"
    CANCELLED = "cancelled", "Cancelled"


class Sweep(models.Model):
    """A hyperparameter search: a W&B sweep config whose agents ask for the next parameters."""

    policy_kind = "in_project"  # judged by its project's access
    policy_owner_perm = "own_sweep"  # sweep:control_own means its creator

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="sweeps")
    sweep_id = models.CharField(max_length=64)
    name = models.CharField(max_length=128, blank=True)
    method = models.CharField(max_length=16)
    config = models.JSONField(default=dict)
    state = models.CharField(max_length=16, choices=SweepState.choices, default=SweepState.RUNNING)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["project", "sweep_id"], name="sweep_id_unique_in_project")]
        permissions = [("own_sweep", "Created this sweep")]

    def __str__(self):
        return self.name or self.sweep_id

    @property
    def metric(self) -> dict:
        return self.config.get("metric") or {}


class SweepUserObjectPermission(UserObjectPermissionBase):
    """Direct-FK guardian grants on sweeps (their creator controls them)."""

    content_object = models.ForeignKey(Sweep, on_delete=models.CASCADE)


class MediaKind(models.TextChoices):
    IMAGE = "image", "Image"
    TABLE = "table", "Table"
    HISTOGRAM = "histogram", "Histogram"


def run_media_path(instance, filename):
    return f"runs/{instance.run.project_id}/{instance.run.run_id}/media/{filename}"


class RunMedia(models.Model):
    """An image, table or histogram a run logged at a step: the bytes in run storage, a summary here."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="media")
    key = models.CharField(max_length=255)
    step = models.BigIntegerField()
    kind = models.CharField(max_length=16, choices=MediaKind.choices)
    caption = models.CharField(max_length=1000, blank=True)
    file = models.FileField(upload_to=run_media_path, max_length=1200)
    width = models.IntegerField(null=True, blank=True)
    height = models.IntegerField(null=True, blank=True)
    rows = models.IntegerField(null=True, blank=True)
    # tables and histograms are small: kept here too, so pages draw them without reading storage
    data = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["key", "step", "id"]
        indexes = [models.Index(fields=["run", "key", "step"])]
