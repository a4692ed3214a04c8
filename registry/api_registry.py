"""The model registry (spec/api.md, "Model registry"): models, linked versions, aliases, protected aliases."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404
from ninja import Router, Schema, Status
from ninja.errors import AuthenticationError
from pydantic import Field

from core.pagination import paginate
from teams import policy
from teams.selectors import team_or_404

from . import selectors, services
from .api import stream_file

router = Router(tags=["registry"])
R = "/teams/{team}/registry"


class ModelIn(Schema):
    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=10_000)


class LinkIn(Schema):
    artifact: str


class AliasIn(Schema):
    version: str


class ProtectedIn(Schema):
    aliases: list[str]


def _team(request, slug):
    """The team (its name is public): anonymous callers 401, who lacks registry:view 403."""
    team = team_or_404(slug)
    if not getattr(request.auth, "is_authenticated", False):
        raise AuthenticationError()
    policy.require(request.auth, "registry:view", team)
    return team


def _model(request, team_slug, name):
    team = _team(request, team_slug)
    model = selectors.model_by_name(team, name)
    if model is None:
        raise Http404(f"There is no registered model {name}.")
    return model


def _link(model, ref):
    link = selectors.link_by_ref(model, ref)
    if link is None:
        raise Http404(f"{model.name} has no version {ref}.")
    return link


def link_out(link):
    version = link.artifact_version
    return {
        "version": link.version,
        "artifact": f"{version.project.name}/{version.artifact.name}:{version.version}",
        "aliases": sorted(alias.alias for alias in link.aliases.all()),
        "created_at": link.created_at.isoformat(),
    }


def model_out(model, *, full=False):
    body = {"name": model.name, "description": model.description, "created_by": model.created_by.username if model.created_by else None,
            "created_at": model.created_at.isoformat()}
    if full:
        links = list(selectors.links_of(model))
        body["versions"] = [link_out(link) for link in links]
        body["aliases"] = {alias: f"v{index}" for alias, index in selectors.model_aliases(model).items()}
        if links:
            body["aliases"]["latest"] = links[0].version
    else:
        body["version_count"] = getattr(model, "version_count", None)
    return body


@router.get(R + "/models", summary="The team's registered models")
def registry_model_list(request, team: str):
    found = _team(request, team)
    policy.require(request.auth, "registry:view", found)
    return paginate(request, selectors.models_of(found).select_related("created_by").order_by("-created_at", "-id"), model_out)


@router.post(R + "/models", response={201: dict}, summary="Register a model")
def registry_model_create(request, team: str, payload: ModelIn):
    model = services.model_create(actor=request.auth, team=_team(request, team), name=payload.name, description=payload.description)
    return Status(201, model_out(model, full=True))


@router.get(R + "/models/{model}", response=dict, summary="A registered model with its versions and aliases")
def registry_model_detail(request, team: str, model: str):
    found = _model(request, team, model)
    policy.require(request.auth, "registry:view", found.team)
    return model_out(found, full=True)


@router.delete(R + "/models/{model}", response={204: None}, summary="Delete a registered model")
def registry_model_delete(request, team: str, model: str):
    services.model_delete(actor=request.auth, model=_model(request, team, model))
    return Status(204, None)


@router.post(R + "/models/{model}/versions", response={200: dict, 201: dict}, summary="Link an artifact version")
def registry_model_link(request, team: str, model: str, payload: LinkIn):
    found = _model(request, team, model)
    policy.require(request.auth, "registry:add_model", found.team)  # before saying whether the artifact exists
    project_name, _, _ = selectors.parse_ref(payload.artifact)
    if not project_name:
        raise ValidationError({"artifact": ["Name the artifact as project/name:version-or-alias."]})
    version = selectors.resolve(request.auth, found.team, payload.artifact)
    if version is None:
        raise ValidationError({"artifact": [f"There is no artifact version {payload.artifact} you can see."]})
    link, created = services.model_link(actor=request.auth, model=found, version=version)
    return Status(201 if created else 200, {"version": link.version, "artifact": payload.artifact})


@router.delete(R + "/models/{model}/versions/{version}", response={204: None}, summary="Unlink a version")
def registry_model_unlink(request, team: str, model: str, version: str):
    found = _model(request, team, model)
    policy.require(request.auth, "registry:add_model", found.team)
    services.model_unlink(actor=request.auth, link=_link(found, version))
    return Status(204, None)


@router.put(R + "/models/{model}/aliases/{alias}", response=dict, summary="Set or move an alias")
def registry_model_alias_set(request, team: str, model: str, alias: str, payload: AliasIn):
    found = _model(request, team, model)
    link = selectors.link_by_ref(found, payload.version)
    if link is None:
        policy.require(request.auth, "registry:add_alias", found.team)
        raise ValidationError({"version": [f"{found.name} has no version {payload.version}."]})
    services.model_alias_set(actor=request.auth, model=found, alias=alias, link=link)
    return {"alias": alias, "version": link.version, "protected": alias in services.protected_aliases(found.team)}


@router.delete(R + "/models/{model}/aliases/{alias}", response={204: None}, summary="Remove an alias")
def registry_model_alias_delete(request, team: str, model: str, alias: str):
    services.model_alias_delete(actor=request.auth, model=_model(request, team, model), alias=alias)
    return Status(204, None)


@router.get(R + "/models/{model}/versions/{version}/files/{path:path}", summary="Download a file of a registered version")
def registry_model_file(request, team: str, model: str, version: str, path: str):
    found = _model(request, team, model)
    policy.require(request.auth, "registry:download", found.team)
    link = _link(found, version)
    record = selectors.file_of(link.artifact_version, path)
    if record is None:
        raise Http404(f"{found.name} {link.version} has no file {path}.")
    return stream_file(record)


@router.get(R + "/protected-aliases", response=dict, summary="The aliases only registry admins may move")
def registry_protected_get(request, team: str):
    found = _team(request, team)
    policy.require(request.auth, "registry:view", found)
    return {"aliases": services.protected_aliases(found)}


@router.put(R + "/protected-aliases", response=dict, summary="Set the protected aliases")
def registry_protected_set(request, team: str, payload: ProtectedIn):
    return {"aliases": services.protected_aliases_set(actor=request.auth, team=_team(request, team), aliases=payload.aliases)}
