"""Artifacts, the model registry and the storage connector (artifact:*, registry:*, team:manage).

The world gains artifacts "mnist" (v0 with the alias "best", v1) and "resnet" (v0, v1)
in the team-visibility project, logged by the member; registered models "clf"
(v0 -> resnet:v0 holding the protected alias "production" and "staging"; v1 -> resnet:v1)
and "draft" (nothing linked); an upload the member started of content the site holds.
Nobody in the matrix is a registry admin, so protected aliases refuse everyone.

Statuses in the order: anonymous outsider viewer member admin service.
"""

import hashlib
import json

from django.core.files.uploadedfile import SimpleUploadedFile

from registry import services as registry
from teams.policy import SYSTEM
from tests.url_matrix.table import api, page

WEIGHTS = b"weights"


def _entries(files):
    return registry.entries_from_uploads({path: SimpleUploadedFile(path, data) for path, data in files.items()})


def extend(w):
    member = w.users["member"]
    log = lambda name, type, files, **kw: registry.version_create(actor=member, project=w.project, name=name, type=type, entries=_entries(files), **kw)[0]  # noqa: E731
    log("mnist", "dataset", {"model.txt": WEIGHTS}, aliases=["best"])
    log("mnist", "dataset", {"model.txt": WEIGHTS, "more.txt": b"more"})
    resnet0 = log("resnet", "model", {"model.txt": b"resnet 0"})
    resnet1 = log("resnet", "model", {"model.txt": b"resnet 1"})
    clf = registry.model_create(actor=member, team=w.team, name="clf")
    registry.model_create(actor=member, team=w.team, name="draft")
    first = registry.model_link(actor=member, model=clf, version=resnet0)[0]
    registry.model_link(actor=member, model=clf, version=resnet1)
    registry.protected_aliases_set(actor=SYSTEM, team=w.team, aliases=["production"])
    registry.model_alias_set(actor=SYSTEM, model=clf, alias="production", link=first)
    registry.model_alias_set(actor=member, model=clf, alias="staging", link=first)
    held = hashlib.sha256(WEIGHTS).hexdigest()
    upload, _ = registry.upload_create(actor=member, project=w.project, name="mnist", files=[{"path": "copy.txt", "size": len(WEIGHTS), "sha256": held}])
    w.names.update(upload_id=upload.upload_id, sha256=held, model="clf", alias="best")


A = {"name": "mnist", "version": "v0"}  # "name" is the world's custom role otherwise
M = {"model": "clf", "version": "v1"}
NEW_FILE = lambda w: {"new.txt": SimpleUploadedFile("new.txt", b"new content")}  # noqa: E731

ROUTES = [
    # artifacts over the API (artifact:*; viewers look but never download)
    api("artifact_list", "GET", "401 404 200 200 200 200"),
    api("artifact_version_create", "POST", "401 404 403 201 201 201", kwargs=A, body={"manifest": json.dumps({"type": "dataset"})}, files=NEW_FILE),
    api("artifact_detail", "GET", "401 404 200 200 200 200", kwargs=A),
    api("artifact_version_detail", "GET", "401 404 200 200 200 200", kwargs=A),
    api("artifact_version_update", "PATCH", "401 404 403 200 200 200", kwargs=A, body={"description": "cleaned"}),
    api("artifact_version_delete", "DELETE", "401 404 403 204 204 204", kwargs=A),
    api("artifact_version_delete", "DELETE", "401 404 403 409 409 409", kwargs={"name": "resnet", "version": "v0"}, case="linked in the registry"),
    api("artifact_file", "GET", "401 404 403 200 200 200", kwargs=A),
    api("artifact_alias_set", "PUT", "401 404 403 200 200 200", kwargs=A, body={"version": "v1"}),
    api("artifact_alias_delete", "DELETE", "401 404 403 204 204 204", kwargs=A),
    api("artifact_upload_create", "POST", "401 404 403 201 201 201", kwargs=A, body=lambda w, actor: {"files": [{"path": "a.txt", "size": 1, "sha256": "0" * 64}]}),
    api("artifact_upload_status", "GET", "401 404 403 200 200 200", kwargs=A),
    api("artifact_upload_part", "PUT", "401 404 403 200 200 200", kwargs=A),  # content the site holds: nothing to send
    api("artifact_upload_commit", "POST", "401 404 403 201 201 201", kwargs=A, body={"type": "dataset"}),
    api("run_uses", "POST", "401 404 403 201 403 403", body={"artifact": "vision/mnist:best"}),  # only the run's logger
    # the model registry (registry:*; protected aliases need registry:manage_protected_aliases)
    api("registry_model_list", "GET", "401 403 200 200 200 200"),
    api("registry_model_create", "POST", "401 403 403 201 201 201", body={"name": "new-model"}),
    api("registry_model_detail", "GET", "401 403 200 200 200 200", kwargs=M),
    api("registry_model_delete", "DELETE", "401 403 403 403 204 403", kwargs={"model": "draft"}),
    api("registry_model_delete", "DELETE", "401 403 403 403 403 403", kwargs=M, case="holds a protected alias"),
    api("registry_model_link", "POST", "401 403 403 201 201 201", kwargs={"model": "draft"}, body={"artifact": "vision/mnist:v0"}),
    api("registry_model_unlink", "DELETE", "401 403 403 204 204 204", kwargs=M),
    api("registry_model_unlink", "DELETE", "401 403 403 403 403 403", kwargs={"model": "clf", "version": "v0"}, case="holds a protected alias"),
    api("registry_model_alias_set", "PUT", "401 403 403 200 200 200", kwargs={**M, "alias": "staging"}, body={"version": "v1"}),
    api("registry_model_alias_set", "PUT", "401 403 403 403 403 403", kwargs={**M, "alias": "production"}, body={"version": "v1"}, case="protected"),
    api("registry_model_alias_delete", "DELETE", "401 403 403 204 204 204", kwargs={**M, "alias": "staging"}),
    api("registry_model_alias_delete", "DELETE", "401 403 403 403 403 403", kwargs={**M, "alias": "production"}, case="protected"),
    api("registry_model_file", "GET", "401 403 200 200 200 200", kwargs=M),  # viewers MAY download registered models
    api("registry_protected_get", "GET", "401 403 200 200 200 200"),
    api("registry_protected_set", "PUT", "401 403 403 403 403 403", body={"aliases": []}),  # registry admins only
    # the storage connector (team:manage)
    api("team_storage_get", "GET", "401 403 403 403 200 403"),
    api("team_storage_put", "PUT", "401 403 403 403 200 403", body={"kind": "local"}),
    api("team_storage_test", "POST", "401 403 403 403 200 403"),
    # artifact pages
    page("artifacts", "GET", "in 404 200 200 200 in"),
    page("artifact", "GET", "in 404 200 200 200 in", kwargs=A),
    page("artifact-alias", "POST", "in 404 403 302 302 in", kwargs=A, body={"alias": "top", "version": "v0"}),
    page("artifact-version", "GET", "in 404 200 200 200 in", kwargs=A),
    page("artifact-version-edit", "POST", "in 404 403 302 302 in", kwargs=A, body={"description": "cleaned", "metadata": "{}"}),
    page("artifact-version-delete", "POST", "in 404 403 302 302 in", kwargs=A),
    page("artifact-lineage", "GET", "in 404 200 200 200 in", kwargs=A),
    page("artifact-link", "POST", "in 404 403 302 302 in", kwargs=A, body={"model": "draft"}),
    page("artifact-file", "GET", "in 404 403 200 200 in", kwargs=A),
    # registry pages
    page("registry", "GET", "in 403 200 200 200 in"),
    page("registry", "POST", "in 403 403 302 302 in", body={"name": "new-model"}, case="register"),
    page("registry-model", "GET", "in 403 200 200 200 in", kwargs=M),
    page("registry-model-alias", "POST", "in 403 403 302 302 in", kwargs=M, body={"alias": "staging", "version": "v1"}),
    page("registry-model-alias", "POST", "in 403 403 403 403 in", kwargs=M, body={"alias": "production", "version": "v1"}, case="protected"),
    page("registry-model-delete", "POST", "in 403 403 403 302 in", kwargs={"model": "draft"}),
    page("registry-model-unlink", "POST", "in 403 403 302 302 in", kwargs=M),
    page("registry-model-file", "GET", "in 403 200 200 200 in", kwargs=M),
    page("team-settings-registry", "GET", "in 403 403 403 200 in"),
    page("team-settings-storage", "GET", "in 403 403 403 200 in"),
    page("team-settings-storage", "POST", "in 403 403 403 302 in", body={"kind": "local"}, case="save"),
]
