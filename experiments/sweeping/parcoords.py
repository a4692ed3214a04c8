"""A parallel-coordinates chart of a sweep as SVG geometry (drawn by the template, no script).

One vertical axis per searched parameter and a last one for the metric; each run
is a polyline through its values, coloured from worst (light) to best (dark).
"""

from __future__ import annotations

import math

WIDTH, HEIGHT, PAD_X, PAD_TOP, PAD_BOTTOM = 880, 320, 70, 30, 30


def _position(axis: dict, value) -> float | None:
    """0 (bottom) .. 1 (top) on the axis, or None when the value has no place there."""
    if axis["numeric"]:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return None
        low, high = axis["low"], axis["high"]
        if axis.get("log") and low > 0:
            low, high, value = math.log(low), math.log(high), math.log(value) if value > 0 else low
        return 0.5 if high == low else (value - low) / (high - low)
    ticks = axis["ticks"]
    key = repr(value)
    if key not in ticks:
        return None
    return 0.5 if len(ticks) == 1 else ticks.index(key) / (len(ticks) - 1)


def _label(value) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def chart(analysis: dict) -> dict | None:
    """{width, height, axes: [{x, name, top, bottom}], lines: [{points, shade, title}]} or None without runs."""
    lines = analysis["lines"]
    if not lines or not analysis["axes"]:
        return None
    values = [line["value"] for line in lines]
    metric_axis = {"name": analysis["metric"], "numeric": True, "low": min(values), "high": max(values)}
    axes = [dict(axis) for axis in analysis["axes"]] + [metric_axis]
    for axis in axes:
        if axis["numeric"] and axis.get("low", 0) > 0 and axis.get("high", 0) / axis["low"] >= 100:
            axis["log"] = True  # a learning rate over decades reads better on a log axis
    step = (WIDTH - 2 * PAD_X) / max(1, len(axes) - 1)
    usable = HEIGHT - PAD_TOP - PAD_BOTTOM
    drawn_axes = []
    for n, axis in enumerate(axes):
        if axis["numeric"]:
            top, bottom = _label(axis["high"]), _label(axis["low"])
        else:
            top, bottom = axis["ticks"][-1], axis["ticks"][0]
        drawn_axes.append({"x": round(PAD_X + n * step, 1), "name": axis["name"], "top": top, "bottom": bottom, "metric": n == len(axes) - 1})
    minimize = analysis["goal"] == "minimize"
    low, high = metric_axis["low"], metric_axis["high"]
    drawn = []
    for line in lines:
        points = []
        for n, axis in enumerate(axes):
            value = line["value"] if n == len(axes) - 1 else line["params"].get(axis["name"])
            where = _position(axis, value)
            if where is None:
                continue
            points.append(f"{PAD_X + n * step:.1f},{PAD_TOP + (1 - where) * usable:.1f}")
        goodness = 0.5 if high == low else (line["value"] - low) / (high - low)
        if minimize:
            goodness = 1 - goodness
        params = ", ".join(f"{k}={_label(v)}" for k, v in line["params"].items())
        drawn.append({"points": " ".join(points), "shade": round(0.15 + 0.85 * goodness, 3), "goodness": goodness,
                      "title": f"{line['name']}: {analysis['metric']}={_label(line['value'])} ({params})", "run_id": line["run_id"]})
    drawn.sort(key=lambda d: d["goodness"])  # the best drawn last, on top
    return {"width": WIDTH, "height": HEIGHT, "axes": drawn_axes, "lines": drawn, "label_y": HEIGHT - 8, "top_y": PAD_TOP, "bottom_y": HEIGHT - PAD_BOTTOM}
