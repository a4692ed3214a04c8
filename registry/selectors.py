"""Reads for artifacts and the registry, by audience: one query per list, whatever its length."""

from __future__ import annotations

import re

from django.db.models import Count, Max, Prefetch, Sum

from experiments.models import Project, Run
from teams import policy
from teams.models import Team

from .models import Artifact, ArtifactAlias, ArtifactFile, ArtifactUse, ArtifactVersion, ModelAlias, ModelVersion, RegisteredModel

VERSION_NAME = re.compile(r"v(\d+)")


def artifact_by_name(project: Project, name: str) -> Artifact | None:
    return Artifact.objects.select_related("project__team").filter(project=project, name=name).first()


def version_by_ref(artifact: Artifact, ref: str) -> ArtifactVersion | None:
    """`vN`, `latest` (the newest) or an alias."""
    versions = ArtifactVersion.objects.select_related("artifact__project__team", "project__team", "created_by", "logged_by_run").filter(artifact=artifact)
    ref = ref or "latest"
    if ref == "latest":
        return versions.order_by("-index").first()
    match = VERSION_NAME.fullmatch(ref)
    if match:
        return versions.filter(index=int(match.group(1))).first()
    return versions.filter(aliases__alias=ref).first()


def parse_ref(ref: str) -> tuple[str | None, str, str]:
    """"project/name:version-or-alias" (project and version optional) -> (project, name, version)."""
    ref = (ref or "").strip()
    head, _, version = ref.partition(":")
    project, _, name = head.rpartition("/")
    return (project or None), name, (version or "latest")


def resolve(user, team: Team, ref: str, *, project: Project | None = None) -> ArtifactVersion | None:
    """The version `ref` names in `team` (relative to `project` when it names none), if `user` can see it."""
    from experiments.selectors import project_by_name

    project_name, name, version = parse_ref(ref)
    if project_name:
        project = project_by_name(team, project_name)
    if project is None or not policy.can_see(user, project):
        return None
    artifact = artifact_by_name(project, name)
    return version_by_ref(artifact, version) if artifact else None


def artifacts_of(project: Project):
    """The project's artifacts with version count, newest version number and total size (one query)."""
    return (
        Artifact.objects.filter(project=project)
        .annotate(version_count=Count("versions", distinct=True), latest_index=Max("versions__index"), total_size=Sum("versions__size"))
        .order_by("type", "name")
    )


def versions_of(artifact: Artifact):
    return (
        ArtifactVersion.objects.filter(artifact=artifact)
        .select_related("created_by", "logged_by_run")
        .prefetch_related(Prefetch("aliases", queryset=ArtifactAlias.objects.order_by("alias")))
        .order_by("-index")
    )


def aliases_of(artifact: Artifact) -> dict:
    return dict(ArtifactAlias.objects.filter(artifact=artifact).values_list("alias", "version__index"))


def files_of(version: ArtifactVersion):
    return ArtifactFile.objects.filter(version=version).select_related("blob").order_by("path")


def file_of(version: ArtifactVersion, path: str) -> ArtifactFile | None:
    return ArtifactFile.objects.select_related("blob__storage").filter(version=version, path=path).first()


def used_by(version: ArtifactVersion):
    return Run.objects.filter(artifact_uses__version=version).select_related("project__team").order_by("-created_at")


def version_names(versions) -> dict:
    """{version id: "project/name:vN"} for display."""
    return {v.pk: f"{v.project.name}/{v.artifact.name}:{v.version}" for v in versions}


# --- Runs ---------------------------------------------------------------------------------------


def run_artifacts(run: Run) -> dict:
    """What a run logged and used (two queries)."""
    logged = ArtifactVersion.objects.filter(logged_by_run=run).select_related("artifact", "project__team").order_by("artifact__name", "index")
    used = ArtifactVersion.objects.filter(uses__run=run).select_related("artifact", "project__team").order_by("artifact__name", "index")
    return {"logged": list(logged), "used": list(used)}


# --- Lineage ---------------------------------------------------------------------------------------


def lineage(user, version: ArtifactVersion, hops: int = 2) -> dict:
    """Runs and versions around `version`, a few hops each way, limited to runs `user` may see.

    Nodes: ("run", id) and ("version", id); edges: version -> run (used) and run -> version (logged).
    """
    versions = {version.pk: version}
    runs: dict[int, Run] = {}
    edges = set()
    frontier_versions, frontier_runs = {version.pk}, set()
    for _ in range(hops):
        uses = ArtifactUse.objects.filter(version_id__in=frontier_versions).values_list("version_id", "run_id")
        makers = ArtifactVersion.objects.filter(pk__in=frontier_versions, logged_by_run__isnull=False).values_list("pk", "logged_by_run_id")
        new_runs = set()
        for version_id, run_id in uses:
            edges.add((("version", version_id), ("run", run_id)))
            new_runs.add(run_id)
        for version_id, run_id in makers:
            edges.add((("run", run_id), ("version", version_id)))
            new_runs.add(run_id)
        new_runs -= set(runs)
        visible = policy.visible(user, Run.objects.filter(pk__in=new_runs)).select_related("project__team")
        for run in visible:
            runs[run.pk] = run
        frontier_runs = {run_id for run_id in new_runs if run_id in runs}
        logged = ArtifactVersion.objects.filter(logged_by_run_id__in=frontier_runs).values_list("logged_by_run_id", "pk")
        inputs = ArtifactUse.objects.filter(run_id__in=frontier_runs).values_list("run_id", "version_id")
        new_versions = set()
        for run_id, version_id in logged:
            edges.add((("run", run_id), ("version", version_id)))
            new_versions.add(version_id)
        for run_id, version_id in inputs:
            edges.add((("version", version_id), ("run", run_id)))
            new_versions.add(version_id)
        new_versions -= set(versions)
        found = policy.visible(user, ArtifactVersion.objects.filter(pk__in=new_versions)).select_related("artifact", "project__team")
        for found_version in found:
            versions[found_version.pk] = found_version
        frontier_versions = set(found.values_list("pk", flat=True)) if new_versions else set()
        if not frontier_versions:
            break
    known = {("run", pk) for pk in runs} | {("version", pk) for pk in versions}
    edges = {edge for edge in edges if edge[0] in known and edge[1] in known}
    return {"versions": versions, "runs": runs, "edges": sorted(edges)}


# --- The registry -----------------------------------------------------------------------------------


def models_of(team: Team):
    return (
        RegisteredModel.objects.filter(team=team)
        .annotate(version_count=Count("versions", distinct=True))
        .prefetch_related(Prefetch("aliases", queryset=ModelAlias.objects.select_related("model_version").order_by("alias")))
        .order_by("name")
    )


def model_by_name(team: Team, name: str) -> RegisteredModel | None:
    return RegisteredModel.objects.select_related("team").filter(team=team, name=name).first()


def links_of(model: RegisteredModel):
    return (
        ModelVersion.objects.filter(model=model)
        .select_related("artifact_version__artifact", "artifact_version__project__team", "created_by")
        .prefetch_related(Prefetch("aliases", queryset=ModelAlias.objects.order_by("alias")))
        .order_by("-index")
    )


def link_by_ref(model: RegisteredModel, ref: str) -> ModelVersion | None:
    links = ModelVersion.objects.select_related("model__team", "artifact_version__artifact", "artifact_version__project__team").filter(model=model)
    if ref == "latest":
        return links.order_by("-index").first()
    match = VERSION_NAME.fullmatch(ref or "")
    if match:
        return links.filter(index=int(match.group(1))).first()
    return links.filter(aliases__alias=ref).first()


def model_aliases(model: RegisteredModel) -> dict:
    return dict(ModelAlias.objects.filter(model=model).values_list("alias", "model_version__index"))


def linkable_models(user, team: Team):
    """The team's registered models `user` may link versions to (one query)."""
    return policy.permitted(user, "registry:add_model", RegisteredModel.objects.filter(team=team)).order_by("name")
