"""Artifact pages: a project's artifacts, one artifact (versions, aliases in place), one version
(files, downloads, metadata, lineage, "Link to registry"), the lineage graph.

Views parse input, call one service or selector and render; the services ask the policy.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.auth import require_signed_in
from core.errors import Conflict
from experiments import views as experiment_views

from . import graph, selectors, services
from .api import stream_file


def project_access(request, team, project, scope):
    """The project and the viewer's access; a visitor who cannot see it is sent to sign in first."""
    try:
        return experiment_views.project_access(request, team, project, scope)
    except Http404:
        require_signed_in(request)
        raise


def _artifact(request, team, project, name, scope="artifact:view"):
    project, access = project_access(request, team, project, scope)
    artifact = selectors.artifact_by_name(project, name)
    if artifact is None:
        raise Http404("No such artifact.")
    return project, access, artifact


def _version(request, team, project, name, version, scope="artifact:view"):
    project, access, artifact = _artifact(request, team, project, name, scope)
    found = selectors.version_by_ref(artifact, version)
    if found is None:
        raise Http404("No such version.")
    return project, access, artifact, found


def _errors(exc):
    return exc.message if isinstance(exc, Conflict) else " ".join(exc.messages)


def artifact_list(request, team, project):
    project, access = project_access(request, team, project, "artifact:view")
    artifacts = list(selectors.artifacts_of(project))
    by_type = {}
    for artifact in artifacts:
        by_type.setdefault(artifact.type, []).append(artifact)
    context = {"team": project.team, "project": project, "access": access, "by_type": by_type,
               "base_url": request.build_absolute_uri("/").rstrip("/")}
    return render(request, "registry/artifacts.html", context)


def artifact_detail(request, team, project, name):
    project, access, artifact = _artifact(request, team, project, name)
    versions = list(selectors.versions_of(artifact))
    context = {
        "team": project.team, "project": project, "access": access, "artifact": artifact, "versions": versions,
        "can_alias": access.can("artifact:edit_aliases"), "can_unalias": access.can("artifact:delete_aliases"),
    }
    template = "registry/artifact.html#versions" if request.htmx else "registry/artifact.html"
    return render(request, template, context)


@require_POST
def alias_set(request, team, project, name):
    project, access, artifact = _artifact(request, team, project, name)
    version = selectors.version_by_ref(artifact, request.POST.get("version", ""))
    alias = request.POST.get("alias", "").strip()
    status = 200
    if request.POST.get("remove"):
        try:
            services.alias_delete(actor=request.user, artifact=artifact, alias=alias)
        except Http404:
            messages.error(request, f"There is no alias {alias}.")
    elif version is None:
        access.require("artifact:edit_aliases")
        messages.error(request, "Choose a version.")
        status = 400
    else:
        try:
            services.alias_set(actor=request.user, artifact=artifact, alias=alias, version=version)
        except ValidationError as exc:
            messages.error(request, _errors(exc))
            status = 400
        else:
            messages.success(request, f"{alias} now names {version.version}.")
    if request.htmx:
        response = artifact_detail(request, team, project.name, name)
        response.status_code = status
        return response
    return redirect("artifact", team=project.team.slug, project=project.name, name=artifact.name)


def version_detail(request, team, project, name, version):
    project, access, artifact, found = _version(request, team, project, name, version)
    context = {
        "team": project.team, "project": project, "access": access, "artifact": artifact, "version": found,
        "files": list(selectors.files_of(found)), "used_by": list(selectors.used_by(found)),
        "can_download": access.can("artifact:download"), "can_edit": access.can("artifact:edit_metadata"),
        "can_delete": access.can("artifact:delete"),
        "models": list(selectors.linkable_models(request.user, project.team)) if request.user.is_authenticated else [],
        "links": list(found.model_links.select_related("model").order_by("model__name")),
        "metadata_json": json.dumps(found.metadata, indent=2, sort_keys=True),
        "base_url": request.build_absolute_uri("/").rstrip("/"),
    }
    return render(request, "registry/version.html", context)


@require_POST
def version_edit(request, team, project, name, version):
    project, access, artifact, found = _version(request, team, project, name, version)
    try:
        metadata = json.loads(request.POST.get("metadata") or "{}")
    except ValueError:
        access.require("artifact:edit_metadata")
        messages.error(request, "The metadata is not valid JSON.")
    else:
        try:
            services.version_update(actor=request.user, version=found, description=request.POST.get("description", ""), metadata=metadata)
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(request, "Description and metadata saved.")
    return redirect("artifact-version", team=project.team.slug, project=project.name, name=artifact.name, version=found.version)


@require_POST
def version_delete(request, team, project, name, version):
    project, _, artifact, found = _version(request, team, project, name, version)
    try:
        services.version_delete(actor=request.user, version=found)
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect("artifact-version", team=project.team.slug, project=project.name, name=artifact.name, version=found.version)
    messages.success(request, f"{found} was deleted.")
    return redirect("artifact", team=project.team.slug, project=project.name, name=artifact.name)


def version_file(request, team, project, name, version, path):
    _, _, _, found = _version(request, team, project, name, version, "artifact:download")
    record = selectors.file_of(found, path)
    if record is None:
        raise Http404("No such file.")
    return stream_file(record)


def lineage(request, team, project, name, version):
    project, access, artifact, found = _version(request, team, project, name, version)
    drawn = graph.layout(selectors.lineage(request.user, found), found)
    context = {"team": project.team, "project": project, "access": access, "artifact": artifact, "version": found, "graph": drawn}
    return render(request, "registry/lineage.html", context)
