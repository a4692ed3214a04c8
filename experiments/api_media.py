"""Run media (spec/api.md): POST/GET P/runs/{run_id}/media; the bytes are served by the run's media page."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.urls import reverse
from ninja import Router, Status

from accounts.api_auth import optional_auth
from core.pagination import paginate
from teams import policy

from . import services, sweep_selectors
from .api import P, _run

router = Router(tags=["experiments"])


def media_out(request, media):
    run = media.run
    body = {
        "id": media.pk,
        "key": media.key,
        "step": media.step,
        "kind": media.kind,
        "caption": media.caption,
        "url": request.build_absolute_uri(
            reverse("run-media", kwargs={"team": run.project.team.slug, "project": run.project.name, "run_id": run.run_id, "media_id": media.pk})
        ),
    }
    if media.width is not None:
        body.update(width=media.width, height=media.height)
    if media.rows is not None:
        body["rows"] = media.rows
    return body


@router.post(P + "/runs/{run_id}/media", response={201: dict}, summary="Log an image, table or histogram at a step")
def media_upload(request, team: str, project: str, run_id: str):
    run = _run(request, team, project, run_id)
    media = services.media_save(actor=request.auth, run=run, meta=request.POST.get("meta"), upload=request.FILES.get("file"))
    return Status(201, media_out(request, media))


@router.get(P + "/runs/{run_id}/media", auth=optional_auth, summary="The run's media")
def media_list(request, team: str, project: str, run_id: str, key: str = None, kind: str = None, step: int = None):
    run = _run(request, team, project, run_id)
    policy.require(request.auth, "run:view", run)
    if kind and kind not in ("image", "table", "histogram"):
        raise ValidationError({"kind": ["kind is image, table or histogram."]})
    media = sweep_selectors.media_of(run, key=key, kind=kind, step=step).select_related("run__project__team")
    return paginate(request, media, lambda m: media_out(request, m), default_limit=500)
