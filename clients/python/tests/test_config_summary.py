"""run.config and run.summary: dicts whose changes go to the server as merges."""

import argparse
import copy
import decimal
import pathlib
import pickle

import pytest

from teamsite_client import Config, Summary


def test_config_changes_are_sent_as_merges_and_a_deleted_key_as_null(start, server):
    run = start(config={"lr": 0.1, "seed": 1, "old": True})
    assert isinstance(run.config, Config) and run.config.lr == 0.1
    run.config["batch"] = 64
    run.config.update({"epochs": 5}, warmup=2)
    run.config.optimizer = "adam"  # attribute assignment is an item
    del run.config["old"]
    assert run.config.pop("seed") == 1
    run.config.setdefault("epochs", 99)  # present: unchanged
    run.finish()
    assert server.sent("create")[0].body["config"] == {"lr": 0.1, "seed": 1, "old": True}
    patched = server.merged("config")
    assert patched == {"batch": 64, "epochs": 5, "warmup": 2, "optimizer": "adam"}
    sent = {}
    for request in server.sent("run", "PATCH"):
        sent.update(request.body.get("config", {}))
    assert sent["old"] is None and sent["seed"] is None  # deletions travel as null
    assert dict(run.config) == {"lr": 0.1, "batch": 64, "epochs": 5, "warmup": 2, "optimizer": "adam"}


def test_config_values_become_json_or_are_refused_at_once(start):
    run = start(config=argparse.Namespace(lr=0.1, data=pathlib.Path("/data/mnist")))
    assert run.config["data"] == "/data/mnist"
    run.config["scale"] = decimal.Decimal("0.5")
    run.config["sizes"] = (1, 2)
    assert run.config["scale"] == 0.5 and run.config["sizes"] == [1, 2]
    with pytest.raises(TypeError, match=r"config\['model'\] cannot be sent as JSON"):
        run.config["model"] = object()
    assert "model" not in run.config
    with pytest.raises(AttributeError):
        run.config.missing
    assert type(copy.copy(run.config)) is dict and type(pickle.loads(pickle.dumps(run.config))) is dict


def test_a_summary_key_the_script_sets_wins_over_later_logs(start, server):
    run = start()
    assert isinstance(run.summary, Summary)
    run.log({"acc": 0.9, "loss": 2.0})
    run.summary["acc"] = 0.99
    run.log({"acc": 0.5, "loss": 1.0})
    assert run.summary["acc"] == 0.99  # the script's value
    assert run.summary["loss"] == 1.0  # the last logged value
    run.finish()
    (end,) = [r for r in server.sent("run", "PATCH") if "state" in r.body]
    assert end.body["summary"] == {"acc": 0.99}  # sent again at the end, after the history for acc
    assert server.merged("summary") == {"acc": 0.99}


def test_deleting_a_summary_key_gives_it_back_to_the_logs(start, server):
    run = start()
    run.summary["acc"] = 0.99
    del run.summary["acc"]
    run.log({"acc": 0.5})
    assert run.summary["acc"] == 0.5
    run.finish()
    assert "acc" not in server.merged("summary")
