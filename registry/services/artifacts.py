"""Artifact versions: log (deduplicated by digest, v0, v1, ... with no gap), describe, delete; aliases; lineage."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F

from core.errors import Conflict
from core.uploads import max_file_size, sha256_of, too_large
from experiments.models import Project, Run
from experiments.services import clean_file_path
from teams import policy
from teams.models import SLUG_RE

from ..models import Artifact, ArtifactAlias, ArtifactFile, ArtifactUse, ArtifactVersion
from . import blobs

SLUG = re.compile(SLUG_RE)
VERSION_NAME = re.compile(r"v\d+")
MAX_METADATA = 100_000


@dataclass
class Entry:
    """One file of a version to be: its path, size, sha256 and, when the site lacks the content, its bytes."""

    path: str
    size: int
    sha256: str
    fileobj: object = None


def digest_of(pairs) -> str:
    """spec/api.md: hex SHA-256 of one `path:sha256\\n` line per file, sorted by path."""
    text = "".join(f"{path}:{sha}\n" for path, sha in sorted(pairs))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def clean_alias(alias) -> str:
    if not isinstance(alias, str) or not 1 <= len(alias) <= 128 or "/" in alias or ":" in alias or alias != alias.strip():
        raise ValidationError({"aliases": [f"“{alias}” is not an alias: use 1 to 128 characters without “/” or “:”."]})
    if alias == "latest" or VERSION_NAME.fullmatch(alias):
        raise ValidationError({"aliases": [f"“{alias}” is a name the site keeps itself (latest, v0, v1, ...)."]})
    return alias


def clean_slug(value, field) -> str:
    if not isinstance(value, str) or not SLUG.fullmatch(value):
        raise ValidationError({field: ["Use 1 to 64 letters, digits, dots, dashes or underscores."]})
    return value


def clean_metadata(metadata):
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise ValidationError({"metadata": ["metadata is a JSON object."]})
    try:
        size = len(json.dumps(metadata, allow_nan=False))
    except (TypeError, ValueError):
        raise ValidationError({"metadata": ["metadata holds only JSON values (no NaN or infinity)."]}) from None
    if size > MAX_METADATA:
        raise ValidationError({"metadata": [f"metadata may take at most {MAX_METADATA:,} characters as JSON."]})
    return metadata


def entries_from_uploads(files: dict) -> list[Entry]:
    """Multipart uploads by relative path (sha256 computed while they streamed in)."""
    entries = []
    for path, upload in files.items():
        if upload.size > max_file_size():
            raise too_large(upload.size)
        entries.append(Entry(clean_file_path(path), upload.size, sha256_of(upload), upload))
    return entries


def _artifact_for_update(project, name, type):
    for _ in range(3):
        artifact = Artifact.objects.select_for_update().filter(project=project, name=name).first()
        if artifact is not None:
            return artifact
        try:
            with transaction.atomic():
                return Artifact.objects.create(project=project, name=name, type=type)
        except IntegrityError:  # created by a concurrent upload: lock theirs
            continue
    raise Conflict(f"The artifact {name} is being created by another upload; try again.")


def version_create(
    *, actor, project: Project, name: str, type: str, entries: list[Entry], description: str = "", metadata=None, aliases=None, run: Run | None = None
) -> tuple[ArtifactVersion, bool]:
    """Log a version of `name`; the same content as the newest version logs nothing (created: False)."""
    policy.require(actor, "artifact:create", project)
    if aliases:
        policy.require(actor, "artifact:edit_aliases", project)
    if run is not None:
        policy.require(actor, "run:log", run)
        if run.project.team_id != project.team_id:
            raise ValidationError({"run_id": ["The run belongs to another team."]})
    clean_slug(name, "name")
    clean_slug(type, "type")
    metadata = clean_metadata(metadata)
    aliases = sorted({clean_alias(alias) for alias in aliases or []})
    if not entries:
        raise ValidationError({"files": ["A version holds at least one file."]})
    paths = [entry.path for entry in entries]
    if len(set(paths)) != len(paths):
        raise ValidationError({"files": ["Two files have the same path."]})
    description = (description or "").strip()
    if len(description) > 10_000:
        raise ValidationError({"description": ["A description may have at most 10,000 characters."]})
    digest = digest_of((entry.path, entry.sha256) for entry in entries)
    written = blobs.Written()
    try:
        with transaction.atomic():
            return _create(actor, project, name, type, entries, digest, description, metadata, aliases, run, written)
    except BaseException:
        written.undo()
        raise


def _create(actor, project, name, type, entries, digest, description, metadata, aliases, run, written):
    artifact = _artifact_for_update(project, name, type)
    if artifact.type != type:
        raise ValidationError({"type": [f"{name} is an artifact of type {artifact.type}, not {type}."]})
    latest = artifact.versions.order_by("-index").first()
    if latest is not None and latest.digest == digest:
        _aliases_to(artifact, latest, aliases)
        return latest, False
    team = project.team
    have = blobs.held(team, {entry.sha256 for entry in entries})
    stored = {}
    for entry in entries:
        if entry.sha256 in stored:
            continue
        if entry.sha256 not in have and entry.fileobj is None:
            raise ValidationError({"files": [f"The site does not hold the content of {entry.path}; send its bytes."]})
        stored[entry.sha256] = blobs.store(team, entry.sha256, entry.size, entry.fileobj, written)
    for entry in entries:
        if stored[entry.sha256].size != entry.size:
            raise ValidationError({"files": [f"{entry.path} has {entry.size} bytes, but its sha256 names content of {stored[entry.sha256].size}."]})
    index = artifact.next_index
    Artifact.objects.filter(pk=artifact.pk).update(next_index=F("next_index") + 1)
    version = ArtifactVersion.objects.create(
        artifact=artifact,
        project=project,
        index=index,
        digest=digest,
        size=sum(entry.size for entry in entries),
        file_count=len(entries),
        description=description,
        metadata=metadata,
        created_by=actor if getattr(actor, "pk", None) else None,
        logged_by_run=run,
    )
    ArtifactFile.objects.bulk_create(ArtifactFile(version=version, path=entry.path, blob=stored[entry.sha256]) for entry in entries)
    if description and not artifact.description:
        Artifact.objects.filter(pk=artifact.pk).update(description=description)
    _aliases_to(artifact, version, aliases)
    return version, True


def _aliases_to(artifact, version, aliases):
    for alias in aliases:
        ArtifactAlias.objects.update_or_create(artifact=artifact, alias=alias, defaults={"version": version})


@transaction.atomic
def version_update(*, actor, version: ArtifactVersion, description: str | None = None, metadata=None) -> ArtifactVersion:
    policy.require(actor, "artifact:edit_metadata", version)
    if description is not None:
        description = description.strip()
        if len(description) > 10_000:
            raise ValidationError({"description": ["A description may have at most 10,000 characters."]})
        version.description = description
    if metadata is not None:
        version.metadata = clean_metadata(metadata)
    version.save(update_fields=["description", "metadata"])
    return version


@transaction.atomic
def version_delete(*, actor, version: ArtifactVersion):
    """Delete a version; its files go only when no other version uses them. Refused while the registry links it."""
    policy.require(actor, "artifact:delete", version)
    link = version.model_links.select_related("model").first()
    if link is not None:
        raise Conflict(f"{version} is linked to the registered model {link.model.name} as {link.version}; unlink it first.", model=link.model.name)
    blob_ids = set(version.files.values_list("blob_id", flat=True))
    version.delete()
    blobs.delete_unused(blob_ids)


@transaction.atomic
def alias_set(*, actor, artifact: Artifact, alias: str, version: ArtifactVersion) -> ArtifactAlias:
    """Point `alias` at `version`; an alias held by another version moves."""
    policy.require(actor, "artifact:edit_aliases", artifact)
    alias = clean_alias(alias)
    if version.artifact_id != artifact.pk:
        raise ValidationError({"version": ["That version belongs to another artifact."]})
    found, _ = ArtifactAlias.objects.update_or_create(artifact=artifact, alias=alias, defaults={"version": version})
    return found


@transaction.atomic
def alias_delete(*, actor, artifact: Artifact, alias: str):
    policy.require(actor, "artifact:delete_aliases", artifact)
    deleted, _ = ArtifactAlias.objects.filter(artifact=artifact, alias=alias).delete()
    if not deleted:
        raise policy.NotVisible(f"{artifact.name} has no alias {alias}.")


@transaction.atomic
def artifact_use(*, actor, run: Run, version: ArtifactVersion) -> ArtifactUse:
    """Record that `run` used `version` (lineage input); only the run's logger, who must see the artifact."""
    policy.require(actor, "run:log", run)
    policy.require(actor, "artifact:view", version)
    use, _ = ArtifactUse.objects.get_or_create(run=run, version=version)
    return use
