"""Project pages: the projects list, the workspace (panels + runs table), compare,
project settings, the badge, and the team's privacy page (every project's visibility).

Views parse input, call one service or selector and render; the services ask the
policy for the actor. Run pages are in run_views.py."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.models import User
from core import hooks
from core.badges import render_badge
from core.forms import add_service_errors
from teams import policy
from teams import services as team_services
from teams.selectors import team_or_404
from teams.views import settings_context, team_access

from . import alerts, selectors, services
from .forms import PanelForm, ProjectDeleteForm, ProjectForm, ProjectSettingsForm
from .models import Project, RunState
from .selectors import chart_runs, run_colors

RUNS_PER_PAGE = 50



def project_access(request, team_slug, name, scope=None):
    """The project (404 when missing or unseen) and what the viewer may do there; a page needing `scope` asks here."""
    team = team_or_404(team_slug)
    project = selectors.project_by_name(team, name)
    if project is None:
        raise Http404("No such project.")
    access = policy.project_access(request.user, project)
    if scope:
        access.require(scope)
    elif not access.visible:
        raise Http404("No such project.")
    return project, access


# --- Projects ----------------------------------------------------------------------


def project_list(request, team):
    team = team_or_404(team)
    access = policy.team_access(request.user, team)
    form = ProjectForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                project = services.project_create(actor=request.user, team=team, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"The project {project.name} was created. Log a run to it to see charts here.")
                return redirect("project", team=team.slug, project=project.name)
        else:
            access.require("project:create")  # a bad form from someone who may not create: 403
    context = {
        "team": team,
        "access": access,
        "projects": selectors.projects_of(request.user, team),
        "form": form,
        "base_url": request.build_absolute_uri("/").rstrip("/"),
    }
    return render(request, "experiments/projects.html", context, status=status)


# --- Workspace -------------------------------------------------------------------------


def _table_params(request):
    params = {key: request.GET.get(key, "").strip() for key in ("state", "tag", "group", "q", "order", "cols", "config")}
    return params


def _columns(cols, runs_sample):
    """Chosen config/summary columns; by default the first few summary keys."""
    chosen = [col.strip() for col in (cols or "").split(",") if col.strip().startswith(("config.", "summary."))]
    if chosen:
        return chosen[:12]
    keys = []
    for run in runs_sample:
        for key in run.summary:
            if f"summary.{key}" not in keys:
                keys.append(f"summary.{key}")
    return keys[:4]


def _cell(run, column):
    source, _, key = column.partition(".")
    data = run.config if source == "config" else run.summary
    value = data.get(key)
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (dict, list)):
        return json.dumps(value)[:60]
    return "" if value is None else str(value)


def workspace(request, team, project):
    project, access = project_access(request, team, project, "run:view")
    params = _table_params(request)
    filters = dict(state=params["state"] or None, tag=params["tag"] or None, group=params["group"] or None, q=params["q"] or None)
    try:
        runs = selectors.runs_of(project, config=selectors.parse_config_filter(params["config"]), order=params["order"] or "-created_at", **filters)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        runs = selectors.runs_of(project, order=params["order"] or "-created_at", **filters)
    page = Paginator(runs, RUNS_PER_PAGE).get_page(request.GET.get("page"))
    page_runs = list(page.object_list)
    columns = _columns(params["cols"], page_runs)
    rows = [{"run": run, "cells": [_cell(run, column) for column in columns]} for run in page_runs]
    query = {key: value for key, value in params.items() if value}
    context = {
        "team": project.team,
        "project": project,
        "access": access,
        "page": page,
        "rows": rows,
        "columns": columns,
        "params": params,
        "query": urlencode(query),
        "states": RunState.choices,
        "metric_keys": selectors.project_metric_keys(project),
        "panels": project.panels,
        "chart_runs_json": json.dumps(chart_runs(project, page_runs)),
        "panel_form": PanelForm(),
        # what apps above offer on each panel (reports: "Add to report"), computed once for the page
        "panel_tools": hooks.collect("workspace.panel_tools", request=request, project=project),
        "base_url": request.build_absolute_uri("/").rstrip("/"),
        "watching": alerts.watching(request.user, project),
    }
    template = "experiments/workspace.html"
    if request.htmx and request.htmx.target == "runs-table":
        template += "#runs-table"
    return render(request, template, context)


@require_POST
def panels_edit(request, team, project):
    """Add, remove, move or change a workspace panel (run:edit_workspace)."""
    project, _ = project_access(request, team, project)
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
            policy.require(request.user, "run:edit_workspace", project)
            messages.error(request, "The panel was not added: " + " ".join(e for errs in form.errors.values() for e in errs))
            return redirect("project", team=project.team.slug, project=project.name)
    try:
        services.panel_edit(actor=request.user, project=project, action=action, index=index, panel=panel)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("project", team=project.team.slug, project=project.name)
    return redirect(reverse("project", kwargs={"team": project.team.slug, "project": project.name}) + "#panels")


# --- Compare ----------------------------------------------------------------------------------


def compare(request, team, project):
    project, access = project_access(request, team, project, "run:view")
    wanted = []
    for value in request.GET.getlist("runs"):
        wanted.extend(part.strip() for part in value.split(",") if part.strip())
    wanted = list(dict.fromkeys(wanted))[:20]
    found = {run.run_id: run for run in selectors.runs_of(project).filter(run_id__in=wanted)}
    runs = [found[run_id] for run_id in wanted if run_id in found]
    config_keys = sorted({key for run in runs for key in run.config})
    summary_keys = sorted({key for run in runs for key in run.summary})

    def rows(keys, source):
        table = []
        for key in keys:
            values = [getattr(run, source).get(key) for run in runs]
            shown = [json.dumps(v) if isinstance(v, (dict, list)) else ("" if v is None else (f"{v:.6g}" if isinstance(v, float) else str(v))) for v in values]
            table.append({"key": key, "values": shown, "differs": len(set(shown)) > 1})
        return table

    keys = sorted(set(selectors.project_metric_keys(project)) & {key for run in runs for key in run.summary}) or selectors.project_metric_keys(project)[:6]
    context = {
        "team": project.team,
        "project": project,
        "access": access,
        "runs": runs,
        "missing": [run_id for run_id in wanted if run_id not in found],
        "config_rows": rows(config_keys, "config"),
        "summary_rows": rows(summary_keys, "summary"),
        "chart_runs": chart_runs(project, runs),
        "chart_keys": keys[:12],
        "colors": run_colors(runs),
    }
    return render(request, "experiments/compare.html", context)


# --- Project settings ----------------------------------------------------------------------------


def project_settings(request, team, project):
    project, access = project_access(request, team, project, "project:manage")
    which = request.POST.get("form") if request.method == "POST" else None
    form = ProjectSettingsForm(
        request.POST if which == "settings" else None,
        initial={"description": project.description, "visibility": project.visibility},
    )
    delete_form = ProjectDeleteForm(request.POST if which == "delete" else None)
    status = 200
    if which == "settings":
        status = 400
        if form.is_valid():
            try:
                services.project_update(actor=request.user, project=project, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "The project settings were saved.")
                return redirect("project-settings", team=project.team.slug, project=project.name)
    elif which == "delete":
        status = 400
        confirm = delete_form.cleaned_data["confirm"] if delete_form.is_valid() else ""
        try:
            services.project_delete(actor=request.user, project=project, confirm=confirm)
        except ValidationError as exc:
            add_service_errors(delete_form, exc)
        else:
            messages.success(request, f"The project {project.name} and all its runs were deleted.")
            return redirect("projects", team=project.team.slug)
    elif which == "access":
        user = User.objects.filter(username=request.POST.get("username", "").strip()).first()
        if user is None:
            messages.error(request, "There is no user with that username.")
        else:
            try:
                services.access_list_set(actor=request.user, project=project, user=user, present=request.POST.get("present") == "1")
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, f"The access list was updated for {user.username}.")
        return redirect("project-settings", team=project.team.slug, project=project.name)
    listed = policy.access_list(project)
    context = {
        "team": project.team,
        "project": project,
        "access": access,
        "form": form,
        "delete_form": delete_form,
        "access_list": listed,
        "addable": selectors.access_list_candidates(project, listed),
    }
    return render(request, "experiments/project_settings.html", context, status=status)


# --- Badge ----------------------------------------------------------------------------------------


def badge(request, team, project):
    """An SVG badge: the run count, or with ?metric=KEY the best summary value (?mode=min for losses)."""
    project, access = project_access(request, team, project)
    if not access.can("run:view"):
        raise Http404("No such project.")
    metric = request.GET.get("metric", "").strip()
    if metric:
        mode = "min" if request.GET.get("mode") == "min" else "max"
        order = f"summary.{metric}" if mode == "min" else f"-summary.{metric}"
        best = selectors.runs_of(project, order=order).first()
        value = best.summary.get(metric) if best else None
        label = f"{project.name} {metric}"
        text = f"{value:.4g}" if isinstance(value, (int, float)) else "no runs"
    else:
        label, text = project.name, f"{project.runs.count()} runs"
    svg = render_badge(label, text)
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Cache-Control"] = "max-age=300"
    return response


# --- The team's privacy page ------------------------------------------------------------------


def team_privacy(request, team):
    """Every project of the team with its visibility, changed in place; "projects stay inside the team"."""
    team, access = team_access(request, team, "team:manage")
    confirm_project, confirm_inside, status = None, None, 200
    if request.method == "POST":
        if request.POST.get("form") == "visibility":
            project = get_object_or_404(Project, team=team, pk=request.POST.get("project") or 0)
            visibility = request.POST.get("visibility", "")
            widening = visibility in ("public", "open") and project.visibility not in ("public", "open")
            if widening and not team.projects_stay_inside and request.POST.get("confirmed") != "1":
                confirm_project, project.proposed = project, visibility  # ask first: this opens it to the world
            else:
                try:
                    services.project_update(actor=request.user, project=project, visibility=visibility)
                except ValidationError as exc:
                    messages.error(request, " ".join(exc.messages))
                    status = 400
                else:
                    messages.success(request, f"{project.name} is now {project.get_visibility_display().lower()}.")
        elif request.POST.get("form") == "inside":
            turn_on = request.POST.get("on") == "1"
            outward = list(team.projects.filter(visibility__in=["public", "open"]).order_by("name"))
            if turn_on and outward and request.POST.get("confirmed") != "1":
                confirm_inside = outward
            else:
                team_services.team_update(actor=request.user, team=team, projects_stay_inside=turn_on)
                messages.success(request, "Projects now stay inside the team." if turn_on else "Projects may be public or open again.")
        if not (confirm_project or confirm_inside) and not request.htmx and status == 200:
            return redirect("team-settings-privacy", team=team.slug)
    projects = Project.objects.filter(team=team).select_related("created_by").annotate(run_count=Count("runs")).order_by("name")
    context = settings_context(team, access, tab="privacy", projects=projects, confirm_project=confirm_project, confirm_inside=confirm_inside)
    template = "experiments/team_privacy.html"
    if request.htmx and not confirm_inside:
        template += "#privacy-table"
    return render(request, template, context, status=status)
