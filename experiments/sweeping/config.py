"""W&B's sweep config: parsed, checked and turned into parameter spaces.

Same names and meanings as W&B, so a W&B user's YAML works: `method` (grid, random,
bayes), `metric` {name, goal}, `parameters` with `values`, `value`, or `min`/`max`
and a `distribution` (uniform, int_uniform, q_uniform, log_uniform_values,
log_uniform; `q` for q_uniform), `run_cap`, `early_terminate` {type: hyperband,
min_iter, eta}. Keys W&B has and we do not use (`program`, `command`, `project`,
`entity`, `description`) are kept and ignored. A config that cannot run raises
ValidationError naming the field.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import yaml
from django.core.exceptions import ValidationError

METHODS = ("grid", "random", "bayes")
GOALS = ("minimize", "maximize")
DISTRIBUTIONS = ("uniform", "int_uniform", "q_uniform", "log_uniform_values", "log_uniform")
MAX_GRID_POINTS = 100_000
MAX_PARAMETERS = 64


def _bad(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


def load(text: str) -> dict:
    """A config from YAML or JSON text (JSON is YAML)."""
    try:
        data = yaml.safe_load(text or "")
    except yaml.YAMLError as exc:
        try:
            data = json.loads(text)
        except ValueError:
            raise _bad("config", f"The config is neither YAML nor JSON: {exc}") from None
    if not isinstance(data, dict):
        raise _bad("config", "The config is a mapping with method, metric and parameters.")
    return data


@dataclass(frozen=True)
class Param:
    """One parameter: a constant, a list of values, or a range with a distribution."""

    name: str
    kind: str  # "value", "values", "range"
    value: Any = None
    values: tuple = ()
    distribution: str = ""
    low: float = 0.0
    high: float = 0.0
    q: float | None = None

    @property
    def bounds(self) -> tuple[float, float]:
        """The range in parameter units (log_uniform's exponents turned into values)."""
        if self.distribution == "log_uniform":
            return math.exp(self.low), math.exp(self.high)
        return self.low, self.high


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _param(name: str, spec) -> Param:
    field = f"parameters.{name}"
    if not isinstance(spec, dict):
        raise _bad(field, f"{name} needs values, value, or min and max.")
    if "value" in spec:
        return Param(name, "value", value=spec["value"])
    if "values" in spec:
        values = spec["values"]
        if not isinstance(values, list) or not values:
            raise _bad(field, f"{name}: values is a non-empty list.")
        return Param(name, "values", values=tuple(values))
    if "min" in spec and "max" in spec:
        low, high = spec["min"], spec["max"]
        if not (_number(low) and _number(high)):
            raise _bad(field, f"{name}: min and max are numbers.")
        if low > high:
            raise _bad(field, f"{name}: min ({low}) is greater than max ({high}).")
        default = "int_uniform" if isinstance(low, int) and isinstance(high, int) else "uniform"
        distribution = spec.get("distribution") or default
        if distribution not in DISTRIBUTIONS:
            raise _bad(field, f"{name}: distribution is one of {', '.join(DISTRIBUTIONS)}.")
        if distribution == "log_uniform_values" and low <= 0:
            raise _bad(field, f"{name}: log_uniform_values needs min > 0 (min and max are the values).")
        if distribution == "int_uniform" and not (float(low).is_integer() and float(high).is_integer()):
            raise _bad(field, f"{name}: int_uniform needs whole numbers for min and max.")
        q = spec.get("q", 1 if distribution == "q_uniform" else None)
        if q is not None and (not _number(q) or q <= 0):
            raise _bad(field, f"{name}: q is a number greater than 0.")
        return Param(name, "range", distribution=distribution, low=float(low), high=float(high), q=q)
    if "distribution" in spec:
        raise _bad(field, f"{name}: a distribution needs min and max.")
    raise _bad(field, f"{name} needs values, value, or min and max.")


@dataclass(frozen=True)
class SweepConfig:
    method: str
    metric: str
    goal: str
    params: tuple[Param, ...]
    run_cap: int | None
    hyperband: dict | None  # {min_iter, eta} or None

    @property
    def searched(self) -> tuple[Param, ...]:
        return tuple(p for p in self.params if p.kind != "value")

    def constants(self) -> dict:
        return {p.name: p.value for p in self.params if p.kind == "value"}

    def grid_size(self) -> int:
        size = 1
        for p in self.searched:
            size *= len(p.values)
        return size

    def better(self, a: float, b: float) -> bool:
        return a < b if self.goal == "minimize" else a > b


def parse(raw: dict) -> SweepConfig:
    """Check a config; ValidationError names the first field that cannot run."""
    if not isinstance(raw, dict):
        raise _bad("config", "The config is a mapping with method, metric and parameters.")
    method = raw.get("method")
    if method not in METHODS:
        raise _bad("config.method", f"method is one of {', '.join(METHODS)}.")
    metric = raw.get("metric") or {}
    if isinstance(metric, str):
        metric = {"name": metric}
    if method != "grid" or raw.get("metric") is not None or raw.get("early_terminate"):
        if not isinstance(metric, dict) or not isinstance(metric.get("name"), str) or not metric["name"].strip():
            raise _bad("config.metric", "metric needs a name (the summary key to optimize).")
    goal = (metric.get("goal") or "minimize") if isinstance(metric, dict) else "minimize"
    if goal not in GOALS:
        raise _bad("config.metric.goal", "goal is minimize or maximize.")
    parameters = raw.get("parameters")
    if not isinstance(parameters, dict) or not parameters:
        raise _bad("config.parameters", "A sweep needs parameters to search.")
    if len(parameters) > MAX_PARAMETERS:
        raise _bad("config.parameters", f"A sweep searches at most {MAX_PARAMETERS} parameters.")
    params = tuple(_param(str(name), spec) for name, spec in parameters.items())
    if method == "grid":
        for p in params:
            if p.kind == "range":
                if p.distribution == "int_uniform" and p.high - p.low < 1000:
                    continue  # W&B grids over an int range by its whole numbers
                raise _bad(f"parameters.{p.name}", f"{p.name}: a grid needs values (or an int_uniform range), not a range.")
        params = tuple(
            Param(p.name, "values", values=tuple(range(int(p.low), int(p.high) + 1))) if p.kind == "range" else p for p in params
        )
    run_cap = raw.get("run_cap")
    if run_cap is not None and (not isinstance(run_cap, int) or isinstance(run_cap, bool) or run_cap < 1):
        raise _bad("config.run_cap", "run_cap is a whole number of runs, at least 1.")
    hyperband = None
    early = raw.get("early_terminate")
    if early:
        if not isinstance(early, dict) or early.get("type") != "hyperband":
            raise _bad("config.early_terminate", "early_terminate supports type: hyperband.")
        min_iter, eta = early.get("min_iter"), early.get("eta", 3)
        if not isinstance(min_iter, int) or isinstance(min_iter, bool) or min_iter < 1:
            raise _bad("config.early_terminate.min_iter", "min_iter is a whole number of iterations, at least 1.")
        if not _number(eta) or eta < 2:
            raise _bad("config.early_terminate.eta", "eta is a number, at least 2.")
        hyperband = {"min_iter": min_iter, "eta": eta}
    config = SweepConfig(
        method=method,
        metric=(metric.get("name") or "").strip() if isinstance(metric, dict) else "",
        goal=goal,
        params=params,
        run_cap=run_cap,
        hyperband=hyperband,
    )
    if method == "grid" and config.grid_size() > MAX_GRID_POINTS:
        raise _bad("config.parameters", f"This grid has {config.grid_size():,} points; at most {MAX_GRID_POINTS:,}.")
    if not config.searched and method != "grid":
        raise _bad("config.parameters", "Every parameter is a constant: there is nothing to search.")
    return config
