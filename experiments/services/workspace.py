"""The project workspace: the chart panels members arrange (run:edit_workspace)."""

from django.core.exceptions import ValidationError
from django.db import transaction

from teams import policy

from ..models import Project

MAX_KEY_LENGTH = 255
PANEL_ACTIONS = ("add", "remove", "up", "down", "update")


@transaction.atomic
def project_panels_save(*, actor, project: Project, panels: list) -> Project:
    policy.require(actor, "run:edit_workspace", project)
    project = Project.objects.select_for_update().get(pk=project.pk)
    project.panels = clean_panels(panels)
    project.save(update_fields=["panels"])
    return project


@transaction.atomic
def panel_edit(*, actor, project: Project, action: str, index: int = -1, panel: dict | None = None) -> Project:
    """Add, remove, move up or down, or change one panel; a panel that no longer exists is a ValidationError."""
    policy.require(actor, "run:edit_workspace", project)
    project = Project.objects.select_for_update().get(pk=project.pk)
    panels = list(project.panels)
    if action == "add" and panel is not None:
        panels.append(panel)
    elif action in ("remove", "up", "down", "update") and 0 <= index < len(panels):
        if action == "remove":
            panels.pop(index)
        elif action == "update" and panel is not None:
            panels[index] = panel
        elif action in ("up", "down"):
            other = index - 1 if action == "up" else index + 1
            if 0 <= other < len(panels):
                panels[index], panels[other] = panels[other], panels[index]
    else:
        raise ValidationError({"panels": ["That panel no longer exists; the workspace was reloaded."]})
    project.panels = clean_panels(panels)
    project.save(update_fields=["panels"])
    return project


def clean_panels(panels) -> list[dict]:
    if not isinstance(panels, list) or len(panels) > 50:
        raise ValidationError({"panels": ["Panels are a list of at most 50 charts."]})
    cleaned = []
    for n, panel in enumerate(panels, start=1):
        if not isinstance(panel, dict):
            raise ValidationError({"panels": [f"Panel {n} is not an object."]})
        keys = panel.get("keys")
        if not isinstance(keys, list) or not keys or not all(isinstance(k, str) and 0 < len(k) <= MAX_KEY_LENGTH for k in keys):
            raise ValidationError({"panels": [f"Panel {n} needs at least one metric key."]})
        x = panel.get("x", "step")
        if x not in ("step", "time"):
            raise ValidationError({"panels": [f"Panel {n}: x is “step” or “time”."]})
        smoothing = panel.get("smoothing", 0)
        if not isinstance(smoothing, (int, float)) or not 0 <= smoothing < 1:
            raise ValidationError({"panels": [f"Panel {n}: smoothing is between 0 and 0.99."]})
        cleaned.append(
            {
                "title": str(panel.get("title") or ", ".join(keys))[:120],
                "keys": keys[:10],
                "x": x,
                "smoothing": float(smoothing),
                "log_y": bool(panel.get("log_y", False)),
            }
        )
    return cleaned
