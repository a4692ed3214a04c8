"""The search methods and the config checks, without the database."""

import math
import random

import pytest
from django.core.exceptions import ValidationError

from experiments.sweeping import config, hyperband, importance, methods

SPACE = {
    "method": "random",
    "metric": {"name": "loss", "goal": "minimize"},
    "parameters": {
        "lr": {"distribution": "log_uniform_values", "min": 1e-5, "max": 1e-1},
        "wd": {"distribution": "log_uniform", "min": -9, "max": -2},
        "dropout": {"min": 0.0, "max": 0.5},
        "layers": {"min": 1, "max": 6},
        "width": {"distribution": "q_uniform", "min": 32, "max": 512, "q": 32},
        "opt": {"values": ["adam", "sgd"]},
        "seed": {"value": 7},
    },
}


def test_random_stays_inside_every_distribution():
    parsed = config.parse(SPACE)
    rng = random.Random(1)
    seen_layers, seen_opt = set(), set()
    for _ in range(2000):
        p = methods.random_point(parsed, rng)
        assert 1e-5 <= p["lr"] <= 1e-1
        assert math.exp(-9) <= p["wd"] <= math.exp(-2)
        assert 0.0 <= p["dropout"] <= 0.5
        assert isinstance(p["layers"], int) and 1 <= p["layers"] <= 6
        assert p["width"] % 32 == 0 and 32 <= p["width"] <= 512
        assert p["seed"] == 7
        seen_layers.add(p["layers"])
        seen_opt.add(p["opt"])
    assert seen_layers == set(range(1, 7)) and seen_opt == {"adam", "sgd"}
    # log-uniform: as many draws below the geometric middle as above
    lrs = [methods.random_point(parsed, rng)["lr"] for _ in range(4000)]
    below = sum(lr < 10**-3 for lr in lrs) / len(lrs)
    assert 0.45 < below < 0.55


def test_grid_enumerates_every_combination_once():
    parsed = config.parse({"method": "grid", "parameters": {"a": {"values": [1, 2, 3]}, "b": {"values": ["x", "y"]}, "c": {"value": 0}}})
    points = [methods.grid_point(parsed, i) for i in range(parsed.grid_size())]
    assert parsed.grid_size() == 6
    assert {(p["a"], p["b"]) for p in points} == {(a, b) for a in (1, 2, 3) for b in ("x", "y")}
    assert all(p["c"] == 0 for p in points)


@pytest.mark.parametrize(
    "raw, field",
    [
        ({"method": "grid", "parameters": {}}, "config.parameters"),
        ({"method": "nope", "parameters": {"a": {"values": [1]}}}, "config.method"),
        ({"method": "random", "metric": {"name": "l"}, "parameters": {"a": {"min": 2, "max": 1}}}, "parameters.a"),
        ({"method": "grid", "parameters": {"a": {"min": 0.1, "max": 1.0}}}, "parameters.a"),
        ({"method": "bayes", "parameters": {"a": {"values": [1, 2]}}}, "config.metric"),
        ({"method": "random", "metric": {"name": "l"}, "parameters": {"a": {"min": 0, "max": 1, "distribution": "gauss"}}}, "parameters.a"),
        ({"method": "random", "metric": {"name": "l"}, "parameters": {"a": {"min": 0, "max": 1, "distribution": "log_uniform_values"}}}, "parameters.a"),
        ({"method": "random", "metric": {"name": "l", "goal": "up"}, "parameters": {"a": {"values": [1]}}}, "config.metric.goal"),
        ({"method": "random", "metric": {"name": "l"}, "run_cap": 0, "parameters": {"a": {"values": [1]}}}, "config.run_cap"),
        ({"method": "random", "metric": {"name": "l"}, "early_terminate": {"type": "hyperband"}, "parameters": {"a": {"values": [1]}}},
         "config.early_terminate.min_iter"),
    ],
)
def test_configs_that_cannot_run_name_the_field(raw, field):
    with pytest.raises(ValidationError) as refused:
        config.parse(raw)
    assert field in refused.value.message_dict


def test_yaml_of_a_wandb_user_loads():
    text = """
program: train.py
method: bayes
metric:
  name: val_loss
  goal: minimize
parameters:
  learning_rate:
    distribution: log_uniform_values
    min: 0.0001
    max: 0.1
  optimizer:
    values: ["adam", "sgd"]
early_terminate:
  type: hyperband
  min_iter: 3
"""
    parsed = config.parse(config.load(text))
    assert parsed.method == "bayes" and parsed.metric == "val_loss" and parsed.hyperband == {"min_iter": 3, "eta": 3}


def _objective(p):
    return (math.log10(p["lr"]) + 2.5) ** 2 + (p["x"] - 0.3) ** 2 * 4


def _best_after(method, budget, seed):
    parsed = config.parse({
        "method": method,
        "metric": {"name": "loss", "goal": "minimize"},
        "parameters": {"lr": {"distribution": "log_uniform_values", "min": 1e-5, "max": 1.0}, "x": {"min": -2.0, "max": 2.0}},
    })
    rng = random.Random(seed)
    history = []
    for i in range(budget):
        p = methods.bayes_point(parsed, history, seed=seed * 1000 + i) if method == "bayes" else methods.random_point(parsed, rng)
        history.append((p, _objective(p)))
    return min(value for _, value in history)


def test_bayes_beats_random_with_the_same_budget_averaged_over_seeds():
    seeds = range(5)
    bayes = sum(_best_after("bayes", 30, s) for s in seeds) / len(seeds)
    rand = sum(_best_after("random", 30, s) for s in seeds) / len(seeds)
    assert bayes < rand, (bayes, rand)


def test_hyperband_stops_runs_behind_the_best_third():
    good = [1.0, 0.8, 0.5, 0.4, 0.3, 0.2, 0.1, 0.1, 0.1, 0.1]
    others = [[1.0, 0.9, 0.7, 0.6], [1.0, 0.95, 0.9, 0.9]]
    assert hyperband.verdict(good, others, min_iter=3, eta=3, minimize=True) is None
    bad = [1.0, 1.0, 1.2, 1.3]
    assert hyperband.verdict(bad, [good, *others], min_iter=3, eta=3, minimize=True) == 3
    assert hyperband.verdict(bad, [], min_iter=3, eta=3, minimize=True) is None  # nobody to compare with
    assert hyperband.brackets(3, 3, 30) == [3, 9, 27]


def test_importance_finds_the_parameter_that_matters():
    rng = random.Random(0)
    rows = [{"a": rng.random(), "b": rng.random(), "c": rng.choice(["x", "y"])} for _ in range(60)]
    values = [3 * row["a"] + 0.05 * rng.random() for row in rows]
    found = importance.importance(rows, values, ["a", "b", "c"])
    assert found[0]["name"] == "a" and found[0]["importance"] > 0.6
    assert found[0]["correlation"] > 0.9
