"""Sweeps (spec/api.md, "Sweeps"): list, create, read, next parameters for an agent, control, delete."""

from __future__ import annotations

from django.http import Http404
from ninja import Router, Schema, Status
from pydantic import Field

from accounts.api_auth import optional_auth
from core.pagination import paginate
from teams import policy

from . import services, sweep_selectors
from .api import P, _project, run_out
from .api_data import _json_body
from .models import Sweep

router = Router(tags=["sweeps"])


class SweepIn(Schema):
    name: str | None = Field(default=None, max_length=500)
    config: dict | str


class SweepPatch(Schema):
    state: str


def _sweep(request, team, project, sweep_id) -> Sweep:
    found = _project(request, team, project)
    sweep = sweep_selectors.sweep_by_id(found, sweep_id)
    if sweep is None:
        raise Http404(f"There is no sweep {sweep_id} in {found}.")
    return sweep


def sweep_url(request, sweep):
    return request.build_absolute_uri(f"/{sweep.project.team.slug}/{sweep.project.name}/sweeps/{sweep.sweep_id}/")


def sweep_out(request, sweep, best=None, run_count=None):
    return {
        "sweep_id": sweep.sweep_id,
        "name": sweep.name or sweep.sweep_id,
        "method": sweep.method,
        "state": sweep.state,
        "run_count": run_count if run_count is not None else getattr(sweep, "run_count", None),
        "best": best,
        "created_by": sweep.created_by.username if sweep.created_by else None,
        "created_at": sweep.created_at.isoformat(),
        "url": sweep_url(request, sweep),
    }


@router.get(P + "/sweeps", auth=optional_auth, summary="The project's sweeps")
def sweep_list(request, team: str, project: str):
    found = _project(request, team, project)
    policy.require(request.auth, "run:view", found)
    sweeps = list(sweep_selectors.sweeps_of(found).select_related("project__team"))
    bests = sweep_selectors.bests(sweeps)
    return paginate(request, sweeps, lambda sweep: sweep_out(request, sweep, bests[sweep.pk]))


@router.post(P + "/sweeps", response={201: dict}, summary="Create a sweep from a W&B sweep config")
def sweep_create(request, team: str, project: str, payload: SweepIn):
    found = _project(request, team, project)
    sweep = services.sweep_create(actor=request.auth, project=found, config=payload.config, name=payload.name or "")
    return Status(201, {"sweep_id": sweep.sweep_id, "url": sweep_url(request, sweep)})


@router.get(P + "/sweeps/{sweep_id}", auth=optional_auth, response=dict, summary="A sweep and its runs")
def sweep_detail(request, team: str, project: str, sweep_id: str):
    sweep = _sweep(request, team, project, sweep_id)
    policy.require(request.auth, "run:view", sweep)
    runs = sweep_selectors.sweep_runs(sweep)
    metric = sweep.metric.get("name") or ""
    body = sweep_out(request, sweep, sweep_selectors.best_of(sweep, runs), len(runs))
    body["config"] = sweep.config
    body["runs"] = [
        {"run_id": run.run_id, "name": run.name, "state": run.shown_state, "config": run.config, "value": services.run_value(run, metric)}
        for run in runs
    ]
    return body


@router.post(P + "/sweeps/{sweep_id}/next", response={200: dict, 204: None}, summary="The next run of the sweep, for an agent")
def sweep_next(request, team: str, project: str, sweep_id: str):
    sweep = _sweep(request, team, project, sweep_id)
    sent_json = request.content_type == "application/json" and request.body
    body = _json_body(request) if sent_json else {}  # the body is optional: an agent may send nothing
    agent = body.get("agent") if isinstance(body.get("agent"), str) else ""
    run = services.sweep_next(actor=request.auth, sweep=sweep, agent=agent[:255])
    if run is None:
        return Status(204, None)
    body = run_out(request, run)
    body["sweep_id"] = sweep.sweep_id
    return body


@router.patch(P + "/sweeps/{sweep_id}", response=dict, summary="Pause, resume, finish or cancel a sweep")
def sweep_update(request, team: str, project: str, sweep_id: str, payload: SweepPatch):
    sweep = services.sweep_control(actor=request.auth, sweep=_sweep(request, team, project, sweep_id), state=payload.state)
    return sweep_out(request, sweep, run_count=sweep.runs.count())


@router.delete(P + "/sweeps/{sweep_id}", response={204: None}, summary="Delete a sweep (its runs stay)")
def sweep_delete(request, team: str, project: str, sweep_id: str):
    services.sweep_delete(actor=request.auth, sweep=_sweep(request, team, project, sweep_id))
    return Status(204, None)
