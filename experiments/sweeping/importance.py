"""Which parameters mattered: correlation with the metric and a small random forest's importance.

Standard library only (the sweeps are small: tens to hundreds of runs). Each
parameter is a number: numeric values as they are, others by their position in
the sorted list of distinct values. The forest is 24 regression trees of depth
4 on bootstrap samples, each split chosen among a random third of the
parameters; a parameter's importance is the impurity (variance) its splits
removed, normalized to sum to 1.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence


def encode(rows: Sequence[dict], names: Sequence[str]) -> list[list[float]]:
    columns = {}
    for name in names:
        raw = [row.get(name) for row in rows]
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in raw):
            columns[name] = [float(v) for v in raw]
        else:
            order = sorted({repr(v) for v in raw})
            columns[name] = [float(order.index(repr(v))) for v in raw]
    return [[columns[name][i] for name in names] for i in range(len(rows))]


def correlation(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    n = len(xs)
    if n < 3:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / math.sqrt(sxx * syy)


def _variance(ys):
    if not ys:
        return 0.0
    mean = sum(ys) / len(ys)
    return sum((y - mean) ** 2 for y in ys)


def _grow(X, y, rows, depth, features, gains, rng):
    if depth == 0 or len(rows) < 4:
        return
    total = _variance([y[i] for i in rows])
    if total == 0:
        return
    best = None
    for f in rng.sample(features, max(1, math.ceil(len(features) / 3))):
        values = sorted({X[i][f] for i in rows})
        for lo, hi in zip(values, values[1:]):
            cut = (lo + hi) / 2
            left = [i for i in rows if X[i][f] <= cut]
            right = [i for i in rows if X[i][f] > cut]
            gain = total - _variance([y[i] for i in left]) - _variance([y[i] for i in right])
            if best is None or gain > best[0]:
                best = (gain, f, left, right)
    if best is None or best[0] <= 0:
        return
    gain, f, left, right = best
    gains[f] += gain
    _grow(X, y, left, depth - 1, features, gains, rng)
    _grow(X, y, right, depth - 1, features, gains, rng)


def forest_importance(X: Sequence[Sequence[float]], y: Sequence[float], *, trees: int = 24, depth: int = 4, seed: int = 0) -> list[float] | None:
    n = len(X)
    if n < 4 or not X[0]:
        return None
    rng = random.Random(seed)
    features = list(range(len(X[0])))
    gains = [0.0] * len(features)
    for _ in range(trees):
        rows = [rng.randrange(n) for _ in range(n)]
        _grow(X, y, rows, depth, features, gains, rng)
    total = sum(gains)
    return [g / total for g in gains] if total > 0 else [0.0] * len(features)


def importance(rows: Sequence[dict], values: Sequence[float], names: Sequence[str]) -> list[dict]:
    """[{name, importance, correlation}] for the parameters, most important first."""
    if not names or len(rows) < 3:
        return []
    X = encode(rows, names)
    forest = forest_importance(X, values) or [None] * len(names)
    found = []
    for f, name in enumerate(names):
        found.append({"name": name, "importance": forest[f], "correlation": correlation([x[f] for x in X], values)})
    found.sort(key=lambda item: -(item["importance"] or 0))
    return found
