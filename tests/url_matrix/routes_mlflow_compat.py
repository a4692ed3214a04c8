"""The MLflow paths (mlflow_compat/): the same policy as every other path, answered in MLflow's codes.

An MLflow endpoint is a `case` of its prefix's route. The world's run was logged by the member,
so only the member (its logger) writes history and files into it; changing its tags, params and
status is its logger's or a team admin's (run:edit); deleting is run:delete_own / run:delete_any.
Statuses in the order: anonymous outsider viewer member admin service.
"""

from experiments import services as experiments
from tests.url_matrix.table import mlflow


def extend(w):
    experiments.run_params_tags_log(actor=w.users["member"], run=w.run, tags={"stage": "dev"})


def _exp(w, actor=None):
    return str(w.project.pk)


def _run_body(**more):
    return lambda w, actor: {"run_id": w.run.run_id, "run_uuid": w.run.run_id, **more}


def _api(endpoint, method, expect, **kw):
    return mlflow("mlflow-api", method, expect, kwargs={"endpoint": endpoint}, case=endpoint, **kw)


def _artifact_path(rest=""):
    return lambda w, actor: f"{w.project.pk}/{w.run.run_id}/artifacts" + (f"/{rest}" if rest else "")


ROUTES = [
    # experiments = projects
    _api("experiments/search", "POST", "200 200 200 200 200 200", body={}),
    _api("experiments/get", "GET", "401 404 200 200 200 200", query=lambda w, a: f"experiment_id={w.project.pk}"),
    _api("experiments/get-by-name", "GET", "401 404 200 200 200 200", query="experiment_name=m-acme/vision"),
    _api("experiments/create", "POST", "401 403 403 200 200 200", body={"name": "m-acme/from-mlflow"}),
    _api("experiments/update", "POST", "401 404 403 403 200 403", body=lambda w, a: {"experiment_id": _exp(w), "new_name": "m-acme/renamed"}),
    _api("experiments/delete", "POST", "401 404 403 403 200 403", body=lambda w, a: {"experiment_id": _exp(w)}),
    _api("experiments/restore", "POST", "401 404 403 403 200 403", body=lambda w, a: {"experiment_id": _exp(w)}),
    # runs
    _api("runs/create", "POST", "401 404 403 200 200 200", body=lambda w, a: {"experiment_id": _exp(w), "run_name": "x"}),
    _api("runs/get", "GET", "401 404 200 200 200 200", query=lambda w, a: f"run_id={w.run.run_id}"),
    _api("runs/search", "POST", "401 404 200 200 200 200", body=lambda w, a: {"experiment_ids": [_exp(w)], "filter": "tags.stage = 'dev'"}),
    _api("runs/update", "POST", "401 404 403 200 200 403", body=_run_body(status="FINISHED")),
    _api("runs/delete", "POST", "401 404 403 200 200 403", body=_run_body()),
    _api("runs/restore", "POST", "401 404 403 200 200 403", body=_run_body()),
    _api("runs/log-metric", "POST", "401 404 403 200 403 403", body=_run_body(key="loss", value=0.5, step=99, timestamp=0)),
    _api("runs/log-batch", "POST", "401 404 403 200 403 403", body=_run_body(metrics=[{"key": "loss", "value": 1, "step": 99, "timestamp": 0}])),
    _api("runs/log-parameter", "POST", "401 404 403 200 200 403", body=_run_body(key="lr", value="0.1")),
    _api("runs/set-tag", "POST", "401 404 403 200 200 403", body=_run_body(key="k", value="v")),
    _api("runs/delete-tag", "POST", "401 404 403 200 200 403", body=_run_body(key="stage")),
    _api("runs/log-inputs", "POST", "401 404 403 200 200 403", body=_run_body(datasets=[])),
    _api("metrics/get-history", "GET", "401 404 200 200 200 200", query=lambda w, a: f"run_id={w.run.run_id}&metric_key=loss"),
    _api("metrics/get-history-bulk-interval", "GET", "401 404 200 200 200 200", query=lambda w, a: f"run_ids={w.run.run_id}&metric_key=loss"),
    # the registry: registry:view for everyone in the team; outsiders see the team's name, not its registry (403)
    _api("registered-models/create", "POST", "401 403 403 200 200 200", body={"name": "m-acme/from-mlflow"}),
    _api("registered-models/get", "GET", "401 403 404 404 404 404", query="name=m-acme/missing"),
    _api("registered-models/search", "GET", "200 200 200 200 200 200", query="filter=name LIKE 'x%'"),
    _api("logged-models/search", "POST", "200 200 200 200 200 200", body={}),
    mlflow("mlflow-ajax-api", "GET", "401 404 200 200 200 200", kwargs={"endpoint": "runs/get"}, query=lambda w, a: f"run_id={w.run.run_id}"),
    mlflow("mlflow-api-3", "GET", "401 404 200 200 200 200", kwargs={"endpoint": "runs/get"}, query=lambda w, a: f"run_id={w.run.run_id}"),
    mlflow("mlflow-server-info", "GET", "200 200 200 200 200 200"),
    # artifacts = run files
    mlflow("mlflow-artifact-list", "GET", "401 404 200 200 200 200", query=lambda w, a: f"path={_artifact_path()(w, a)}"),
    mlflow("mlflow-artifact", "GET", "401 404 200 200 200 200", kwargs={"path": _artifact_path("model.txt")}),
    mlflow("mlflow-artifact", "PUT", "401 404 403 200 403 403", kwargs={"path": _artifact_path("new.txt")}, body={"bytes": "any"}),
    mlflow("mlflow-multipart", "POST", "401 404 403 200 403 403", kwargs={"action": "create", "path": _artifact_path()},
           body={"path": "big.bin", "num_parts": 2}, case="create"),
    # a made-up upload id is refused whoever sends it; the caller must see the run first
    mlflow("mlflow-multipart", "POST", "401 404 400 400 400 400", kwargs={"action": "complete", "path": _artifact_path()},
           body={"path": "big.bin", "upload_id": "made-up", "parts": []}, case="complete"),
    mlflow("mlflow-multipart", "PUT", "400 400 400 400 400 400", kwargs={"action": "upload", "path": _artifact_path("big.bin")},
           query="upload_id=made-up&part_number=1", case="upload"),
]
