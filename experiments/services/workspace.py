"""Workspaces: each person's own arrangement of a project's panels, and the saved views the team shares.

A person's workspace is theirs alone (run:view and being signed in is enough:
nobody else sees it). Saved views are shared with the team, so making, changing
and deleting them needs run:edit_workspace.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from teams import policy

from .. import panels as panel_rules
from ..models import Project, Workspace
from ..panels import clean_panels

PANEL_ACTIONS = ("add", "remove", "up", "down", "update", "reset")
TABLE_KEYS = ("state", "tag", "group", "q", "order", "cols", "config", "filter", "group_by", "hide", "pin", "widths")


def _require_workspace(actor, project, view):
    if view is not None:
        if view.project_id != project.pk:
            raise policy.NotVisible("No such view.")
        policy.require(actor, "run:edit_workspace", project)
        return
    policy.require(actor, "run:view", project)
    if not getattr(actor, "is_authenticated", False) or getattr(actor, "pk", None) is None:
        raise policy.Denied("Sign in to arrange your own workspace.", "run:view")


def _metric_keys(project):
    from ..selectors import project_metric_keys

    return project_metric_keys(project)


@transaction.atomic
def panel_edit(*, actor, project: Project, action: str, index: int = -1, panel: dict | None = None, view: Workspace | None = None) -> Workspace | None:
    """Add, remove, move up or down, change one panel, or reset to the automatic panels.

    Without `view` this edits the actor's own workspace (made on the first change,
    from the automatic panels); with it, that saved view.
    """
    _require_workspace(actor, project, view)
    if view is not None:
        workspace = Workspace.objects.select_for_update().get(pk=view.pk)
    else:
        workspace = Workspace.objects.select_for_update().filter(project=project, owner=actor).first()
    if action == "reset":
        if workspace is not None and view is None:
            workspace.delete()
            return None
        if workspace is not None:
            workspace.panels, workspace.hidden = [], []
            workspace.save(update_fields=["panels", "hidden", "updated_at"])
        return workspace
    if action not in PANEL_ACTIONS:
        raise ValidationError({"panels": ["That panel no longer exists; the workspace was reloaded."]})
    if panel is not None:
        panel = panel_rules.clean_panel(panel)
    if workspace is None:
        workspace = Workspace(project=project, owner=actor, created_by=actor)
    shown = panel_rules.effective(workspace.panels, workspace.hidden, _metric_keys(project))
    workspace.panels, workspace.hidden = panel_rules.apply(shown, workspace.hidden, action=action, index=index, panel=panel)
    workspace.updated_at = timezone.now()
    workspace.save()
    return workspace


@transaction.atomic
def project_panels_save(*, actor, project: Project, panels: list, view: Workspace | None = None) -> Workspace:
    """Replace a workspace's panels at once (the actor's own, or a saved view)."""
    _require_workspace(actor, project, view)
    workspace = view or Workspace.objects.filter(project=project, owner=actor).first() or Workspace(project=project, owner=actor, created_by=actor)
    workspace.panels = clean_panels(panels)
    workspace.hidden = [key for key in _metric_keys(project) if key not in {k for p in workspace.panels for k in p["keys"]}]
    workspace.updated_at = timezone.now()
    workspace.save()
    return workspace


def clean_table(table) -> dict:
    if not isinstance(table, dict):
        raise ValidationError({"table": ["The runs table's state is an object."]})
    return {key: str(value)[:2000] for key, value in table.items() if key in TABLE_KEYS and value not in (None, "")}


@transaction.atomic
def view_save(*, actor, project: Project, name: str, table: dict | None = None, source: Workspace | None = None) -> Workspace:
    """Save what the actor sees (their workspace, or the view they opened) as a named view for the team."""
    policy.require(actor, "run:edit_workspace", project)
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise ValidationError({"name": ["Give the view a name of at most 80 characters."]})
    if source is None:
        source = Workspace.objects.filter(project=project, owner=actor).first()
    shown = panel_rules.effective(source.panels, source.hidden, []) if source else []
    view = Workspace(project=project, name=name, panels=clean_panels([{k: v for k, v in p.items() if k != "auto"} for p in shown]),
                     hidden=list(source.hidden) if source else [], table=clean_table(table or {}), created_by=actor)
    try:
        with transaction.atomic():
            view.save()
    except IntegrityError:
        raise ValidationError({"name": [f"There is already a view named “{name}” in this project."]}) from None
    return view


@transaction.atomic
def view_update(*, actor, view: Workspace, table: dict | None = None, name: str | None = None) -> Workspace:
    policy.require(actor, "run:edit_workspace", view.project)
    if table is not None:
        view.table = clean_table(table)
    if name is not None and name.strip():
        view.name = name.strip()[:80]
    view.updated_at = timezone.now()
    view.save()
    return view


@transaction.atomic
def view_delete(*, actor, view: Workspace) -> None:
    policy.require(actor, "run:edit_workspace", view.project)
    if not view.is_view:
        raise policy.NotVisible("No such view.")
    view.delete()
