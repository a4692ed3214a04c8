"""Hyperband early termination (W&B's `early_terminate: {type: hyperband, min_iter, eta}`).

Brackets sit at min_iter, min_iter*eta, min_iter*eta^2, ... iterations (the
number of points a run logged of the sweep's metric). A run that reaches a
bracket is compared with every run of the sweep that reached it too: unless its
value there is among the best 1/eta of them, it is stopped, through the same
stop request as the Stop button.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def brackets(min_iter: int, eta: float, upto: int) -> list[int]:
    found, at = [], min_iter
    while at <= upto:
        found.append(at)
        at = max(at + 1, int(round(at * eta)))
    return found


def verdict(mine: Sequence[float], others: Sequence[Sequence[float]], *, min_iter: int, eta: float, minimize: bool) -> int | None:
    """The bracket at which this run falls out of the best 1/eta, or None to let it go on."""
    for at in brackets(min_iter, eta, len(mine)):
        value = mine[at - 1]
        if value is None or not math.isfinite(value):
            continue
        peers = [run[at - 1] for run in others if len(run) >= at and run[at - 1] is not None and math.isfinite(run[at - 1])]
        if not peers:
            continue
        everyone = sorted(peers + [value], reverse=not minimize)
        keep = max(1, math.ceil(len(everyone) / eta))
        cutoff = everyone[keep - 1]
        if (value > cutoff) if minimize else (value < cutoff):
            return at
    return None
