"""MLflow's objects as teamsite's: experiment = project, run = run; finding them for a caller and
writing them out as MLflow's JSON (ids as strings, times in milliseconds)."""

from __future__ import annotations


from django.db.models import Q

from experiments.models import MetricSeries, Project, Run, RunFile, SeriesKind
from registry import services as registry
from teams import policy
from teams import storage as team_storage
from teams.models import Membership, Team

from .protocol import MlflowError, invalid, json_number, missing

STATUS_OF_STATE = {"running": "RUNNING", "finished": "FINISHED", "failed": "FAILED", "crashed": "FAILED", "stopped": "KILLED"}
STATE_OF_STATUS = {"RUNNING": "running", "SCHEDULED": "running", "FINISHED": "finished", "FAILED": "failed", "KILLED": "stopped"}


def ms(moment) -> int | None:
    return int(moment.timestamp() * 1000) if moment else None


# --- Experiments -----------------------------------------------------------------------


def experiment_name(project: Project) -> str:
    return f"{project.team.slug}/{project.name}"


def experiment_out(project: Project) -> dict:
    last = getattr(project, "last_run_at", None) or project.created_at
    out = {
        "experiment_id": str(project.pk),
        "name": experiment_name(project),
        "artifact_location": f"mlflow-artifacts:/{project.pk}",
        "lifecycle_stage": "deleted" if project.deleted_at else "active",
        "creation_time": ms(project.created_at),
        "last_update_time": ms(max(last, project.created_at)),
    }
    if project.description:
        out["tags"] = [{"key": "mlflow.note.content", "value": project.description}]
    return out


def experiment_by_id(actor, experiment_id) -> Project:
    """The project, bin included, for a caller who may see it; 404 otherwise (the same as a missing one)."""
    try:
        pk = int(str(experiment_id))
    except (TypeError, ValueError):
        raise missing(f"Could not find experiment with ID {experiment_id}") from None
    project = Project.everything.select_related("team").filter(pk=pk).first()
    if project is None or not policy.can_see(actor, project):
        raise missing(f"Could not find experiment with ID {experiment_id}")
    return project


def team_for_name(actor, name: str) -> tuple[Team, str]:
    """(team, project name) of an experiment name: `team/project`, or a bare project name
    in the caller's only team (a service account: its parent team)."""
    name = (name or "").strip()
    if not name:
        raise invalid("An experiment name must be a non-empty string such as 'team/project'.")
    team_slug, slash, project_name = name.rpartition("/")
    if slash:
        team = Team.objects.filter(slug=team_slug).first()
        if team is None:
            raise missing(f"Could not find experiment with name {name}: there is no team {team_slug}.")
        return team, project_name
    if not getattr(actor, "is_authenticated", False):
        raise MlflowError("UNAUTHENTICATED", "Send a teamsite API key: set MLFLOW_TRACKING_TOKEN.")
    if getattr(actor, "is_service", False) and hasattr(actor, "service_account"):
        return actor.service_account.team, name
    teams = list(Team.objects.filter(pk__in=Membership.objects.filter(user=actor).values("team_id")).order_by("slug"))
    if len(teams) == 1:
        return teams[0], name
    if not teams:
        raise invalid(f"Name the experiment 'team/{name}': you are in no team.")
    choices = ", ".join(f"'{team.slug}/{name}'" for team in teams)
    raise invalid(f"The experiment name '{name}' is ambiguous: you are in several teams; use one of {choices}.")


def experiment_by_name(actor, name: str) -> Project:
    team, project_name = team_for_name(actor, name)
    project = Project.everything.select_related("team").filter(team=team, name__iexact=project_name).first()
    if project is None or not policy.can_see(actor, project):
        raise missing(f"Could not find experiment with name {name}")
    return project


# --- Runs --------------------------------------------------------------------------------


def run_by_id(actor, run_id, *, active=False) -> Run:
    """The run with that id (MLflow names runs by id alone), bin included, for a caller who may see it."""
    run_id = str(run_id or "").strip()
    if not run_id:
        raise invalid("Missing value for required parameter 'run_id'.")
    found = [run for run in Run.everything.select_related("project__team", "created_by").filter(run_id=run_id)[:5]
             if policy.can_see(actor, run)]
    if not found:
        raise missing(f"Run '{run_id}' not found")
    if len(found) > 1:
        raise invalid(f"Several runs you can see have the id {run_id}; use teamsite's API (team/project/run) for them.")
    run = found[0]
    if active and (run.deleted_at is not None or run.project.deleted_at is not None):
        raise invalid(f"The run {run_id} must be in the 'active' state. Current state is deleted.")
    return run


def artifact_uri(run: Run) -> str:
    return f"mlflow-artifacts:/{run.project_id}/{run.run_id}/artifacts"


def run_info(run: Run) -> dict:
    info = {
        "run_id": run.run_id,
        "run_uuid": run.run_id,
        "run_name": run.name,
        "experiment_id": str(run.project_id),
        "user_id": run.created_by.username if run.created_by else "",
        "status": STATUS_OF_STATE.get(run.shown_state, "RUNNING"),
        "start_time": ms(run.created_at),
        "artifact_uri": artifact_uri(run),
        "lifecycle_stage": "deleted" if run.deleted_at else "active",
    }
    if run.finished_at and run.state != "running":
        info["end_time"] = ms(run.finished_at)
    return info


def _text(value) -> str:
    return value if isinstance(value, str) else str(value)


def run_tags(run: Run) -> dict:
    tags = dict(run.mlflow_tags)
    tags["mlflow.runName"] = run.name
    if run.created_by and "mlflow.user" not in tags:
        tags["mlflow.user"] = run.created_by.username
    if run.notes and "mlflow.note.content" not in tags:
        tags["mlflow.note.content"] = run.notes
    return tags


def latest_metrics(runs) -> dict[int, list]:
    """{run pk: [metric]} for many runs at once: one query over the series' last values."""
    found: dict[int, list] = {}
    beats = {run.pk: ms(run.heartbeat_at) for run in runs}
    rows = MetricSeries.objects.filter(run_id__in=list(beats), kind=SeriesKind.HISTORY).values_list("run_id", "key", "last_value", "last_step")
    for run_pk, key, value, step in rows.order_by("run_id", "key"):
        found.setdefault(run_pk, []).append({
            "key": key,
            "value": json_number(float("nan") if value is None else value),
            "timestamp": beats[run_pk],
            "step": int(step or 0),
        })
    return found


def run_out(run: Run, metrics: list | None = None) -> dict:
    if metrics is None:
        metrics = latest_metrics([run]).get(run.pk, [])
    data = {
        "metrics": metrics,
        "params": [{"key": key, "value": _text(value)} for key, value in sorted(run.config.items())],
        "tags": [{"key": key, "value": value} for key, value in sorted(run_tags(run).items())],
    }
    return {"info": run_info(run), "data": data, "inputs": {}, "outputs": {}}


def runs_out(runs) -> list[dict]:
    metrics = latest_metrics(runs)
    return [run_out(run, metrics.get(run.pk, [])) for run in runs]


def visible_projects(actor, experiment_ids) -> list[Project]:
    """The projects of runs/search: each id must be one the caller can see (404, or 401 for an anonymous caller)."""
    if not experiment_ids:
        raise invalid("Missing value for required parameter 'experiment_ids'.")
    return [experiment_by_id(actor, value) for value in experiment_ids]


def run_file_entries(run, prefix: str = "") -> list:
    """A run's files under `prefix` as registry entries, paths relative to it (a file named by the prefix
    itself keeps its name), streamed from wherever each was stored; the caller closes them."""
    prefix = prefix.strip("/")
    records = RunFile.objects.filter(run=run).order_by("path")
    if prefix:
        records = records.filter(Q(path=prefix) | Q(path__startswith=prefix + "/"))
    entries = []
    for record in records:
        relative = record.path.rpartition("/")[2] if record.path == prefix else record.path[len(prefix) + 1:] if prefix else record.path
        entries.append(registry.Entry(relative, record.size, record.sha256, team_storage.open_stream(record.storage, record.file.name)))
    return entries
