"""The search methods: which parameters the next run of a sweep gets.

- grid: the points of the product of every parameter's values, numbered 0..n-1
  (the last parameter changes fastest); services/sweeps.py hands out the lowest
  number no live run holds.
- random: each parameter drawn from its distribution.
- bayes: Optuna's TPE sampler. The sweep's past runs (kept in the site's database,
  as the runs themselves: their config and summary) are replayed into an
  in-memory study at every ask, so any number of agents on any machines share one
  history, on SQLite and PostgreSQL alike, with no second storage to keep in
  step. Runs still going count as running trials (constant liar), so agents asking
  at once get different suggestions.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable

from .config import Param, SweepConfig


def grid_point(config: SweepConfig, index: int) -> dict:
    """The parameters of grid point `index` (0 <= index < config.grid_size())."""
    chosen = {}
    for p in reversed(config.searched):
        index, position = divmod(index, len(p.values))
        chosen[p.name] = p.values[position]
    ordered = {p.name: chosen[p.name] for p in config.searched}
    return {**config.constants(), **ordered}


def _clamp(value: float, p: Param) -> float:
    low, high = p.bounds
    return min(high, max(low, value))


def draw(p: Param, rng: random.Random):
    """One value of a searched parameter from its distribution."""
    if p.kind == "values":
        return rng.choice(p.values)
    if p.distribution == "int_uniform":
        return rng.randint(int(p.low), int(p.high))
    if p.distribution == "log_uniform_values":
        return _clamp(math.exp(rng.uniform(math.log(p.low), math.log(p.high))), p)
    if p.distribution == "log_uniform":
        return _clamp(math.exp(rng.uniform(p.low, p.high)), p)
    value = rng.uniform(p.low, p.high)
    if p.distribution == "q_uniform" or p.q:
        value = _clamp(round(value / p.q) * p.q, p)
        if float(p.q).is_integer() and float(p.low).is_integer():
            value = int(round(value))
    return value


def random_point(config: SweepConfig, rng: random.Random | None = None) -> dict:
    rng = rng or random.SystemRandom()
    return {**config.constants(), **{p.name: draw(p, rng) for p in config.searched}}


# --- bayes (Optuna TPE) -------------------------------------------------------------------


def _distributions(config: SweepConfig) -> dict:
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    found = {}
    for p in config.searched:
        if p.kind == "values":
            # by position: values may be lists or mappings, which Optuna's choices cannot be
            found[p.name] = CategoricalDistribution(list(range(len(p.values))))
        elif p.distribution == "int_uniform":
            found[p.name] = IntDistribution(int(p.low), int(p.high))
        elif p.distribution in ("log_uniform_values", "log_uniform"):
            low, high = p.bounds
            found[p.name] = FloatDistribution(low, high, log=True) if high > low else FloatDistribution(low, high)
        else:
            step = p.q if (p.distribution == "q_uniform" or p.q) and p.high - p.low >= p.q else None
            high = p.low + math.floor((p.high - p.low) / step) * step if step else p.high
            found[p.name] = FloatDistribution(p.low, high, step=step)
    return found


def _internal(config: SweepConfig, params: dict) -> dict | None:
    """A run's config as Optuna's parameters; None when it does not fit the space."""
    inside = {}
    for p in config.searched:
        if p.name not in params:
            return None
        value = params[p.name]
        if p.kind == "values":
            if value not in p.values:
                return None
            inside[p.name] = list(p.values).index(value)
        else:
            low, high = p.bounds
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not low <= value <= high:
                return None
            inside[p.name] = int(value) if p.distribution == "int_uniform" else float(value)
    return inside


def bayes_point(config: SweepConfig, history: Iterable[tuple[dict, float | None]], seed: int | None = None) -> dict:
    """The next parameters by TPE, given (params, value) of the sweep's runs so far
    (value None: still running, or no value yet)."""
    import optuna
    from optuna.trial import TrialState, create_trial

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    distributions = _distributions(config)
    direction = "minimize" if config.goal == "minimize" else "maximize"
    sampler = optuna.samplers.TPESampler(seed=seed, constant_liar=True, n_startup_trials=min(10, max(2, 2 * len(distributions))))
    study = optuna.create_study(direction=direction, sampler=sampler)
    for params, value in history:
        inside = _internal(config, params)
        if inside is None:
            continue
        usable = value is not None and isinstance(value, (int, float)) and math.isfinite(value)
        if usable:
            study.add_trial(create_trial(params=inside, distributions=distributions, value=float(value)))
        else:
            study.add_trial(create_trial(params=inside, distributions=distributions, state=TrialState.RUNNING))
    trial = study.ask(distributions)
    chosen = {}
    for p in config.searched:
        value = trial.params[p.name]
        if p.kind == "values":
            value = p.values[value]
        elif p.distribution == "int_uniform":
            value = int(value)
        elif isinstance(value, float) and p.q and float(p.q).is_integer() and float(p.low).is_integer():
            value = int(round(value))
        chosen[p.name] = value
    return {**config.constants(), **chosen}
