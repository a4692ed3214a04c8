"""MLflow's tracking endpoints: experiments (= projects) and runs."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Max, Value
from django.db.models.functions import Concat

from experiments import services as experiments
from experiments.models import Project, Run

from . import mapping, search, services
from .filters import FilterError, _Parser
from .protocol import MlflowError, endpoint, invalid, missing

# --- Experiments -----------------------------------------------------------------------


@endpoint("experiments/create", "POST")
def experiment_create(call):
    name = call.required("name")
    team, project_name = mapping.team_for_name(call.actor, name)
    if Project.everything.filter(team=team, name__iexact=project_name).exists():
        raise MlflowError("RESOURCE_ALREADY_EXISTS", f"Experiment '{name}' already exists.")
    try:
        project = experiments.project_create(actor=call.actor, team=team, name=project_name)
    except ValidationError as exc:
        raise invalid(" ".join(m for values in exc.message_dict.values() for m in values)) from None
    for tag in call.get("tags", []):
        if isinstance(tag, dict) and tag.get("key") == "mlflow.note.content":
            experiments.project_update(actor=call.actor, project=project, description=str(tag.get("value", "")))
    return {"experiment_id": str(project.pk)}


@endpoint("experiments/get", "GET")
def experiment_get(call):
    return {"experiment": mapping.experiment_out(mapping.experiment_by_id(call.actor, call.required("experiment_id")))}


@endpoint("experiments/get-by-name", "GET")
def experiment_get_by_name(call):
    return {"experiment": mapping.experiment_out(mapping.experiment_by_name(call.actor, call.required("experiment_name")))}


EXPERIMENT_FIELDS = {"name": "_full_name", "creation_time": "created_at", "last_update_time": "created_at", "experiment_id": "pk"}
VIEW_TYPES = {"ACTIVE_ONLY", "DELETED_ONLY", "ALL", "1", "2", "3"}


def _experiment_filter(projects, text):
    """experiments/search's filter: name, creation_time, tags (experiments carry none here) with the runs grammar."""
    if not text:
        return projects
    parser = _Parser(text)
    comparisons = []
    while True:
        token = parser.peek()
        bare = token.kind == "WORD" and "." not in token.text
        if bare:  # MLflow accepts `name LIKE 'x%'` as well as `attribute.name ...`
            parser.tokens[parser.pos] = type(token)("WORD", f"attributes.{token.text}", token.at)
        entity, key = _experiment_identifier(parser)
        op = parser.comparator()
        numeric = key in ("creation_time", "last_update_time")
        value = parser.value(numeric, op)
        comparisons.append((entity, key, op, value))
        if not parser.keyword("AND"):
            break
        parser.take()
    if parser.peek().kind != "END":
        parser.fail("AND or the end of the filter")
    projects = projects.annotate(_full_name=Concat("team__slug", Value("/"), "name"))
    for entity, key, op, value in comparisons:
        if entity == "tag":
            projects = projects.none() if op not in ("!=", "NOT IN") else projects
        elif key in ("creation_time", "last_update_time"):
            projects = projects.filter(search._time_condition("created_at", op, value))
        elif key == "name":
            projects = projects.filter(search._string_condition("_full_name", op, value))
        else:
            raise FilterError(f"Invalid attribute key '{key}' for experiments: use name, creation_time or last_update_time.")
    return projects


def _experiment_identifier(parser):
    token = parser.take()
    entity_text, _, key = token.text.partition(".")
    if entity_text in ("tag", "tags"):
        return "tag", key
    if entity_text not in ("attribute", "attributes", "attr"):
        raise FilterError(f"Invalid entity type '{entity_text}' in an experiments filter: use name, attributes. or tags.")
    return "attribute", key


@endpoint("experiments/search", "POST", "GET")
def experiment_search(call):
    from teams import policy

    view_type = str(call.get("view_type", "ACTIVE_ONLY"))
    projects = policy.visible(call.actor, Project.everything.select_related("team"))
    if view_type in ("ACTIVE_ONLY", "1"):
        projects = projects.filter(deleted_at__isnull=True)
    elif view_type in ("DELETED_ONLY", "2"):
        projects = projects.filter(deleted_at__isnull=False)
    projects = _experiment_filter(projects, call.get("filter"))
    projects = projects.annotate(last_run_at=Max("runs__created_at")).order_by("-created_at", "-id")
    rows, token = search.page(projects, search.max_results_of(call.get("max_results"), default=1000), call.get("page_token"))
    out = {"experiments": [mapping.experiment_out(project) for project in rows]}
    if token:
        out["next_page_token"] = token
    return out


@endpoint("experiments/update", "POST")
def experiment_update(call):
    project = mapping.experiment_by_id(call.actor, call.required("experiment_id"))
    new_name = call.required("new_name")
    team_slug, slash, project_name = new_name.rpartition("/")
    if slash and team_slug != project.team.slug:
        raise invalid(f"An experiment stays in its team: name it '{project.team.slug}/{project_name}'.")
    experiments.project_update(actor=call.actor, project=project, name=project_name)
    return {}


@endpoint("experiments/delete", "POST")
def experiment_delete(call):
    experiments.project_trash(actor=call.actor, project=mapping.experiment_by_id(call.actor, call.required("experiment_id")))
    return {}


@endpoint("experiments/restore", "POST")
def experiment_restore(call):
    experiments.project_restore(actor=call.actor, project=mapping.experiment_by_id(call.actor, call.required("experiment_id")))
    return {}


@endpoint("experiments/set-experiment-tag", "POST")
def experiment_set_tag(call):
    project = mapping.experiment_by_id(call.actor, call.required("experiment_id"))
    if call.required("key") == "mlflow.note.content":
        experiments.project_update(actor=call.actor, project=project, description=str(call.get("value", "")))
    return {}


# --- Runs --------------------------------------------------------------------------------


@endpoint("runs/create", "POST")
def run_create(call):
    project = mapping.experiment_by_id(call.actor, call.get("experiment_id") or "")
    if project.deleted_at is not None:
        raise invalid(f"The experiment {project.pk} must be in the 'active' state. Current state is deleted.")
    run = services.run_begin(actor=call.actor, project=project, run_name=call.get("run_name", ""), tags=call.get("tags", []))
    return {"run": mapping.run_out(run, metrics=[])}


@endpoint("runs/get", "GET")
def run_get(call):
    return {"run": mapping.run_out(mapping.run_by_id(call.actor, call.required("run_id", "run_uuid")))}


@endpoint("runs/update", "POST")
def run_update(call):
    run = mapping.run_by_id(call.actor, call.required("run_id", "run_uuid"), active=True)
    changes = {}
    status = call.get("status")
    if status:
        if status not in mapping.STATE_OF_STATUS:
            raise invalid(f"Invalid run status {status!r}: use one of {', '.join(mapping.STATE_OF_STATUS)}.")
        if mapping.STATE_OF_STATUS[status] != run.state:
            changes["state"] = mapping.STATE_OF_STATUS[status]
    if call.get("run_name"):
        changes["name"] = call.get("run_name")
    if changes:
        run = experiments.run_update(actor=call.actor, run=run, **changes)
    run = mapping.run_by_id(call.actor, run.run_id)
    return {"run_info": mapping.run_info(run)}


@endpoint("runs/delete", "POST")
def run_delete(call):
    experiments.run_trash(actor=call.actor, run=mapping.run_by_id(call.actor, call.required("run_id")))
    return {}


@endpoint("runs/restore", "POST")
def run_restore(call):
    experiments.run_restore(actor=call.actor, run=mapping.run_by_id(call.actor, call.required("run_id")))
    return {}


RUN_VIEWS = {"ACTIVE_ONLY": "active", "1": "active", "DELETED_ONLY": "deleted", "2": "deleted", "ALL": "all", "3": "all"}


def runs_matching(actor, experiment_ids, filter_text, view_type="ACTIVE_ONLY", order_by=None):
    """The runs/search queryset: one query, filter and order included (see search.py)."""
    from .filters import parse_filter

    view = RUN_VIEWS.get(str(view_type or "ACTIVE_ONLY"))
    if view is None:
        raise invalid(f"Invalid run_view_type {view_type!r}: use ACTIVE_ONLY, DELETED_ONLY or ALL.")
    projects = mapping.visible_projects(actor, experiment_ids)
    runs = Run.everything.filter(project__in=projects).select_related("project__team", "created_by")
    if view == "active":
        runs = runs.filter(deleted_at__isnull=True)
    elif view == "deleted":
        runs = runs.filter(deleted_at__isnull=False)
    runs = search.apply_filter(runs, parse_filter(filter_text))
    return search.apply_order(runs, order_by)


@endpoint("runs/search", "POST", "GET")
def run_search(call):
    order_by = call.list("order_by")
    runs = runs_matching(call.actor, call.list("experiment_ids"), call.get("filter", ""), call.get("run_view_type"), order_by)
    rows, token = search.page(runs, search.max_results_of(call.get("max_results")), call.get("page_token"))
    out = {"runs": mapping.runs_out(rows)}
    if token:
        out["next_page_token"] = token
    return out


@endpoint("runs/log-parameter", "POST")
def log_param(call):
    run = mapping.run_by_id(call.actor, call.required("run_id", "run_uuid"), active=True)
    key = call.required("key")
    services.batch_log(actor=call.actor, run=run, params=[{"key": key, "value": call.get("value", "")}])
    return {}


@endpoint("runs/set-tag", "POST")
def set_tag(call):
    run = mapping.run_by_id(call.actor, call.required("run_id", "run_uuid"), active=True)
    services.batch_log(actor=call.actor, run=run, tags=[{"key": call.required("key"), "value": call.get("value", "")}])
    return {}


@endpoint("runs/delete-tag", "POST")
def delete_tag(call):
    run = mapping.run_by_id(call.actor, call.required("run_id"), active=True)
    key = call.required("key")
    try:
        experiments.run_params_tags_log(actor=call.actor, run=run, delete_tags=[key])
    except ValidationError as exc:
        if getattr(exc, "error_dict", {}).get("tags", [None])[0] and exc.error_dict["tags"][0].code == "missing":
            raise missing(exc.error_dict["tags"][0].message) from None
        raise
    return {}


@endpoint("runs/log-inputs", "POST")
def log_inputs(call):
    """Datasets and model inputs: accepted (the caller must be the run's logger); teamsite keeps no dataset records yet."""
    run = mapping.run_by_id(call.actor, call.required("run_id"), active=True)
    experiments.run_params_tags_log(actor=call.actor, run=run)
    return {}


@endpoint("runs/log-outputs", "POST")
def log_outputs(call):
    run = mapping.run_by_id(call.actor, call.required("run_id"), active=True)
    experiments.run_params_tags_log(actor=call.actor, run=run)
    return {}


