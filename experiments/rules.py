"""Alert rules, evaluated: pure functions of a rule and the last points of its metric.

threshold: the aggregate (last, mean, min, max) of the last `window` points against
`value` with `op`. change: the mean of the last `window` points against the mean of
the `baseline_window` points before them; `amount` is absolute, or with `relative`
a fraction of the baseline mean's magnitude; it fires when the change in the
rule's direction is at least `amount`. Neither is checked before it has its points.
A window holding NaN or an infinity never fires (its aggregate is not a number).
"""

from __future__ import annotations

import math
import operator

OPS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}


def points_needed(rule) -> int:
    return rule.window if rule.kind == "threshold" else rule.window + rule.baseline_window


def _mean(values):
    return math.fsum(values) / len(values)


def _aggregate(name, values):
    if name == "last":
        return values[-1]
    if name == "min":
        return min(values)
    if name == "max":
        return max(values)
    return _mean(values)


def evaluate(rule, tail: list[tuple[float, float]]) -> dict | None:
    """`tail`: the series' last points as (step, value), oldest first. The values that fire the rule, or None."""
    needed = points_needed(rule)
    if len(tail) < needed:
        return None
    tail = tail[-needed:]
    values = [value for _, value in tail]
    if not all(math.isfinite(value) for value in values):
        return None
    step = tail[-1][0]
    if rule.kind == "threshold":
        value = _aggregate(rule.aggregate, values)
        if OPS[rule.op](value, rule.value):
            return {"metric": rule.metric, "value": value, "step": step, "aggregate": rule.aggregate, "window": rule.window}
        return None
    baseline = _mean(values[: rule.baseline_window])
    current = _mean(values[rule.baseline_window :])
    change = current - baseline
    if rule.relative:
        if baseline == 0:
            return None  # no scale to measure a relative change against
        amount = rule.amount * abs(baseline)
    else:
        amount = rule.amount
    moved = {"increase": change, "decrease": -change, "any": abs(change)}[rule.direction]
    if moved >= amount:
        relative = change / abs(baseline) if baseline else None
        return {"metric": rule.metric, "current_mean": current, "baseline_mean": baseline, "change": change,
                "relative_change": relative, "step": step}
    return None
