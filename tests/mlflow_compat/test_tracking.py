"""MLflow's fluent API and client, unchanged, logging into teamsite."""

import pytest
from mlflow.exceptions import MlflowException

from .conftest import mlflow, raw, teamsite_get

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_training_script_logs_a_run(site, tmp_path):
    site.use("max")
    experiment = mlflow.set_experiment("lab/vision")
    assert experiment.experiment_id == str(site.project.pk) and experiment.name == "lab/vision"
    with mlflow.start_run(run_name="baseline") as run:
        mlflow.log_params({"lr": "0.01", "optimizer": "adam"})
        for step in range(5):
            mlflow.log_metrics({"loss": 1.0 / (step + 1), "acc": step / 10}, step=step)
        mlflow.set_tag("stage", "dev")
        notes = tmp_path / "notes.txt"
        notes.write_text("hello")
        mlflow.log_artifact(str(notes))
        mlflow.log_artifact(str(notes), artifact_path="deep/er")
        run_id = run.info.run_id
    client = site.use("max")
    got = client.get_run(run_id)
    assert got.info.status == "FINISHED" and got.info.run_name == "baseline"
    assert got.data.params == {"lr": "0.01", "optimizer": "adam"}
    assert got.data.metrics == {"loss": pytest.approx(0.2), "acc": pytest.approx(0.4)}
    assert got.data.tags["stage"] == "dev" and got.data.tags["mlflow.runName"] == "baseline"
    history = client.get_metric_history(run_id, "loss")
    assert [m.step for m in history] == [0, 1, 2, 3, 4] and history[-1].value == pytest.approx(0.2)
    assert sorted(a.path for a in client.list_artifacts(run_id)) == ["deep", "notes.txt"]
    assert [a.path for a in client.list_artifacts(run_id, "deep/er")] == ["deep/er/notes.txt"]
    local = client.download_artifacts(run_id, "deep/er/notes.txt", str(tmp_path / "down"))
    assert open(local).read() == "hello"

    # the same run through teamsite's own API
    status, body = teamsite_get(site, f"/teams/lab/projects/vision/runs/{run_id}")
    assert status == 200
    assert body["name"] == "baseline" and body["state"] == "finished" and body["created_by"] == "max"
    assert body["config"] == {"lr": "0.01", "optimizer": "adam"}
    assert body["summary"]["loss"] == pytest.approx(0.2)
    assert body["mlflow_tags"]["stage"] == "dev"
    status, files = teamsite_get(site, f"/teams/lab/projects/vision/runs/{run_id}/files?order=path")
    assert [f["path"] for f in files["results"]] == ["deep/er/notes.txt", "notes.txt"]




def test_log_batch_at_its_limits_and_one_over(site):
    from mlflow.entities import Metric, Param, RunTag

    client = site.use("max")
    run = client.create_run(str(site.project.pk), run_name="limits")
    run_id = run.info.run_id
    metrics = [Metric("m", float(i), 1_700_000_000_000 + i, i) for i in range(900)]
    params = [Param(f"p{i}", str(i)) for i in range(50)]
    tags = [RunTag(f"t{i}", "v" * 9000) for i in range(50)]  # over 8000: cut, as MLflow does
    client.log_batch(run_id, metrics=metrics, params=params, tags=tags)  # exactly 1000 items
    got = client.get_run(run_id)
    assert len(got.data.params) == 50 and got.data.metrics["m"] == 899.0
    assert len(got.data.tags["t1"]) == 8000
    history = client.get_metric_history(run_id, "m")
    assert len(history) == 900 and history[5].timestamp == 1_700_000_000_005

    # the client splits a large batch itself; the server refuses one over the limits whole
    def metric(i):
        return {"key": "n", "value": 1.0, "timestamp": 0, "step": i}

    for body in (
        {"metrics": [metric(i) for i in range(1001)]},
        {"params": [{"key": f"q{i}", "value": "x"} for i in range(101)]},
        {"tags": [{"key": f"u{i}", "value": "x"} for i in range(101)]},
        {"metrics": [metric(i) for i in range(901)], "params": [{"key": f"r{i}", "value": "x"} for i in range(100)]},
    ):
        status, answer = raw(site, "POST", "/api/2.0/mlflow/runs/log-batch", {"run_id": run_id, **body}, person="max")
        assert status == 400 and answer["error_code"] == "INVALID_PARAMETER_VALUE", body.keys()
    client.log_batch(run_id, metrics=[Metric("split", 1.0, 0, i) for i in range(2500)])  # split by the client: fine
    assert len(client.get_metric_history(run_id, "split")) == 2500
    got = client.get_run(run_id)
    assert "n" not in got.data.metrics and "q0" not in got.data.params and "r0" not in got.data.params  # nothing stored


def test_params_are_immutable_and_errors_are_mlflows(site):
    client = site.use("max")
    run_id = client.create_run(str(site.project.pk)).info.run_id
    client.log_param(run_id, "lr", "0.01")
    client.log_param(run_id, "lr", "0.01")  # the same value again is fine
    with pytest.raises(MlflowException) as refused:
        client.log_param(run_id, "lr", "0.02")
    assert refused.value.error_code == "INVALID_PARAMETER_VALUE" and "lr" in refused.value.message
    with pytest.raises(MlflowException) as refused:
        client.get_run("0123456789abcdef0123456789abcdef")
    assert refused.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    with pytest.raises(MlflowException) as refused:
        client.log_metric("0123456789abcdef0123456789abcdef", "x", 1.0)
    assert refused.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    with pytest.raises(MlflowException) as refused:
        client.log_metric(run_id, "k" * 251, 1.0)
    assert refused.value.error_code == "INVALID_PARAMETER_VALUE"

    viewer = site.use("vera")
    assert viewer.get_run(run_id).data.params == {"lr": "0.01"}  # viewers read
    with pytest.raises(MlflowException) as refused:
        viewer.log_metric(run_id, "loss", 1.0)
    assert refused.value.error_code == "PERMISSION_DENIED"
    with pytest.raises(MlflowException) as refused:
        viewer.create_run(str(site.project.pk))
    assert refused.value.error_code == "PERMISSION_DENIED"
    with pytest.raises(MlflowException) as refused:  # a service account writing into someone else's run
        site.use("bot").set_tag(run_id, "x", "y")
    assert refused.value.error_code == "PERMISSION_DENIED"
    site.use("ada").set_tag(run_id, "reviewed", "yes")  # a team admin may (run:delete_any)

    anonymous = site.use(None)
    with pytest.raises(MlflowException) as refused:
        anonymous.get_run(run_id)
    assert refused.value.error_code == "UNAUTHENTICATED"
    status, body = raw(site, "GET", f"/api/2.0/mlflow/runs/get?run_id={run_id}", person=None)
    assert status == 401 and body["error_code"] == "UNAUTHENTICATED"
    status, body = raw(site, "GET", f"/api/2.0/mlflow/runs/get?run_id={run_id}", person=None, headers={"Authorization": "Bearer ts_bad_key"})
    assert status == 401 and body["error_code"] == "UNAUTHENTICATED"
    status, body = raw(site, "GET", "/api/2.0/mlflow/no/such/endpoint")
    assert status == 404 and body["error_code"] == "ENDPOINT_NOT_FOUND"


def test_search_runs_with_filters_ordering_and_pages(site):
    client = site.use("max")
    exp = str(site.project.pk)
    made = {}
    for n, (lr, acc, stage) in enumerate([("0.1", 0.5, "dev"), ("0.01", 0.9, "prod"), ("0.001", 0.7, "dev"), ("0.01", 0.8, "test")]):
        run = client.create_run(exp, run_name=f"r{n}", tags={"stage": stage})
        client.log_param(run.info.run_id, "lr", lr)
        client.log_metric(run.info.run_id, "acc", acc, step=1)
        made[f"r{n}"] = run.info.run_id
    client.set_terminated(made["r3"], "FAILED")

    def names(**kw):
        return [r.info.run_name for r in client.search_runs([exp], **kw)]

    assert names(filter_string="metrics.acc > 0.6", order_by=["metrics.acc DESC"]) == ["r1", "r3", "r2"]
    assert names(filter_string="params.lr = '0.01'", order_by=["attributes.run_name"]) == ["r1", "r3"]
    assert names(filter_string="tags.stage = 'dev' AND metrics.acc >= 0.5", order_by=["metrics.acc"]) == ["r0", "r2"]
    assert names(filter_string="tags.stage LIKE 'd%'", order_by=["run_name DESC"]) == ["r2", "r0"]
    assert names(filter_string="tags.stage ILIKE 'PR%'") == ["r1"]
    assert names(filter_string="attributes.status = 'FAILED'") == ["r3"]
    assert names(filter_string="attributes.status != 'FAILED' and params.lr != '0.1'", order_by=["params.lr"]) == ["r2", "r1"]
    assert names(filter_string=f"attributes.run_id IN ('{made['r0']}', '{made['r2']}')", order_by=["start_time"]) == ["r0", "r2"]
    assert names(filter_string="tags.mlflow.runName = 'r2'") == ["r2"]
    assert names(order_by=["attributes.start_time ASC"]) == ["r0", "r1", "r2", "r3"]
    assert names() == ["r3", "r2", "r1", "r0"]  # newest first

    first = client.search_runs([exp], max_results=3, order_by=["attributes.start_time"])
    assert [r.info.run_name for r in first] == ["r0", "r1", "r2"] and first.token
    second = client.search_runs([exp], max_results=3, order_by=["attributes.start_time"], page_token=first.token)
    assert [r.info.run_name for r in second] == ["r3"] and not second.token  # no token on the last page
    with pytest.raises(MlflowException) as refused:
        client.search_runs([exp], filter_string="metrics.acc > 'high'")
    assert refused.value.error_code == "INVALID_PARAMETER_VALUE"
    with pytest.raises(MlflowException) as refused:
        client.search_runs([exp], max_results=50_001)
    assert refused.value.error_code == "INVALID_PARAMETER_VALUE"
    assert len(client.search_runs([exp], max_results=50_000)) == 4

    # fluent search, as a DataFrame-less list
    found = mlflow.search_runs(experiment_ids=[exp], filter_string="metrics.acc > 0.85", output_format="list")
    assert [r.info.run_name for r in found] == ["r1"]


def test_delete_and_restore_a_run(site):
    client = site.use("max")
    exp = str(site.project.pk)
    run_id = client.create_run(exp, run_name="doomed").info.run_id
    client.delete_run(run_id)
    assert client.get_run(run_id).info.lifecycle_stage == "deleted"
    assert client.search_runs([exp]) == []
    from mlflow.entities import ViewType

    assert [r.info.run_id for r in client.search_runs([exp], run_view_type=ViewType.DELETED_ONLY)] == [run_id]
    assert len(client.search_runs([exp], run_view_type=ViewType.ALL)) == 1
    status, _ = teamsite_get(site, f"/teams/lab/projects/vision/runs/{run_id}")
    assert status == 404  # gone for teamsite's own API and pages
    status, body = teamsite_get(site, "/teams/lab/projects/vision/runs")
    assert body["results"] == []
    with pytest.raises(MlflowException) as refused:
        client.log_metric(run_id, "x", 1.0)
    assert refused.value.error_code == "INVALID_PARAMETER_VALUE"
    with pytest.raises(MlflowException) as refused:
        site.use("vera").restore_run(run_id)
    assert refused.value.error_code == "PERMISSION_DENIED"
    client = site.use("max")  # the key is read from MLFLOW_TRACKING_TOKEN at every call
    client.restore_run(run_id)
    assert client.get_run(run_id).info.lifecycle_stage == "active"
    status, body = teamsite_get(site, f"/teams/lab/projects/vision/runs/{run_id}")
    assert status == 200 and body["name"] == "doomed"


def test_metric_history_pages(site):
    from mlflow.entities import Metric

    client = site.use("max")
    run_id = client.create_run(str(site.project.pk)).info.run_id
    for start in range(0, 25_010, 1000):
        client.log_batch(run_id, metrics=[Metric("loss", i * 0.5, 1_000 + i, i) for i in range(start, min(start + 1000, 25_010))])
    history = client.get_metric_history(run_id, "loss")  # the client pages by 25,000
    assert len(history) == 25_010 and history[-1].step == 25_009 and history[-1].value == 25_009 * 0.5
    store = client._tracking_client.store
    page = store.get_metric_history(run_id, "loss", max_results=3)
    assert [m.step for m in page] == [0, 1, 2] and page.token
    page = store.get_metric_history(run_id, "loss", max_results=3, page_token=page.token)
    assert [m.step for m in page] == [3, 4, 5]
    status, body = raw(site, "GET", f"/api/2.0/mlflow/metrics/get-history-bulk-interval?run_ids={run_id}&metric_key=loss&start_step=10&end_step=20&max_results=3")
    assert status == 200 and [m["step"] for m in body["metrics"]] == [10, 15, 20] and body["metrics"][0]["run_id"] == run_id
    assert client.get_metric_history(run_id, "nothing") == []


def test_runs_from_teamsites_client_are_seen_by_mlflow(site):
    from tests import factories

    run = factories.run(site.project, actor=site.people["max"], run_id="ts-run", name="from-teamsite", history=4)
    client = site.use("vera")
    found = client.search_runs([str(site.project.pk)])
    assert [r.info.run_id for r in found] == ["ts-run"] and found[0].info.run_name == "from-teamsite"
    key = sorted(found[0].data.metrics)[0]
    assert len(client.get_metric_history("ts-run", key)) == 4
    assert run.pk


def test_experiments(site):
    client = site.use("ada")
    exp_id = client.create_experiment("lab/new-one")
    assert client.get_experiment(exp_id).name == "lab/new-one"
    assert client.get_experiment_by_name("new-one").experiment_id == exp_id  # the caller's only team
    with pytest.raises(MlflowException) as refused:
        client.create_experiment("lab/new-one")
    assert refused.value.error_code == "RESOURCE_ALREADY_EXISTS"
    names = [e.name for e in client.search_experiments(filter_string="name LIKE 'lab/new%'")]
    assert names == ["lab/new-one"]
    assert {e.name for e in client.search_experiments()} == {"lab/new-one", "lab/vision"}
    client.rename_experiment(exp_id, "lab/renamed")
    assert client.get_experiment(exp_id).name == "lab/renamed"
    client.delete_experiment(exp_id)
    assert client.get_experiment(exp_id).lifecycle_stage == "deleted"
    status, _ = teamsite_get(site, "/teams/lab/projects/renamed")
    assert status == 404
    client.restore_experiment(exp_id)
    status, _ = teamsite_get(site, "/teams/lab/projects/renamed")
    assert status == 200
    with pytest.raises(MlflowException) as refused:
        site.use("vera").create_experiment("lab/viewers-cannot")
    assert refused.value.error_code == "PERMISSION_DENIED"
    with pytest.raises(MlflowException) as refused:
        site.use("max").delete_experiment(exp_id)
    assert refused.value.error_code == "PERMISSION_DENIED"
    assert mlflow.get_experiment_by_name("lab/nothing-here") is None


def test_register_a_model_and_its_aliases(site, tmp_path):
    from registry import services as registry

    client = site.use("max")
    mlflow.set_experiment("lab/vision")
    weights = tmp_path / "model"
    weights.mkdir()
    (weights / "MLmodel").write_text("flavors: {}\n")
    (weights / "weights.bin").write_bytes(b"\x00\x01" * 100)
    with mlflow.start_run() as run:
        mlflow.log_artifacts(str(weights), artifact_path="model")
    version = mlflow.register_model(f"runs:/{run.info.run_id}/model", "classifier")
    assert version.version == "1" and version.status == "READY" and version.name == "classifier"
    client.set_registered_model_alias("classifier", "champion", "1")
    by_alias = client.get_model_version_by_alias("classifier", "champion")
    assert by_alias.version == "1" and by_alias.run_id == run.info.run_id
    assert client.get_registered_model("classifier").aliases == {"champion": "1"}
    assert [m.name for m in client.search_registered_models(filter_string="name LIKE 'class%'")] == ["classifier"]
    assert [v.version for v in client.search_model_versions(f"run_id = '{run.info.run_id}'")] == ["1"]
    local = mlflow.artifacts.download_artifacts("models:/classifier/1", dst_path=str(tmp_path / "down"))
    assert open(f"{local}/weights.bin", "rb").read() == b"\x00\x01" * 100
    client.delete_registered_model_alias("classifier", "champion")
    with pytest.raises(MlflowException) as refused:
        client.get_model_version_by_alias("classifier", "champion")
    assert refused.value.error_code == "INVALID_PARAMETER_VALUE"  # an alias never set (or gone)

    # the same version in teamsite's registry: an artifact version of type model, linked
    status, body = teamsite_get(site, "/teams/lab/registry/models/classifier")
    assert status == 200, body
    assert body["name"] == "classifier" and "aliases" in body
    assert str(body).count("vision") >= 1  # the linked version lives in the run's project

    # a protected alias: registry admins only
    from teams.policy import SYSTEM

    registry.protected_aliases_set(actor=SYSTEM, team=site.team, aliases=["production"])
    with pytest.raises(MlflowException) as refused:
        client.set_registered_model_alias("classifier", "production", "1")
    assert refused.value.error_code == "PERMISSION_DENIED"
    with pytest.raises(MlflowException) as refused:
        site.use("vera").set_registered_model_alias("classifier", "staging", "1")
    assert refused.value.error_code == "PERMISSION_DENIED"
    with pytest.raises(MlflowException) as refused:
        site.use("max").get_registered_model("nothing")
    assert refused.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_a_logged_model_from_create_to_registered_version(site, tmp_path):
    """MLflow 3's logged models: create inside a run, upload its files, finalize READY, register models:/<id>."""
    from mlflow.entities import LoggedModelStatus

    from registry.models import ArtifactVersion

    client = site.use("max")
    experiment = mlflow.set_experiment("lab/vision")
    folder = tmp_path / "clf"
    folder.mkdir()
    (folder / "MLmodel").write_text("flavors: {}\n")
    (folder / "weights.bin").write_bytes(b"\x07" * 300)
    with mlflow.start_run() as run:
        made = client.create_logged_model(experiment_id=experiment.experiment_id, name="clf", source_run_id=run.info.run_id,
                                          params={"lr": "0.01"}, model_type="classifier")
        assert made.model_id.startswith("m-") and made.status == LoggedModelStatus.PENDING
        client.log_model_artifacts(made.model_id, str(folder))
        client.set_logged_model_tags(made.model_id, {"stage": "candidate"})
        ready = client.finalize_logged_model(made.model_id, LoggedModelStatus.READY)
    assert ready.status == LoggedModelStatus.READY
    got = client.get_logged_model(made.model_id)
    assert got.params == {"lr": "0.01"} and got.tags == {"stage": "candidate"} and got.source_run_id == run.info.run_id
    assert [m.model_id for m in client.search_logged_models(experiment_ids=[experiment.experiment_id])] == [made.model_id]
    version = ArtifactVersion.objects.get(artifact__name="clf", artifact__type="model")  # a teamsite artifact of type model
    assert sorted(f.path for f in version.files.all()) == ["MLmodel", "weights.bin"]
    registered = mlflow.register_model(f"models:/{made.model_id}", "clf-registry")
    assert registered.version == "1" and registered.status == "READY"
    local = mlflow.artifacts.download_artifacts("models:/clf-registry/1", dst_path=str(tmp_path / "down"))
    assert open(f"{local}/weights.bin", "rb").read() == b"\x07" * 300


def test_a_logged_model_needs_its_run_and_the_run_s_writer(site):
    client = site.use("max")
    experiment = mlflow.set_experiment("lab/vision")
    with pytest.raises(MlflowException) as refused:
        client.create_logged_model(experiment_id=experiment.experiment_id, name="loose")
    assert refused.value.error_code == "INVALID_PARAMETER_VALUE" and "start_run" in refused.value.message
    with mlflow.start_run() as run:
        made = client.create_logged_model(experiment_id=experiment.experiment_id, name="mine", source_run_id=run.info.run_id)
    viewer = site.use("vera")
    with pytest.raises(MlflowException) as denied:
        viewer.finalize_logged_model(made.model_id, "READY")
    assert denied.value.error_code == "PERMISSION_DENIED"


def test_logged_model_search_with_a_bad_max_results_is_mlflow_s_error(site):
    site.use("max")
    status, body = raw(site, "POST", "/api/2.0/mlflow/logged-models/search", {"max_results": "many"}, person="max")
    assert status == 400 and body["error_code"] == "INVALID_PARAMETER_VALUE" and "max_results" in body["message"]
