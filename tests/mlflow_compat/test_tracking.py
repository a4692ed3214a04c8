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
