"""Artifacts (spec/api.md, "Artifacts"): versions, files, aliases, resumable uploads, lineage.

Bytes stream both ways: uploads are hashed as they arrive (core/uploads.py) and
parts are copied from the request in chunks; downloads are streamed from storage.
"""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from django.http import Http404, StreamingHttpResponse
from ninja import Router, Schema, Status
from ninja.errors import AuthenticationError
from pydantic import Field

from accounts.api_auth import optional_auth
from core.pagination import paginate
from experiments import selectors as experiment_selectors
from teams import policy
from teams.selectors import team_or_404

from . import selectors, services
from .models import Artifact, ArtifactVersion, Upload
from .services import blobs

router = Router(tags=["artifacts"])
P = "/teams/{team}/projects/{project}"
A = P + "/artifacts"


class VersionPatch(Schema):
    description: str | None = Field(default=None, max_length=10_000)
    metadata: dict | None = None


class AliasIn(Schema):
    version: str


class UploadIn(Schema):
    files: list[dict]


class CommitIn(Schema):
    type: str
    description: str = Field(default="", max_length=10_000)
    metadata: dict | None = None
    aliases: list[str] | None = None
    run_id: str | None = None


class UseIn(Schema):
    artifact: str


def unseen(request, message):
    """What a caller who cannot see something gets: 401 without a key (it reveals nothing), else 404."""
    if not getattr(request.auth, "is_authenticated", False):
        raise AuthenticationError()
    return Http404(message)


def project_seen(request, team_slug, name):
    project = experiment_selectors.project_by_name(team_or_404(team_slug), name)
    if project is None or not policy.can_see(request.auth, project):
        raise unseen(request, f"There is no project {team_slug}/{name}.")
    return project


def artifact_seen(request, team, project, name) -> Artifact:
    found = project_seen(request, team, project)
    artifact = selectors.artifact_by_name(found, name)
    if artifact is None:
        raise Http404(f"There is no artifact {name} in {found}.")
    return artifact


def version_seen(request, team, project, name, ref) -> ArtifactVersion:
    artifact = artifact_seen(request, team, project, name)
    version = selectors.version_by_ref(artifact, ref)
    if version is None:
        raise Http404(f"{artifact.name} has no version {ref}.")
    return version


def _run_of(project, run_id):
    if not run_id:
        return None
    run = experiment_selectors.run_by_id(project, run_id)
    if run is None:
        raise ValidationError({"run_id": [f"There is no run {run_id} in {project}."]})
    return run


def file_out(record):
    return {"path": record.path, "size": record.blob.size, "sha256": record.blob.sha256}


def version_out(version, *, full=False):
    body = {
        "version": version.version,
        "digest": version.digest,
        "size": version.size,
        "file_count": version.file_count,
        "description": version.description,
        "metadata": version.metadata,
        "aliases": sorted(alias.alias for alias in version.aliases.all()),
        "created_by": version.created_by.username if version.created_by else None,
        "logged_by_run": version.logged_by_run.run_id if version.logged_by_run else None,
        "created_at": version.created_at.isoformat(),
    }
    if full:
        body["files"] = [file_out(record) for record in selectors.files_of(version)]
        body["used_by_runs"] = [f"{run.project.name}/{run.run_id}" for run in selectors.used_by(version)]
        body["artifact"] = version.artifact.name
        body["type"] = version.artifact.type
    return body


def created_out(version, created):
    return {"version": version.version, "digest": version.digest, "created": created}


# --- Artifacts and versions ----------------------------------------------------------------


@router.get(A, auth=optional_auth, summary="The project's artifacts")
def artifact_list(request, team: str, project: str):
    found = project_seen(request, team, project)
    policy.require(request.auth, "artifact:view", found)

    def out(artifact):
        latest = artifact.latest_index
        return {"name": artifact.name, "type": artifact.type, "description": artifact.description,
                "latest_version": f"v{latest}" if latest is not None else None, "version_count": artifact.version_count}

    return paginate(request, selectors.artifacts_of(found).order_by("-created_at", "-id"), out)


@router.post(A + "/{name}/versions", response={200: dict, 201: dict}, summary="Log a version (multipart: manifest + files)")
def artifact_version_create(request, team: str, project: str, name: str):
    found = project_seen(request, team, project)
    policy.require(request.auth, "artifact:create", found)  # before reading what may be a large body
    try:
        manifest = json.loads(request.POST.get("manifest") or "null")
    except ValueError:
        raise ValidationError({"manifest": ["The manifest is not valid JSON."]}) from None
    if not isinstance(manifest, dict):
        raise ValidationError({"manifest": ["Send a manifest field: JSON {type, description?, metadata?, aliases?, run_id?}."]})
    entries = services.entries_from_uploads({field: request.FILES[field] for field in request.FILES})
    version, created = services.version_create(
        actor=request.auth, project=found, name=name, type=manifest.get("type"), entries=entries,
        description=manifest.get("description") or "", metadata=manifest.get("metadata"), aliases=manifest.get("aliases"),
        run=_run_of(found, manifest.get("run_id")),
    )
    return Status(201 if created else 200, created_out(version, created))


@router.get(A + "/{name}", auth=optional_auth, response=dict, summary="An artifact with its versions and aliases")
def artifact_detail(request, team: str, project: str, name: str):
    artifact = artifact_seen(request, team, project, name)
    policy.require(request.auth, "artifact:view", artifact)
    versions = [version_out(version) for version in selectors.versions_of(artifact)]
    aliases = {alias: f"v{index}" for alias, index in selectors.aliases_of(artifact).items()}
    if versions:
        aliases["latest"] = versions[0]["version"]
    return {"name": artifact.name, "type": artifact.type, "description": artifact.description, "versions": versions, "aliases": aliases}


@router.get(A + "/{name}/versions/{version}", auth=optional_auth, response=dict, summary="One version with its files and lineage")
def artifact_version_detail(request, team: str, project: str, name: str, version: str):
    found = version_seen(request, team, project, name, version)
    policy.require(request.auth, "artifact:view", found)
    return version_out(found, full=True)


@router.patch(A + "/{name}/versions/{version}", response=dict, summary="Change a version's description or metadata")
def artifact_version_update(request, team: str, project: str, name: str, version: str, payload: VersionPatch):
    found = version_seen(request, team, project, name, version)
    services.version_update(actor=request.auth, version=found, **payload.dict(exclude_unset=True))
    return version_out(found, full=True)


@router.delete(A + "/{name}/versions/{version}", response={204: None}, summary="Delete a version")
def artifact_version_delete(request, team: str, project: str, name: str, version: str):
    services.version_delete(actor=request.auth, version=version_seen(request, team, project, name, version))
    return Status(204, None)


def stream_file(record, filename=None):
    response = StreamingHttpResponse(blobs.stream(record.blob), content_type="application/octet-stream")
    response["Content-Length"] = str(record.blob.size)
    response["Content-Disposition"] = f'attachment; filename="{(filename or record.path.rsplit("/", 1)[-1])}"'
    response["X-Checksum-Sha256"] = record.blob.sha256
    return response


@router.get(A + "/{name}/versions/{version}/files/{path:path}", auth=optional_auth, summary="Download one file (streamed)")
def artifact_file(request, team: str, project: str, name: str, version: str, path: str):
    found = version_seen(request, team, project, name, version)
    policy.require(request.auth, "artifact:download", found)
    record = selectors.file_of(found, path)
    if record is None:
        raise Http404(f"{found} has no file {path}.")
    return stream_file(record)


@router.put(A + "/{name}/aliases/{alias}", response=dict, summary="Set or move an alias")
def artifact_alias_set(request, team: str, project: str, name: str, alias: str, payload: AliasIn):
    artifact = artifact_seen(request, team, project, name)
    policy.require(request.auth, "artifact:edit_aliases", artifact)  # before saying whether the version exists
    version = selectors.version_by_ref(artifact, payload.version)
    if version is None:
        raise ValidationError({"version": [f"{artifact.name} has no version {payload.version}."]})
    services.alias_set(actor=request.auth, artifact=artifact, alias=alias, version=version)
    return {"alias": alias, "version": version.version}


@router.delete(A + "/{name}/aliases/{alias}", response={204: None}, summary="Remove an alias")
def artifact_alias_delete(request, team: str, project: str, name: str, alias: str):
    services.alias_delete(actor=request.auth, artifact=artifact_seen(request, team, project, name), alias=alias)
    return Status(204, None)


# --- Resumable uploads -------------------------------------------------------------------------------


def _upload(request, team, project, name, upload_id) -> Upload:
    found = project_seen(request, team, project)
    upload = Upload.objects.select_related("project__team").filter(project=found, artifact_name=name, upload_id=upload_id).first()
    if upload is None:
        raise Http404(f"There is no upload {upload_id}.")
    return upload


@router.post(A + "/{name}/uploads", response={201: dict}, summary="Start an upload: only missing contents are sent")
def artifact_upload_create(request, team: str, project: str, name: str, payload: UploadIn):
    upload, missing = services.upload_create(actor=request.auth, project=project_seen(request, team, project), name=name, files=payload.files)
    return Status(201, {"upload_id": upload.upload_id, "missing": missing})


@router.get(A + "/{name}/uploads/{upload_id}", response=dict, summary="What arrived so far")
def artifact_upload_status(request, team: str, project: str, name: str, upload_id: str):
    upload = _upload(request, team, project, name, upload_id)
    received = services.upload_status(actor=request.auth, upload=upload)
    sizes = {item["sha256"]: item["size"] for item in upload.files}
    held = blobs.held(upload.project.team, set(sizes))
    missing = sorted(sha for sha, size in sizes.items() if sha not in held and size > 0 and received.get(sha, 0) < size)
    return {"upload_id": upload.upload_id, "received": received, "missing": missing, "committed": bool(upload.committed_at)}


@router.put(A + "/{name}/uploads/{upload_id}/blobs/{sha256}", response=dict, summary="Send one part of a file (Content-Range)")
def artifact_upload_part(request, team: str, project: str, name: str, upload_id: str, sha256: str):
    upload = _upload(request, team, project, name, upload_id)
    length = request.META.get("CONTENT_LENGTH")
    held = services.upload_part(
        actor=request.auth, upload=upload, sha256=sha256, content_range=request.headers.get("Content-Range", ""),
        stream=request, length=int(length) if length and length.isdigit() else None,
    )
    return {"sha256": sha256, "received": held}


@router.post(A + "/{name}/uploads/{upload_id}/commit", response={200: dict, 201: dict}, summary="Log the version from the upload")
def artifact_upload_commit(request, team: str, project: str, name: str, upload_id: str, payload: CommitIn):
    upload = _upload(request, team, project, name, upload_id)
    version, created = services.upload_commit(
        actor=request.auth, upload=upload, type=payload.type, description=payload.description, metadata=payload.metadata,
        aliases=payload.aliases, run=_run_of(upload.project, payload.run_id),
    )
    return Status(201 if created else 200, created_out(version, created))


# --- Lineage --------------------------------------------------------------------------------------------


@router.post(P + "/runs/{run_id}/uses", response={201: dict}, summary="The run used an artifact version (lineage)")
def run_uses(request, team: str, project: str, run_id: str, payload: UseIn):
    found = project_seen(request, team, project)
    run = experiment_selectors.run_by_id(found, run_id)
    if run is None:
        raise Http404(f"There is no run {run_id} in {found}.")
    policy.require(request.auth, "run:log", run)  # before saying whether the artifact exists
    version = selectors.resolve(request.auth, found.team, payload.artifact, project=found)
    if version is None:
        raise Http404(f"There is no artifact {payload.artifact} you can see.")
    services.artifact_use(actor=request.auth, run=run, version=version)
    body = version_out(version, full=True)
    body["project"] = version.project.name
    return Status(201, body)
