"""Workspace panels: what one panel is, the automatic ones, and a workspace's list.

A panel is a dict:

- `type`: "line" (metric curves), "scatter" (two run values against each other),
  "bar" (one run value per run), "parallel" (parallel coordinates over run values)
  or "markdown" (a note);
- `keys`: for line charts the metric keys; for the others run values named
  `summary.KEY`, `config.KEY` (scatter: x then y; bar: one; parallel: 2 to 10);
- `x` (line): "step", "time" (wall clock), "relative" (seconds since the run
  started) or "metric:KEY" (another metric logged at the same steps);
- `smoothing` (0-0.99, exponential moving average), `log_y`, `group_by`
  ("", "group", "job_type" or "config.KEY"), `text` (markdown panels), `title`.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

MAX_KEY_LENGTH = 255
MAX_PANELS = 60
AUTOMATIC_LIMIT = 40
PANEL_TYPES = ("line", "scatter", "bar", "parallel", "markdown")
RUN_VALUE = re.compile(r"^(summary|config)\.[A-Za-z0-9_.\-/ ]{1,200}$")
GROUP_BY = re.compile(r"^(|group|job_type|config\.[A-Za-z0-9_.\-]{1,100})$")


def automatic_panel(key: str) -> dict:
    return {"type": "line", "title": key, "keys": [key], "x": "step", "smoothing": 0.0, "log_y": False, "auto": True}


def effective(stored: list, hidden: list, metric_keys: list[str]) -> list[dict]:
    """The panels a workspace shows: its arranged ones, then an automatic chart for every other metric."""
    covered = {key for panel in stored if panel.get("type", "line") == "line" for key in panel.get("keys", ())}
    hidden = set(hidden)
    extra = [automatic_panel(key) for key in metric_keys if key not in covered and key not in hidden]
    return [dict(panel) for panel in stored] + extra[: max(0, AUTOMATIC_LIMIT - len(stored))]


def _fail(n, message):
    if not n:
        message = "The chart " + message if message.startswith(("needs", "is ")) else message[0].upper() + message[1:]
    raise ValidationError({"panels": [f"Panel {n}: {message}" if n else message]})


def clean_panel(panel, n=0) -> dict:
    if not isinstance(panel, dict):
        _fail(n, "is not an object.")
    kind = panel.get("type") or "line"
    if kind not in PANEL_TYPES:
        _fail(n, f"the type is one of {', '.join(PANEL_TYPES)}.")
    title = str(panel.get("title") or "")[:120]
    keys = panel.get("keys") or []
    if kind == "markdown":
        text = panel.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > 20_000:
            _fail(n, "a note needs some text (at most 20,000 characters).")
        return {"type": kind, "title": title, "keys": [], "text": text}
    if not isinstance(keys, list) or not keys or not all(isinstance(k, str) and 0 < len(k) <= MAX_KEY_LENGTH for k in keys):
        _fail(n, "needs at least one metric key." if kind == "line" else "needs run values such as summary.acc or config.lr.")
    if kind != "line" and not all(RUN_VALUE.match(k) for k in keys):
        _fail(n, "run values start with summary. or config., such as summary.acc or config.lr.")
    wanted = {"scatter": (2, 2), "bar": (1, 1), "parallel": (2, 10), "line": (1, 10)}[kind]
    if not wanted[0] <= len(keys) <= wanted[1]:
        _fail(n, {"scatter": "a scatter plot needs two run values, x then y.", "bar": "a bar chart shows one run value."}.get(kind, f"choose {wanted[0]} to {wanted[1]} keys."))
    x = panel.get("x") or "step"
    if x not in ("step", "time", "relative") and not (x.startswith("metric:") and 0 < len(x) - 7 <= MAX_KEY_LENGTH):
        _fail(n, "x is “step”, “time”, “relative” or “metric:KEY”.")
    smoothing = panel.get("smoothing", 0) or 0
    if isinstance(smoothing, bool) or not isinstance(smoothing, (int, float)) or not 0 <= smoothing < 1:
        _fail(n, "smoothing is between 0 and 0.99.")
    group_by = panel.get("group_by") or ""
    if not isinstance(group_by, str) or not GROUP_BY.match(group_by):
        _fail(n, "group by group, job_type or config.KEY.")
    cleaned = {
        "type": kind,
        "title": title or (", ".join(keys) if kind == "line" else " vs ".join(reversed(keys)) if kind == "scatter" else ", ".join(keys)),
        "keys": list(keys),
        "x": x,
        "smoothing": float(smoothing),
        "log_y": bool(panel.get("log_y", False)),
    }
    if group_by:
        cleaned["group_by"] = group_by
    return cleaned


def clean_panels(panels) -> list[dict]:
    if not isinstance(panels, list) or len(panels) > MAX_PANELS:
        raise ValidationError({"panels": [f"Panels are a list of at most {MAX_PANELS} charts."]})
    return [clean_panel(panel, n) for n, panel in enumerate(panels, start=1)]


def apply(panels: list[dict], hidden: list[str], *, action: str, index: int, panel: dict | None):
    """One edit of a workspace's shown panels -> (panels, hidden); a panel that no longer exists is a ValidationError."""
    panels, hidden = [dict(p) for p in panels], list(hidden)
    if action == "add" and panel is not None:
        panels.append(panel)
    elif action in ("remove", "up", "down", "update") and 0 <= index < len(panels):
        if action == "remove":
            gone = panels.pop(index)
            if gone.get("type", "line") == "line":
                still = {key for p in panels if p.get("type", "line") == "line" for key in p["keys"]}
                hidden.extend(key for key in gone["keys"] if key not in still and key not in hidden)
        elif action == "update" and panel is not None:
            panels[index] = panel
        elif action in ("up", "down"):
            other = index - 1 if action == "up" else index + 1
            if 0 <= other < len(panels):
                panels[index], panels[other] = panels[other], panels[index]
    else:
        raise ValidationError({"panels": ["That panel no longer exists; the workspace was reloaded."]})
    # a metric charted again is no longer hidden
    charted = {key for p in panels if p.get("type", "line") == "line" for key in p["keys"]}
    return clean_panels([{k: v for k, v in p.items() if k != "auto"} for p in panels]), [key for key in hidden if key not in charted]
