"""Artifacts (versioned files of a project), their lineage, and the team's model registry.

Files are stored once per content: a Blob is one sha256 in one team, kept where
it was written (its TeamStorage row, or the site's media folder for None).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from experiments.models import Project, Run
from teams.models import Team, TeamStorage, slug_validator


class Artifact(models.Model):
    policy_kind = "in_project"  # judged by its project's visibility and the artifact:* scopes

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="artifacts")
    name = models.CharField(max_length=64, validators=[slug_validator])
    type = models.CharField(max_length=64, validators=[slug_validator])
    description = models.TextField(blank=True, max_length=10_000)
    # The next version's number: versions are v0, v1, ... with no gap, never reused.
    next_index = models.IntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["type", "name"]
        constraints = [models.UniqueConstraint(fields=["project", "name"], name="artifact_name_unique_in_project")]

    def __str__(self):
        return f"{self.project.name}/{self.name}"


class Blob(models.Model):
    """One content (sha256) stored once for a team, where it was written."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="blobs")
    sha256 = models.CharField(max_length=64)
    size = models.BigIntegerField()
    storage = models.ForeignKey(TeamStorage, null=True, blank=True, on_delete=models.RESTRICT, related_name="+")
    name = models.CharField(max_length=500, help_text="The file's name in its storage")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "sha256"], name="one_blob_per_content")]

    def __str__(self):
        return self.sha256


class ArtifactVersion(models.Model):
    policy_kind = "in_project"

    artifact = models.ForeignKey(Artifact, on_delete=models.CASCADE, related_name="versions")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")  # the artifact's, for the policy
    index = models.IntegerField()
    digest = models.CharField(max_length=64)
    size = models.BigIntegerField(default=0)
    file_count = models.IntegerField(default=0)
    description = models.TextField(blank=True, max_length=10_000)
    metadata = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    logged_by_run = models.ForeignKey(Run, null=True, blank=True, on_delete=models.SET_NULL, related_name="logged_artifacts")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-index"]
        constraints = [models.UniqueConstraint(fields=["artifact", "index"], name="one_version_per_index")]

    def __str__(self):
        return f"{self.artifact.name}:v{self.index}"

    @property
    def version(self):
        return f"v{self.index}"


class ArtifactFile(models.Model):
    version = models.ForeignKey(ArtifactVersion, on_delete=models.CASCADE, related_name="files")
    path = models.CharField(max_length=1024)
    # RESTRICT, not PROTECT: a blob goes only with the files that hold it (deleting a team takes both)
    blob = models.ForeignKey(Blob, on_delete=models.RESTRICT, related_name="files")

    class Meta:
        ordering = ["path"]
        constraints = [models.UniqueConstraint(fields=["version", "path"], name="one_artifact_file_per_path")]


class ArtifactAlias(models.Model):
    artifact = models.ForeignKey(Artifact, on_delete=models.CASCADE, related_name="aliases")
    version = models.ForeignKey(ArtifactVersion, on_delete=models.CASCADE, related_name="aliases")
    alias = models.CharField(max_length=128)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["alias"]
        constraints = [models.UniqueConstraint(fields=["artifact", "alias"], name="one_alias_per_artifact")]


class ArtifactUse(models.Model):
    """Lineage input: a run used an artifact version."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="artifact_uses")
    version = models.ForeignKey(ArtifactVersion, on_delete=models.CASCADE, related_name="uses")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "version"], name="one_use_per_run_and_version")]


class Upload(models.Model):
    """A resumable upload: the files a version will hold; their bytes arrive in parts (staged on disk)."""

    policy_kind = "in_project"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    artifact_name = models.CharField(max_length=64)
    upload_id = models.CharField(max_length=32, unique=True)
    files = models.JSONField(default=list)  # [{path, size, sha256}]
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    committed_at = models.DateTimeField(null=True, blank=True)


# --- The model registry ------------------------------------------------------------------------


class RegisteredModel(models.Model):
    """Judged by the team's registry:* scopes (no policy_kind: it has a .team)."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="registered_models")
    name = models.CharField(max_length=64, validators=[slug_validator])
    description = models.TextField(blank=True, max_length=10_000)
    next_index = models.IntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["team", "name"], name="registered_model_name_unique")]

    def __str__(self):
        return self.name


class ModelVersion(models.Model):
    """An artifact version linked to a registered model: v0, v1, ... in link order."""

    model = models.ForeignKey(RegisteredModel, on_delete=models.CASCADE, related_name="versions")
    index = models.IntegerField()
    # deleting one version is refused while linked (409, registry.services); a deleted project takes its links along
    artifact_version = models.ForeignKey(ArtifactVersion, on_delete=models.CASCADE, related_name="model_links")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-index"]
        constraints = [models.UniqueConstraint(fields=["model", "index"], name="one_model_version_per_index")]

    @property
    def team(self):
        return self.model.team

    @property
    def version(self):
        return f"v{self.index}"


class ModelAlias(models.Model):
    model = models.ForeignKey(RegisteredModel, on_delete=models.CASCADE, related_name="aliases")
    model_version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="aliases")
    alias = models.CharField(max_length=128)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["alias"]
        constraints = [models.UniqueConstraint(fields=["model", "alias"], name="one_alias_per_model")]


class RegistrySettings(models.Model):
    """A team's registry settings: the aliases only registry admins may set, move or remove."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="registry_settings")
    protected_aliases = models.JSONField(default=list, blank=True)
