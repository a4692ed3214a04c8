"""Sweep pages: the project's sweeps (list, create), one sweep (runs, best run, parallel
coordinates, parameter importance, pause / resume / finish / cancel / delete), and
the bytes of a run's media."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.forms import add_service_errors
from . import selectors, services, sweep_selectors
from .forms import SweepForm
from .models import MediaKind, RunMedia, SweepState
from .sweeping import parcoords
from .views import project_access

STATE_ACTIONS = {  # button label for each move a sweep's state may make
    SweepState.RUNNING: ("Resume", "btn-primary"),
    SweepState.PAUSED: ("Pause", "btn-secondary"),
    SweepState.FINISHED: ("Finish", "btn-secondary"),
    SweepState.CANCELLED: ("Cancel", "btn-danger"),
}


def _sweep(request, team, project, sweep_id, scope=None):
    project, access = project_access(request, team, project, scope)
    sweep = sweep_selectors.sweep_by_id(project, sweep_id)
    if sweep is None:
        raise Http404("No such sweep.")
    return project, access, sweep


def agent_command(request, sweep) -> str:
    return f"teamsite agent {sweep.project.team.slug}/{sweep.project.name}/{sweep.sweep_id} -- python train.py"


def sweep_list(request, team, project):
    project, access = project_access(request, team, project, "run:view")
    form = SweepForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                sweep = services.sweep_create(actor=request.user, project=project, config=form.cleaned_data["config"], name=form.cleaned_data["name"])
            except ValidationError as exc:
                _config_errors(form, exc)
            else:
                messages.success(request, f"The sweep {sweep} was created. Start agents with the command below.")
                return redirect("sweep", team=project.team.slug, project=project.name, sweep_id=sweep.sweep_id)
        else:
            access.require("sweep:create")  # a bad form from someone who may not create: 403
    sweeps = list(sweep_selectors.sweeps_of(project))
    bests = sweep_selectors.bests(sweeps)
    for sweep in sweeps:
        sweep.best = bests[sweep.pk]
    context = {
        "team": project.team,
        "project": project,
        "access": access,
        "sweeps": sweeps,
        "form": form,
        "can_create": access.can("sweep:create"),
    }
    return render(request, "experiments/sweeps.html", context, status=status)


def _config_errors(form, exc):
    """Errors about the config's inside (config.method, parameters.lr...) go on the config field."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            target = "name" if field == "name" else "config"
            for message in errors:
                form.add_error(target, f"{field}: {message}" if target == "config" and field != "config" else message)
    else:
        add_service_errors(form, exc)


def sweep_page(request, team, project, sweep_id):
    project, access, sweep = _sweep(request, team, project, sweep_id, "run:view")
    runs = sweep_selectors.sweep_runs(sweep)
    analysis = sweep_selectors.sweep_analysis(sweep, runs)
    metric = analysis["metric"]
    can_control = access.can("sweep:control", sweep)
    moves = services.sweeps.CONTROL_MOVES[sweep.state] if can_control else set()
    context = {
        "team": project.team,
        "project": project,
        "access": access,
        "sweep": sweep,
        "runs": [(run, services.run_value(run, metric), [run.config.get(axis["name"]) for axis in analysis["axes"]]) for run in runs],
        "best": sweep_selectors.best_of(sweep, runs),
        "analysis": analysis,
        "chart": parcoords.chart(analysis),
        "config_text": json.dumps(sweep.config, indent=2),
        "agent_command": agent_command(request, sweep),
        "actions": [(state, *STATE_ACTIONS[state]) for state in STATE_ACTIONS if state in moves],
        "can_delete": access.can("sweep:delete", sweep),
        "can_create": access.can("sweep:create"),
        "base_url": request.build_absolute_uri("/").rstrip("/"),
    }
    template = "experiments/sweep.html"
    if request.htmx and request.GET.get("fragment") == "runs":
        template += "#sweep-runs"
    return render(request, template, context)


@require_POST
def sweep_state(request, team, project, sweep_id):
    project, _, sweep = _sweep(request, team, project, sweep_id)
    try:
        sweep = services.sweep_control(actor=request.user, sweep=sweep, state=request.POST.get("state", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"The sweep is {sweep.get_state_display().lower()}.")
    return redirect("sweep", team=project.team.slug, project=project.name, sweep_id=sweep.sweep_id)


@require_POST
def sweep_delete(request, team, project, sweep_id):
    project, _, sweep = _sweep(request, team, project, sweep_id)
    services.sweep_delete(actor=request.user, sweep=sweep)
    messages.success(request, f"The sweep {sweep} was deleted; its runs stay in the project.")
    return redirect("sweeps", team=project.team.slug, project=project.name)


def run_media(request, team, project, run_id, media_id):
    """One media item's bytes: an image inline, a table or histogram as JSON."""
    project, access = project_access(request, team, project, "run:view")
    run = selectors.run_by_id(project, run_id)
    media = RunMedia.objects.filter(run=run, pk=media_id).first() if run else None
    if media is None:
        raise Http404("No such media.")
    if media.kind != MediaKind.IMAGE:
        return HttpResponse(json.dumps(media.data), content_type="application/json")
    try:
        handle = media.file.open("rb")
    except FileNotFoundError:
        raise Http404("The image's bytes are missing from storage.") from None
    response = FileResponse(handle, content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
