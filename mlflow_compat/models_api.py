"""Logged models (MLflow 3): create, get, search, finalize, params, tags, delete.

A logged model is logged by a run (`source_run_id`): its artifact location is under
that run's artifacts (`models/<model_id>/`), so the client uploads its files through
the run's mlflow-artifacts path, under the run's policy. Finalizing it READY turns
those files into a teamsite artifact version of type `model` (the registry links it
from `register_model("models:/<model_id>")`).
"""

from __future__ import annotations

import re
import uuid

from django.utils import timezone

from experiments.models import Run
from registry import services as registry
from teams import policy

from . import mapping
from .models import LoggedModel
from .protocol import endpoint, invalid, missing

STATUSES = {LoggedModel.PENDING, LoggedModel.READY, LoggedModel.FAILED}


def model_out(model: LoggedModel) -> dict:
    run = model.run
    return {
        "info": {
            "model_id": model.model_id, "experiment_id": str(run.project_id), "name": model.name,
            "artifact_uri": f"mlflow-artifacts:/{run.project_id}/{run.run_id}/artifacts/{model.prefix}",
            "creation_timestamp_ms": mapping.ms(model.created_at), "last_updated_timestamp_ms": mapping.ms(model.updated_at),
            "status": model.status, "status_message": "", "source_run_id": run.run_id, "model_type": model.model_type,
            "tags": [{"key": k, "value": v} for k, v in sorted(model.tags.items())],
        },
        "data": {"params": [{"key": k, "value": v} for k, v in sorted(model.params.items())], "metrics": []},
    }


def _pairs(items, what) -> dict:
    if isinstance(items, dict):
        return {str(k): str(v) for k, v in items.items()}
    out = {}
    for item in items or []:
        if not isinstance(item, dict) or "key" not in item:
            raise invalid(f"Each {what} is an object with a key and a value.")
        out[str(item["key"])[:250]] = str(item.get("value", ""))[:8000]
    return out


def logged_model(actor, model_id, *, write=False, allow_deleted=False) -> LoggedModel:
    found = LoggedModel.objects.select_related("run__project__team").filter(model_id=str(model_id)).first()
    if found is None or not policy.can_see(actor, found.run) or (found.deleted_at and not allow_deleted):
        raise missing(f"Logged model with ID '{model_id}' not found.")
    if write:
        policy.require(actor, "run:log", found.run)
    return found


def _touch(model, **changes):
    for name, value in changes.items():
        setattr(model, name, value)
    model.updated_at = timezone.now()
    model.save()
    return {"model": model_out(model)}


@endpoint("logged-models", "POST")
def create(call):
    run_id = call.get("source_run_id")
    if not run_id:
        raise invalid("teamsite keeps a logged model with the run that logged it: log it inside mlflow.start_run() (source_run_id).")
    run = mapping.run_by_id(call.actor, run_id, active=True)
    if str(run.project_id) != str(call.get("experiment_id", run.project_id)):
        raise invalid(f"The run {run.run_id} is not in experiment {call.get('experiment_id')}.")
    policy.require(call.actor, "run:log", run)
    model = LoggedModel.objects.create(
        model_id=f"m-{uuid.uuid4().hex}", run=run, name=str(call.get("name") or "model")[:256], model_type=str(call.get("model_type", ""))[:128],
        params=_pairs(call.get("params"), "param"), tags=_pairs(call.get("tags"), "tag"), created_by=call.actor,
    )
    return {"model": model_out(model)}


@endpoint("logged-models/*", "GET")
def get(call):
    return {"model": model_out(logged_model(call.actor, call.args[0], allow_deleted=str(call.get("allow_deleted", "")).lower() == "true"))}


@endpoint("logged-models/*", "PATCH")
def finalize(call):
    model = logged_model(call.actor, call.args[0], write=True)
    status = call.required("status")
    if status not in STATUSES:
        raise invalid(f"status is one of {', '.join(sorted(STATUSES))}, not {status!r}.")
    version = model.artifact_version
    if status == LoggedModel.READY and version is None:
        version = _artifact_version(call.actor, model)
    return _touch(model, status=status, artifact_version=version)


@endpoint("logged-models/*", "DELETE")
def delete(call):
    _touch(logged_model(call.actor, call.args[0], write=True), deleted_at=timezone.now())
    return {}


@endpoint("logged-models/*/params", "POST")
def log_params(call):
    model = logged_model(call.actor, call.args[0], write=True)
    return _touch(model, params={**model.params, **_pairs(call.get("params"), "param")}) and {}


@endpoint("logged-models/*/tags", "PATCH")
def set_tags(call):
    model = logged_model(call.actor, call.args[0], write=True)
    return _touch(model, tags={**model.tags, **_pairs(call.get("tags"), "tag")}) and {}


@endpoint("logged-models/*/tags/*", "DELETE")
def delete_tag(call):
    model = logged_model(call.actor, call.args[0], write=True)
    tags = dict(model.tags)
    tags.pop(call.args[1], None)
    return _touch(model, tags=tags) and {}


@endpoint("logged-models/search", "POST")
def search(call):
    experiment_ids = [str(e) for e in call.list("experiment_ids")]
    seen_runs = policy.visible(call.actor, Run.objects.all()).values("pk")  # one query, not a check per model
    found = LoggedModel.objects.select_related("run__project__team").filter(deleted_at__isnull=True, run__in=seen_runs)
    if experiment_ids:
        found = found.filter(run__project_id__in=[e for e in experiment_ids if e.isdigit()])
    limit = str(call.get("max_results", 100))
    if not limit.isdigit() or not 0 < int(limit) <= 50_000:
        raise invalid(f"max_results is a whole number from 1 to 50000, not {limit!r}.")
    return {"models": [model_out(m) for m in found[: int(limit)]]}


def files_of(model: LoggedModel) -> list:
    """Its files as registry entries (relative to its folder); the caller closes them."""
    return mapping.run_file_entries(model.run, model.prefix)


def _artifact_version(actor, model: LoggedModel):
    entries = files_of(model)
    if not entries:
        raise invalid(f"The logged model {model.model_id} has no files yet: upload them before finalizing it READY.")
    try:
        version, _ = registry.version_create(
            actor=actor, project=model.run.project, name=re.sub(r"[^A-Za-z0-9_.-]", "-", model.name)[:64] or "model", type="model",
            entries=entries, metadata={"mlflow_model_id": model.model_id, **model.params}, run=model.run,
        )
    finally:
        for entry in entries:
            entry.fileobj.close()
    return version
