"""T/exports (spec/api.md): start an export, follow it, download the zip (team:manage)."""

from django.http import FileResponse, Http404
from ninja import Router, Status

from teams.selectors import team_or_404

from . import services
from .models import Export

router = Router(tags=["exports"])


def export_out(request, export):
    download = f"/api/v1/teams/{export.team.slug}/exports/{export.pk}/download" if export.state == Export.DONE else None
    return {"id": export.pk, "state": export.state, "progress": export.progress, "step": export.step, "size": export.size,
            "download_url": request.build_absolute_uri(download) if download else None, "error": export.error or None,
            "created_at": export.created_at.isoformat()}


def _export(request, team, export_id):
    found = team_or_404(team)
    export = services.export_for(actor=request.auth, team=found, export_id=export_id)
    if export is None:
        raise Http404(f"{found.name} has no export {export_id}.")
    return export


@router.post("/teams/{team}/exports", response={202: dict}, summary="Export all team data (team:manage); built in the background")
def export_create(request, team: str):
    export = services.export_create(actor=request.auth, team=team_or_404(team))
    return Status(202, export_out(request, export))  # as it was queued; GET follows it


@router.get("/teams/{team}/exports/{export_id}", response=dict, summary="An export's state (team:manage)")
def export_detail(request, team: str, export_id: int):
    return export_out(request, _export(request, team, export_id))


@router.get("/teams/{team}/exports/{export_id}/download", summary="The export's zip, streamed (team:manage)")
def export_download(request, team: str, export_id: int):
    export = _export(request, team, export_id)
    if export.state != Export.DONE or not export.file:
        raise Http404("This export is not ready.")
    return FileResponse(export.file.open("rb"), as_attachment=True, filename=export.file.name.rsplit("/", 1)[-1], content_type="application/zip")
