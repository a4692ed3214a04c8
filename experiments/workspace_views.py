"""The workspace: a person's own panels (or a saved view the team shares) over the runs table.

Views parse input, call one service or selector and render; the services ask the
policy for the actor.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core import hooks
from core.markdown import render_markdown
from teams import policy

from . import alerts, selectors, services, workspaces
from .forms import PanelForm, ViewForm
from .models import RunState
from .services.workspace import TABLE_KEYS
from .views import project_access

RUNS_PER_PAGE = 50
PAGE_SIZES = (20, 50, 100, 200)


def _table_params(request, view):
    """The runs table's state: from the URL, else from the saved view being opened."""
    params = {key: request.GET.get(key, "").strip() for key in TABLE_KEYS}
    if view is not None and not any(params.values()):
        params.update({key: str(value) for key, value in view.table.items() if key in TABLE_KEYS})
    return params


def _parse_config_filter(text):
    """'lr=0.01, arch=resnet' -> {'lr': '0.01', 'arch': 'resnet'}."""
    result = {}
    for part in (text or "").split(","):
        if "=" in part:
            key, value = part.split("=", 1)
            if key.strip():
                result[key.strip().removeprefix("config.")] = value.strip()
    return result


def _columns(cols, runs_sample):
    """Chosen config/summary columns; by default the first few summary keys."""
    chosen = [col.strip() for col in (cols or "").split(",") if col.strip().startswith(("config.", "summary."))]
    if chosen:
        return list(dict.fromkeys(chosen))[:30]
    keys = []
    for run in runs_sample:
        for key in run.summary:
            if f"summary.{key}" not in keys:
                keys.append(f"summary.{key}")
    return keys[:6]


def _cell(run, column):
    value = workspaces.run_value(run, column)
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (dict, list)):
        return json.dumps(value)[:60]
    return "" if value is None else str(value)


def _available_columns(page_runs, chosen):
    keys = list(chosen)
    for run in page_runs:
        keys.extend(f"config.{key}" for key in workspaces._flat(run.config))
        keys.extend(f"summary.{key}" for key in run.summary)
    return list(dict.fromkeys(keys))[:300]


def workspace(request, team, project, view_id=None):
    project, access = project_access(request, team, project, "run:view")
    view = None
    if view_id is not None:
        view = workspaces.view_by_id(project, view_id)
        if view is None:
            raise Http404("No such view.")
    mine = None if view else workspaces.personal(project, request.user)
    params = _table_params(request, view)
    filters = dict(state=params["state"] or None, tag=params["tag"] or None, group=params["group"] or None, q=params["q"] or None)
    order = params["order"] or "-created_at"
    try:
        runs = selectors.runs_of(project, config=_parse_config_filter(params["config"]), order=order, **filters)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        runs = selectors.runs_of(project, order=order, **filters)
    try:
        per_page = int(request.GET.get("per_page") or RUNS_PER_PAGE)
    except ValueError:
        per_page = RUNS_PER_PAGE
    per_page = per_page if per_page in PAGE_SIZES else RUNS_PER_PAGE
    page = Paginator(runs, per_page).get_page(request.GET.get("page"))
    page_runs = list(page.object_list)
    columns = _columns(params["cols"], page_runs)
    hidden_runs = {part for part in params["hide"].split(",") if part}
    rows = [{"run": run, "cells": [_cell(run, column) for column in columns], "hidden": run.run_id in hidden_runs} for run in page_runs]
    charted = [run for run in page_runs if run.run_id not in hidden_runs][: selectors.CHARTED_BY_DEFAULT * 2]
    metric_keys = selectors.project_metric_keys(project)
    shown = workspaces.shown_panels(project, view or mine, metric_keys)
    for panel in shown:
        if panel["type"] == "markdown":
            panel["html"] = render_markdown(panel["text"])
        panel["json"] = json.dumps({k: v for k, v in panel.items() if k not in ("html", "text")})
    query = {key: value for key, value in params.items() if value}
    if per_page != RUNS_PER_PAGE:
        query["per_page"] = per_page
    can_edit = access.can("run:edit_workspace") if view else request.user.is_authenticated
    context = {
        "team": project.team,
        "project": project,
        "access": access,
        "view": view,
        "views": workspaces.saved_views(project),
        "personal": mine,
        "can_edit_panels": can_edit,
        "can_save_views": access.can("run:edit_workspace"),
        "page": page,
        "per_page": per_page,
        "page_sizes": PAGE_SIZES,
        "rows": rows,
        "columns": columns,
        "available_columns": _available_columns(page_runs[:20], columns),
        "params": params,
        "query": urlencode(query),
        "table_json": json.dumps(query),
        "states": RunState.choices,
        "metric_keys": metric_keys,
        "panels": shown,
        "chart_runs_json": json.dumps(
            workspaces.chart_runs(project, page_runs, shown={run.run_id for run in charted[: selectors.CHARTED_BY_DEFAULT]}, group_by=params["group_by"])
        ),
        "panel_form": PanelForm(),
        "view_form": ViewForm(),
        "panels_url": reverse("project-panels", kwargs={"team": project.team.slug, "project": project.name}),
        # what apps above offer on each panel (reports: "Add to report"), computed once for the page
        "panel_tools": hooks.collect("workspace.panel_tools", request=request, project=project),
        "base_url": request.build_absolute_uri("/").rstrip("/"),
        "watching": alerts.watching(request.user, project),
    }
    template = "experiments/workspace.html"
    if request.htmx and request.htmx.target == "runs-table":
        template += "#runs-table"
    return render(request, template, context)


def _back(project, view=None, anchor="#panels"):
    if view is not None:
        return redirect(reverse("project-view", kwargs={"team": project.team.slug, "project": project.name, "view_id": view.pk}) + anchor)
    return redirect(reverse("project", kwargs={"team": project.team.slug, "project": project.name}) + anchor)


@require_POST
def panels_edit(request, team, project):
    """Add, remove, move or change a panel of the person's own workspace (or of a saved view: run:edit_workspace)."""
    project, _ = project_access(request, team, project)
    view = None
    if request.POST.get("view"):
        view = workspaces.view_by_id(project, request.POST["view"])
        if view is None:
            raise Http404("No such view.")
    action = request.POST.get("action")
    try:
        index = int(request.POST.get("index", -1))
    except ValueError:
        index = -1
    panel = None
    if action in ("add", "update"):
        form = PanelForm(request.POST)
        if form.is_valid():
            panel = form.panel()
        elif action == "add":
            _gate(request, project, view)
            messages.error(request, "The panel was not added: " + " ".join(e for errs in form.errors.values() for e in errs))
            return _back(project, view, "")
    try:
        services.panel_edit(actor=request.user, project=project, action=action, index=index, panel=panel, view=view)
    except ValidationError as exc:
        messages.error(request, ("The panel was not added: " if action == "add" else "") + " ".join(exc.messages))
        return _back(project, view, "")
    if action == "reset":
        messages.success(request, "Your workspace shows the automatic charts again." if view is None else "The view shows the automatic charts again.")
    if request.htmx:  # a panel's controls saved in place: the chart is already redrawn
        return HttpResponse(status=204)
    return _back(project, view)


def _gate(request, project, view):
    """A bad form from someone who may not edit this workspace answers as the service would (403 or sign in)."""
    if view is not None or not request.user.is_authenticated:
        policy.require(request.user, "run:edit_workspace", project)


@require_POST
def view_create(request, team, project):
    """Save what the person sees as a named view for the team (run:edit_workspace)."""
    project, _ = project_access(request, team, project)
    source = workspaces.view_by_id(project, request.POST.get("from_view")) if request.POST.get("from_view") else None
    form = ViewForm(request.POST)
    table = {key: request.POST.get(f"table_{key}", "") for key in TABLE_KEYS}
    name = form.cleaned_data["name"] if form.is_valid() else ""
    try:
        view = services.view_save(actor=request.user, project=project, name=name, table=table, source=source)
    except ValidationError as exc:
        messages.error(request, "The view was not saved: " + " ".join(exc.messages))
        return _back(project, source, "")
    messages.success(request, f"The view “{view.name}” was saved for the team. Its address opens it.")
    return _back(project, view, "")


@require_POST
def view_delete(request, team, project, view_id):
    project, _ = project_access(request, team, project)
    view = workspaces.view_by_id(project, view_id)
    if view is None:
        raise Http404("No such view.")
    services.view_delete(actor=request.user, view=view)
    messages.success(request, f"The view “{view.name}” was deleted.")
    return _back(project, None, "")
