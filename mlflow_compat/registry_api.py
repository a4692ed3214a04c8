"""MLflow's model registry on teamsite's (registry/): registered models, model versions, aliases.

A model version's `source` (`runs:/<run_id>/<path>` or `mlflow-artifacts:/<exp>/<run>/artifacts/<path>`)
names run files; they become an artifact version of type `model` in the run's project
(the registry's version_create), linked to the registered model (model_link), READY at once.
MLflow numbers versions from 1; the registry's v0 is MLflow's version 1. Model names are bare
(MLflow's client refuses '/'): the team is the caller's only team, or a service account's own.
"""

from __future__ import annotations

import re

from registry import services as registry
from registry.models import ModelAlias, ModelVersion, RegisteredModel
from teams import policy


from . import mapping, models_api, search
from .filters import parse_simple
from .protocol import MlflowError, endpoint, invalid, missing

SOURCE = re.compile(r"^(?:runs:/(?P<run>[^/]+)|mlflow-artifacts:/(?P<exp>[^/]+)/(?P<run2>[^/]+)/artifacts)(?:/(?P<path>.*))?$")


def _model_name(model: RegisteredModel) -> str:
    """The bare name: MLflow's client refuses '/' and ':' in model names, so the team is the caller's
    (their only team, or a service account's parent team; `team/model` still works over plain HTTP)."""
    return model.name


def _model(actor, name) -> RegisteredModel:
    team, model_name = mapping.team_for_name(actor, name)
    policy.require(actor, "registry:view", team)
    model = RegisteredModel.objects.select_related("team").filter(team=team, name=model_name).first()
    if model is None:
        raise missing(f"Registered Model with name={name} not found")
    return model


def _version(actor, name, version) -> ModelVersion:
    model = _model(actor, name)
    try:
        index = int(str(version)) - 1
    except ValueError:
        raise invalid(f"Model version must be a whole number, not {version!r}.") from None
    link = ModelVersion.objects.select_related("artifact_version", "model__team", "created_by").filter(model=model, index=index).first()
    if link is None:
        raise missing(f"Model Version (name={name}, version={version}) not found")
    return link


def version_out(link: ModelVersion) -> dict:
    meta = link.artifact_version.metadata or {}
    return {
        "name": _model_name(link.model),
        "version": str(link.index + 1),
        "creation_timestamp": mapping.ms(link.created_at),
        "last_updated_timestamp": mapping.ms(link.created_at),
        "user_id": link.created_by.username if link.created_by else "",
        "current_stage": "None",
        "description": link.artifact_version.description,
        "source": meta.get("mlflow_source", ""),
        "run_id": meta.get("mlflow_run_id", ""),
        "status": "READY",
        "aliases": sorted(ModelAlias.objects.filter(model_version=link).values_list("alias", flat=True)),
        "tags": [],
    }


def model_out(model: RegisteredModel) -> dict:
    links = list(ModelVersion.objects.select_related("artifact_version", "model__team", "created_by").filter(model=model).order_by("-index")[:1])
    aliases = [{"alias": alias, "version": str(index + 1)}
               for alias, index in ModelAlias.objects.filter(model=model).values_list("alias", "model_version__index")]
    out = {
        "name": _model_name(model),
        "creation_timestamp": mapping.ms(model.created_at),
        "last_updated_timestamp": mapping.ms(model.created_at),
        "user_id": model.created_by.username if model.created_by else "",
        "description": model.description,
        "aliases": aliases,
        "tags": [],
    }
    if links:
        out["latest_versions"] = [version_out(links[0])]
    return out


@endpoint("registered-models/create", "POST")
def model_create(call):
    name = call.required("name")
    team, model_name = mapping.team_for_name(call.actor, name)
    if RegisteredModel.objects.filter(team=team, name=model_name).exists() and policy.can(call.actor, "registry:view", team):
        raise MlflowError("RESOURCE_ALREADY_EXISTS", f"Registered Model (name={name}) already exists.")
    model = registry.model_create(actor=call.actor, team=team, name=model_name, description=call.get("description", ""))
    return {"registered_model": model_out(model)}


@endpoint("registered-models/get", "GET")
def model_get(call):
    return {"registered_model": model_out(_model(call.actor, call.required("name")))}


@endpoint("registered-models/search", "GET", "POST")
def model_search(call):
    teams = _registry_teams(call.actor)
    models = RegisteredModel.objects.select_related("team").filter(team__in=teams).order_by("name", "id")
    models = _filtered(models, call.get("filter"), {"name": "name"})
    rows, token = search.page(models, search.max_results_of(call.get("max_results"), default=100, limit=1000), call.get("page_token"))
    out = {"registered_models": [model_out(model) for model in rows]}
    if token:
        out["next_page_token"] = token
    return out


def _registry_teams(actor):
    """The teams whose registry the caller reads (none for an anonymous caller)."""
    if not getattr(actor, "is_authenticated", False):
        return []
    return policy.teams_with(actor, "registry:view")


def _filtered(rows, text, fields):
    """The registry searches' filter (filters.parse_simple) on a queryset; models carry no MLflow tags,
    so a tag comparison holds only as `!=` / NOT IN (the client adds `tags.mlflow.prompt.is_prompt != 'true'`)."""
    for c in parse_simple(text, set(fields)):
        if c.entity == "tag":
            rows = rows if c.op in ("!=", "NOT IN") else rows.none()
            continue
        value = c.value.rpartition("/")[2] if c.key == "name" and isinstance(c.value, str) and c.op == "=" else c.value
        rows = rows.filter(search._string_condition(fields[c.key], c.op, value))
    return rows


@endpoint("registered-models/update", "PATCH", "POST")
def model_update(call):
    model = _model(call.actor, call.required("name"))
    model = registry.model_update(actor=call.actor, model=model, description=call.get("description", ""))
    return {"registered_model": model_out(model)}


@endpoint("registered-models/rename", "POST")
def model_rename(call):
    model = _model(call.actor, call.required("name"))
    new_name = call.required("new_name").rpartition("/")[2]
    model = registry.model_rename(actor=call.actor, model=model, name=new_name)
    return {"registered_model": model_out(model)}


@endpoint("registered-models/delete", "DELETE")
def model_delete(call):
    registry.model_delete(actor=call.actor, model=_model(call.actor, call.required("name")))
    return {}


@endpoint("registered-models/get-latest-versions", "POST", "GET")
def latest_versions(call):
    model = _model(call.actor, call.required("name"))
    links = list(ModelVersion.objects.select_related("artifact_version", "model__team", "created_by").filter(model=model).order_by("-index")[:1])
    return {"model_versions": [version_out(link) for link in links]}


@endpoint("registered-models/alias", "POST", "GET", "DELETE")
def alias(call):
    method = call.request.method
    name, alias_name = call.required("name"), call.required("alias")
    model = _model(call.actor, name)
    if method == "POST":
        link = _version(call.actor, name, call.required("version"))
        registry.model_alias_set(actor=call.actor, model=model, alias=alias_name, link=link)
        return {}
    found = ModelAlias.objects.select_related("model_version__artifact_version", "model_version__model__team").filter(model=model, alias=alias_name).first()
    if found is None:
        raise invalid(f"Registered model alias {alias_name} not found.")
    if method == "GET":
        return {"model_version": version_out(found.model_version)}
    registry.model_alias_delete(actor=call.actor, model=model, alias=alias_name)
    return {}


# --- Model versions ------------------------------------------------------------------------


def _source_files(actor, source, run_id):
    if (source or "").startswith("models:/m-"):  # a logged model (MLflow 3): the files under its folder of its run
        logged = models_api.logged_model(actor, source[len("models:/"):].split("/")[0])
        return logged.run, models_api.files_of(logged)
    match = SOURCE.match(source or "")
    if not match:
        raise invalid(f"Unsupported model version source {source!r}: use runs:/<run_id>/<path> or the run's mlflow-artifacts URI.")
    run = mapping.run_by_id(actor, match.group("run") or match.group("run2") or run_id)
    prefix = (match.group("path") or "").strip("/")
    entries = mapping.run_file_entries(run, prefix)
    if not entries:
        raise invalid(f"The run {run.run_id} has no files under {prefix or 'its artifacts'}; log the model's files first.")
    return run, entries


@endpoint("model-versions/create", "POST")
def version_create(call):
    model = _model(call.actor, call.required("name"))
    source = call.required("source")
    run, entries = _source_files(call.actor, source, call.get("run_id"))
    try:
        version, _ = registry.version_create(
            actor=call.actor, project=run.project, name=model.name, type="model", entries=entries,
            description=call.get("description", ""), metadata={"mlflow_source": source, "mlflow_run_id": run.run_id},
            run=run if policy.can(call.actor, "run:log", run) else None,
        )
    finally:
        for entry in entries:
            entry.fileobj.close()
    link, _ = registry.model_link(actor=call.actor, model=model, version=version)
    link = ModelVersion.objects.select_related("artifact_version", "model__team", "created_by").get(pk=link.pk)
    return {"model_version": version_out(link)}


@endpoint("model-versions/get", "GET")
def version_get(call):
    return {"model_version": version_out(_version(call.actor, call.required("name"), call.required("version")))}


@endpoint("model-versions/search", "GET", "POST")
def version_search(call):
    teams = _registry_teams(call.actor)
    links = ModelVersion.objects.select_related("artifact_version", "model__team", "created_by").filter(model__team__in=teams)
    links = _filtered(links, call.get("filter"), {"name": "model__name", "run_id": "artifact_version__metadata__mlflow_run_id"})
    rows, token = search.page(links.order_by("model__name", "-index"), search.max_results_of(call.get("max_results"), default=200, limit=10_000), call.get("page_token"))
    out = {"model_versions": [version_out(link) for link in rows]}
    if token:
        out["next_page_token"] = token
    return out


@endpoint("model-versions/update", "PATCH", "POST")
def version_update(call):
    link = _version(call.actor, call.required("name"), call.required("version"))
    registry.version_update(actor=call.actor, version=link.artifact_version, description=call.get("description", ""))
    return {"model_version": version_out(link)}


@endpoint("model-versions/delete", "DELETE")
def version_delete(call):
    registry.model_unlink(actor=call.actor, link=_version(call.actor, call.required("name"), call.required("version")))
    return {}


@endpoint("model-versions/get-download-uri", "GET")
def version_download_uri(call):
    link = _version(call.actor, call.required("name"), call.required("version"))
    policy.require(call.actor, "registry:download", link.model.team)
    meta = link.artifact_version.metadata or {}
    run = mapping.run_by_id(call.actor, meta.get("mlflow_run_id", ""))
    source = meta.get("mlflow_source", "")
    if source.startswith("models:/m-"):  # a logged model: its folder among the run's files
        path = f"models/{source[len('models:/'):].split('/')[0]}"
    else:
        match = SOURCE.match(source)
        path = (match.group("path") or "").strip("/") if match else ""
    return {"artifact_uri": mapping.artifact_uri(run) + (f"/{path}" if path else "")}
