"""Project and run pages: projects list, workspace (panels + runs table), run,
compare, project settings, badge."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.models import User
from teams import policy
from teams.selectors import team_or_404
from core.auth import SignInFirst
from core.badges import render_badge
from core.errors import Conflict
from core.forms import add_service_errors

from . import selectors, services
from .selectors import chart_runs, run_colors
from .forms import PanelForm, ProjectDeleteForm, ProjectForm, ProjectSettingsForm, RunMoveForm, RunNotesForm
from .models import RunFile, RunState, SeriesKind

RUNS_PER_PAGE = 50




def _project(request, team_slug, name):
    team = team_or_404(team_slug)
    project = selectors.project_by_name(team, name)
    if project is None:
        raise Http404("No such project.")
    access = policy.project_access(request.user, project)
    if not access.visible:
        raise Http404("No such project.")
    return project, access


def _run(request, team_slug, name, run_id):
    project, access = _project(request, team_slug, name)
    run = selectors.run_by_id(project, run_id)
    if run is None:
        raise Http404("No such run.")
    return project, access, run


def _require(request, access, scope):
    """403 for a signed-in person without the scope; the sign-in page for a visitor."""
    if not access.can(scope):
        if not request.user.is_authenticated:
            raise SignInFirst
        access.require(scope)


# --- Projects ----------------------------------------------------------------------


def project_list(request, team):
    team = team_or_404(team)
    access = policy.team_access(request.user, team)
    form = ProjectForm(request.POST or None)
    status = 200
    if request.method == "POST":
        _require(request, access, "project:create")
        status = 400
        if form.is_valid():
            try:
                project = services.project_create(team=team, creator=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"The project {project.name} was created. Log a run to it to see charts here.")
                return redirect("project", team=team.slug, project=project.name)
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


def _parse_config_filter(text):
    """'lr=0.01, arch=resnet' -> {'lr': '0.01', 'arch': 'resnet'}."""
    result = {}
    for part in (text or "").split(","):
        if "=" in part:
            key, value = part.split("=", 1)
            if key.strip():
                result[key.strip()] = value.strip()
    return result


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
    project, access = _project(request, team, project)
    _require(request, access, "run:view")
    services.runs_mark_crashed(project)
    params = _table_params(request)
    filters = dict(state=params["state"] or None, tag=params["tag"] or None, group=params["group"] or None, q=params["q"] or None)
    try:
        runs = selectors.runs_of(project, config=_parse_config_filter(params["config"]), order=params["order"] or "-created_at", **filters)
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
        "editable_reports": _editable_reports(request, project),
        "base_url": request.build_absolute_uri("/").rstrip("/"),
    }
    template = "experiments/workspace.html"
    if request.htmx and request.htmx.target == "runs-table":
        template += "#runs-table"
    return render(request, template, context)


def _editable_reports(request, project):
    """Reports of the team the person may add a chart to (theirs, or any for an admin)."""
    from reports import selectors as report_selectors

    if not request.user.is_authenticated:
        return []
    reports = report_selectors.reports_of(request.user, project.team)[:50]
    team_access = policy.team_access(request.user, project.team)
    return [r for r in reports if policy.ReportAccess(request.user, r, team=team_access).can_edit()]


@require_POST
def panels_edit(request, team, project):
    """Add, remove, move or change a workspace panel (run:edit_workspace)."""
    project, access = _project(request, team, project)
    _require(request, access, "run:edit_workspace")
    panels = list(project.panels)
    action = request.POST.get("action")
    try:
        index = int(request.POST.get("index", -1))
    except ValueError:
        index = -1
    if action == "add":
        form = PanelForm(request.POST)
        if not form.is_valid():
            messages.error(request, "The panel was not added: " + " ".join(e for errs in form.errors.values() for e in errs))
            return redirect("project", team=project.team.slug, project=project.name)
        panels.append(form.panel())
    elif action == "remove" and 0 <= index < len(panels):
        panels.pop(index)
    elif action in ("up", "down") and 0 <= index < len(panels):
        other = index - 1 if action == "up" else index + 1
        if 0 <= other < len(panels):
            panels[index], panels[other] = panels[other], panels[index]
    elif action == "update" and 0 <= index < len(panels):
        form = PanelForm(request.POST)
        if form.is_valid():
            panels[index] = form.panel()
    else:
        messages.error(request, "That panel no longer exists; the workspace was reloaded.")
        return redirect("project", team=project.team.slug, project=project.name)
    try:
        services.project_panels_save(project=project, panels=panels)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(reverse("project", kwargs={"team": project.team.slug, "project": project.name}) + "#panels")


@require_POST
def panel_to_report(request, team, project):
    """"Add to report": append a workspace panel to a report the person may edit, as a live chart block."""
    from reports import selectors as report_selectors
    from reports import services as report_services

    project, access = _project(request, team, project)
    if not request.user.is_authenticated:
        raise SignInFirst
    try:
        index = int(request.POST.get("index", -1))
        panel = project.panels[index] if index >= 0 else None
    except (ValueError, IndexError):
        panel = None
    report = report_selectors.report_by_id(project.team, request.POST.get("report") or 0) if (request.POST.get("report") or "").isdigit() else None
    if panel is None or report is None:
        messages.error(request, "Choose a chart and a report.")
        return redirect("project", team=project.team.slug, project=project.name)
    policy.report_access(request.user, report).require_edit()
    runs = [run.run_id for run in selectors.runs_of(project)[: selectors.CHARTED_BY_DEFAULT]]
    block = (
        f"\n\n```chart\nruns: {', '.join(f'{project.name}/{run_id}' for run_id in runs)}\n"
        f"keys: {', '.join(panel['keys'])}\nx: {panel['x']}\nsmoothing: {panel['smoothing']}\nlog: {str(panel['log_y']).lower()}\n```\n"
    )
    report_services.report_save(report=report, actor=request.user, base_revision=report.revision, body=report.body.rstrip() + block)
    messages.success(request, f"The chart was added to “{report.title}”.")
    return redirect("report", team=project.team.slug, report_id=report.pk)


# --- One run ---------------------------------------------------------------------------------


RUN_TABS = ("overview", "charts", "system", "logs", "files")
LOG_PAGE = 500


def run_page(request, team, project, run_id):
    project, access, run = _run(request, team, project, run_id)
    _require(request, access, "run:view")
    services.runs_mark_crashed(project)
    run.refresh_from_db(fields=["state", "heartbeat_at", "stop_requested", "finished_at"])
    tab = request.GET.get("tab", "overview")
    if tab not in RUN_TABS:
        tab = "overview"
    access.prefetch_runs([run])
    context = {
        "team": project.team,
        "project": project,
        "access": access,
        "run": run,
        "tab": tab,
        "can_stop": access.can_run("stop", run) and run.state == RunState.RUNNING,
        "can_delete": access.can_run("delete", run),
        "can_move": access.can_move(run) and project.visibility != "restricted",
        "can_edit_notes": access.can("run:edit_workspace"),
        "chart_runs": chart_runs(project, [run]),
    }
    if tab == "overview":
        context["notes_form"] = RunNotesForm(initial={"notes": run.notes, "tags": ", ".join(run.tags)})
        if context["can_move"]:
            context["move_form"] = _move_form(request, run)
    elif tab in ("charts", "system"):
        context["keys"] = selectors.series_keys(run, SeriesKind.HISTORY if tab == "charts" else SeriesKind.SYSTEM)
    elif tab == "logs":
        try:
            offset = max(0, int(request.GET.get("offset", 0)))
        except ValueError:
            offset = 0
        lines, next_offset = selectors.log_lines(run, offset=offset, limit=LOG_PAGE)
        context.update(log_lines=lines, log_offset=offset, next_offset=next_offset, has_more=len(lines) == LOG_PAGE, prev_offset=max(0, offset - LOG_PAGE))
    elif tab == "files":
        context["files"] = run.files.all()
    template = "experiments/run.html"
    if request.htmx and request.GET.get("fragment") == "state":
        template += "#run-state"
    return render(request, template, context)


def _move_form(request, run, data=None):
    team_access = policy.team_access(request.user, run.project.team)  # one membership query for every target
    targets = [
        p for p in selectors.projects_of(request.user, run.project.team)
        if p.pk != run.project_id and policy.ProjectAccess(request.user, p, team=team_access).can("run:log")
    ]
    form = RunMoveForm(data)
    form.fields["project"].choices = [(p.name, p.name) for p in targets]
    return form


@require_POST
def run_stop(request, team, project, run_id):
    project, access, run = _run(request, team, project, run_id)
    if not request.user.is_authenticated:
        raise SignInFirst
    access.require_run("stop", run)
    try:
        services.run_stop(run=run)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Stop requested: the script stops at its next heartbeat (within about 15 seconds).")
    return redirect("run", team=project.team.slug, project=project.name, run_id=run.run_id)


@require_POST
def run_delete(request, team, project, run_id):
    project, access, run = _run(request, team, project, run_id)
    if not request.user.is_authenticated:
        raise SignInFirst
    access.require_run("delete", run)
    services.run_delete(run=run)
    messages.success(request, f"The run {run.name} was deleted.")
    return redirect("project", team=project.team.slug, project=project.name)


@require_POST
def run_move(request, team, project, run_id):
    project, access, run = _run(request, team, project, run_id)
    if not request.user.is_authenticated:
        raise SignInFirst
    if not access.can_move(run):
        raise PermissionDenied("Only the run's creator (while they may log here) or a team admin may move it.")
    form = _move_form(request, run, request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a project you may log runs to.")
        return redirect("run", team=project.team.slug, project=project.name, run_id=run.run_id)
    target = selectors.project_by_name(project.team, form.cleaned_data["project"])
    try:
        services.run_move(run=run, target=target)
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect("run", team=project.team.slug, project=project.name, run_id=run.run_id)
    messages.success(request, f"The run moved to {target.name}.")
    return redirect("run", team=project.team.slug, project=target.name, run_id=run.run_id)


@require_POST
def run_notes(request, team, project, run_id):
    project, access, run = _run(request, team, project, run_id)
    _require(request, access, "run:edit_workspace")
    form = RunNotesForm(request.POST)
    if form.is_valid():
        tags = [tag.strip() for tag in form.cleaned_data["tags"].split(",") if tag.strip()]
        try:
            services.run_update(run=run, notes=form.cleaned_data["notes"], tags=tags)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Notes and tags saved.")
    else:
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    return redirect("run", team=project.team.slug, project=project.name, run_id=run.run_id)


def run_file(request, team, project, run_id, path):
    project, access, run = _run(request, team, project, run_id)
    _require(request, access, "run:view")
    record = RunFile.objects.filter(run=run, path=path).first()
    if record is None:
        raise Http404("No such file.")
    return FileResponse(record.file.open("rb"), as_attachment=True, filename=path.rsplit("/", 1)[-1])


# --- Compare ----------------------------------------------------------------------------------


def compare(request, team, project):
    project, access = _project(request, team, project)
    _require(request, access, "run:view")
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
    project, access = _project(request, team, project)
    _require(request, access, "project:manage")
    form = ProjectSettingsForm(
        request.POST if request.POST.get("form") == "settings" else None,
        initial={"description": project.description, "visibility": project.visibility},
    )
    delete_form = ProjectDeleteForm(request.POST if request.POST.get("form") == "delete" else None)
    status = 200
    if request.method == "POST" and request.POST.get("form") == "settings":
        status = 400
        if form.is_valid():
            try:
                services.project_update(project=project, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "The project settings were saved.")
                return redirect("project-settings", team=project.team.slug, project=project.name)
    elif request.method == "POST" and request.POST.get("form") == "delete":
        access.require("project:delete")
        status = 400
        if delete_form.is_valid():
            try:
                services.project_delete(project=project, confirm=delete_form.cleaned_data["confirm"])
            except ValidationError as exc:
                add_service_errors(delete_form, exc)
            else:
                messages.success(request, f"The project {project.name} and all its runs were deleted.")
                return redirect("projects", team=project.team.slug)
    elif request.method == "POST" and request.POST.get("form") == "access":
        user = User.objects.filter(username=request.POST.get("username", "").strip()).first()
        if user is None:
            messages.error(request, "There is no user with that username.")
        else:
            try:
                services.access_list_set(project=project, user=user, present=request.POST.get("present") == "1")
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
        "addable": project.team.memberships.select_related("user").exclude(user__in=listed).exclude(role="admin").order_by("user__username"),
    }
    return render(request, "experiments/project_settings.html", context, status=status)


# --- Badge ----------------------------------------------------------------------------------------


def badge(request, team, project):
    """An SVG badge: the run count, or with ?metric=KEY the best summary value (?mode=min for losses)."""
    project, access = _project(request, team, project)
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
