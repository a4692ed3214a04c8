"""One run's pages: overview, charts, system metrics, logs, files; stop, delete, move, notes.

Views parse input, call one service or selector and render; the services ask the
policy for the actor.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core import hooks
from core.errors import Conflict
from teams import policy

from . import alerts, selectors, services, sweep_selectors
from .forms import RunMoveForm, RunNotesForm
from .models import RunState, SeriesKind
from .workspaces import chart_runs
from .views import project_access

RUN_TABS = ("overview", "charts", "system", "media", "logs", "files")
LOG_PAGE = 500


def _run(request, team_slug, name, run_id, scope=None):
    project, access = project_access(request, team_slug, name, scope)
    run = selectors.run_by_id(project, run_id)
    if run is None:
        raise Http404("No such run.")
    return project, access, run


def _back(run):
    return redirect("run", team=run.project.team.slug, project=run.project.name, run_id=run.run_id)


def run_page(request, team, project, run_id):
    project, access, run = _run(request, team, project, run_id, "run:view")
    tab = request.GET.get("tab", "overview")
    if tab not in RUN_TABS:
        tab = "overview"
    access.prefetch([run])
    context = {
        "team": project.team,
        "project": project,
        "access": access,
        "run": run,
        "tab": tab,
        "can_stop": access.can("run:stop", run) and run.shown_state == RunState.RUNNING,
        "can_delete": access.can("run:delete", run),
        "can_move": access.can("run:move", run) and project.visibility != "restricted",
        "can_edit_notes": access.can("run:edit_workspace"),
        "chart_runs": chart_runs(project, [run]),
        # what apps above show about a run (later: the artifacts it logged and used)
        "run_sections": hooks.collect("run.sections", request=request, run=run),
    }
    if tab == "overview":
        context["alerts"] = list(alerts.run_alerts(run)[:20])
        context["keys"] = selectors.series_keys(run, SeriesKind.HISTORY)[:6]
        context["system_keys"] = selectors.series_keys(run, SeriesKind.SYSTEM)[:4]
        context["latest_logs"] = selectors.latest_log_lines(run, limit=20)
        context["notes_form"] = RunNotesForm(initial={"notes": run.notes, "tags": ", ".join(run.tags)})
        context["captured"] = sweep_selectors.captured_metadata(run)
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
    elif tab == "media":
        context["media_panels"] = sweep_selectors.media_panels(run)
    elif tab == "files":
        context["files"] = run.files.all()
    template = "experiments/run.html"
    if request.htmx and request.GET.get("fragment") == "state":
        template += "#run-state"
    return render(request, template, context)


def _move_form(request, run, data=None):
    form = RunMoveForm(data)
    form.fields["project"].choices = [(p.name, p.name) for p in selectors.move_targets(request.user, run)]
    return form


@require_POST
def run_stop(request, team, project, run_id):
    _, _, run = _run(request, team, project, run_id)
    try:
        services.run_stop(actor=request.user, run=run)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Stop requested: the script stops at its next heartbeat (within about 15 seconds).")
    return _back(run)


@require_POST
def run_delete(request, team, project, run_id):
    project, _, run = _run(request, team, project, run_id)
    services.run_delete(actor=request.user, run=run)
    messages.success(request, f"The run {run.name} was deleted.")
    return redirect("project", team=project.team.slug, project=project.name)


@require_POST
def run_move(request, team, project, run_id):
    project, _, run = _run(request, team, project, run_id)
    name = request.POST.get("project", "")
    target = selectors.project_by_name(project.team, name) if name else None
    if target is None or not _move_form(request, run, request.POST).is_valid():
        policy.require(request.user, "run:move", run)  # a bad choice from someone who may not move it: 403
        messages.error(request, "Choose a project you may log runs to.")
        return _back(run)
    try:
        services.run_move(actor=request.user, run=run, target=target)
    except Conflict as exc:
        messages.error(request, exc.message)
        return _back(run)
    messages.success(request, f"The run moved to {target.name}.")
    return redirect("run", team=project.team.slug, project=target.name, run_id=run.run_id)


@require_POST
def run_notes(request, team, project, run_id):
    _, _, run = _run(request, team, project, run_id)
    form = RunNotesForm(request.POST)
    if form.is_valid():
        tags = [tag.strip() for tag in form.cleaned_data["tags"].split(",") if tag.strip()]
        try:
            services.run_update(actor=request.user, run=run, notes=form.cleaned_data["notes"], tags=tags)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Notes and tags saved.")
    else:
        policy.require(request.user, "run:edit_workspace", run)
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    return _back(run)


def run_file(request, team, project, run_id, path):
    _, _, run = _run(request, team, project, run_id, "run:view")
    return selectors.run_file_response(run, path)
