"""Checking what a script hands over: metric values, steps, config and summary values.

Everything here runs in the training thread and raises at once (TypeError,
ValueError) at the line that passed something wrong.
"""

from __future__ import annotations

import decimal
import numbers
import os
from collections.abc import Mapping
from typing import Any

from . import limits


def number(name: str, value: Any) -> int | float:
    """A metric value as an int or float: bools count 0/1, numpy scalars and
    one-element tensors are unwrapped; anything else is a TypeError."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, (numbers.Real, decimal.Decimal)):
        return float(value)
    item = getattr(value, "item", None)  # numpy scalars, 0-d arrays, one-element tensors
    if callable(item) and not isinstance(value, (str, bytes)):
        try:
            inner = item()
        except Exception:
            inner = None
        if isinstance(inner, (bool, int, float)):
            return number(name, inner)
    shown = repr(value)
    shown = shown if len(shown) <= 40 else shown[:37] + "..."
    raise TypeError(f"teamsite: the metric {name!r} must be a number, not {type(value).__name__} {shown}.")


def flatten_metrics(data: Mapping, prefix: str = "", out: dict | None = None) -> dict[str, int | float]:
    """{"val": {"acc": 1}} as {"val/acc": 1}, every value checked by `number`."""
    out = {} if out is None else out
    for key, value in data.items():
        if not isinstance(key, str):
            raise TypeError(f"teamsite: metric names are strings, not {type(key).__name__} {key!r}.")
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flatten_metrics(value, f"{name}/", out)
            continue
        if not name or len(name) > limits.MAX_KEY_LENGTH:
            raise ValueError(f"teamsite: metric names are 1 to {limits.MAX_KEY_LENGTH} characters; got {name[:60]!r}.")
        out[name] = number(name, value)
    return out


def clean_step(step: Any) -> int:
    """A step as a whole number of 0 or more (3.0 is 3; 3.5, True and -1 are refused)."""
    if isinstance(step, bool):
        raise TypeError("teamsite: step must be a whole number, not a bool.")
    if isinstance(step, float) and step.is_integer():
        step = int(step)
    try:
        step = int(step.__index__()) if not isinstance(step, int) else step
    except (AttributeError, TypeError):
        raise TypeError(f"teamsite: step must be a whole number, not {type(step).__name__} {step!r}.") from None
    if step < 0:
        raise ValueError(f"teamsite: step must be 0 or more, not {step}.")
    return step


def jsonable(value: Any, where: str = "value") -> Any:
    """The value as plain JSON data, or TypeError naming what is wrong."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, Mapping):
        return {str(k): jsonable(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v, where) for v in value]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, (numbers.Real, decimal.Decimal)):
        return float(value)
    for method in ("item", "tolist"):  # numpy / torch
        convert = getattr(value, method, None)
        if callable(convert):
            try:
                return jsonable(convert(), where)
            except TypeError:
                raise
            except Exception:
                pass
    raise TypeError(f"teamsite: {where} cannot be sent as JSON ({type(value).__name__}).")
