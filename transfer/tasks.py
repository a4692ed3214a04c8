"""Building an export in the worker, and removing old ones."""

import logging
import tempfile
from datetime import timedelta

from django.conf import settings
from django.core.files import File
from django.utils import timezone
from django_tasks import task

from core import schedule

from .archive import export_team
from .models import Export

logger = logging.getLogger("teamsite.transfer")


@task()
def build_export(export_id: int) -> str:
    claimed = Export.objects.filter(pk=export_id, state=Export.QUEUED).update(state=Export.RUNNING, step="Starting")
    if not claimed:
        return "skipped"
    export = Export.objects.select_related("team__organization").get(pk=export_id)

    def progress(percent, step):
        Export.objects.filter(pk=export_id).update(progress=percent, step=step[:200])

    try:
        with tempfile.TemporaryFile() as tmp:
            export_team(export.team, tmp, progress=progress)
            size = tmp.tell()
            tmp.seek(0)
            stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
            export.file.save(f"{export.team.slug}-{stamp}.zip", File(tmp), save=False)
    except Exception as exc:  # noqa: BLE001 - recorded on the export, shown on the page
        logger.exception("Export %s failed", export_id)
        Export.objects.filter(pk=export_id).update(state=Export.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000], finished_at=timezone.now())
        return "failed"
    Export.objects.filter(pk=export_id).update(state=Export.DONE, file=export.file.name, size=size, progress=100, step="Done",
                                               finished_at=timezone.now())
    return "done"


@schedule.every(3600, name="exports.cleanup")
def cleanup() -> int:
    old = Export.objects.filter(created_at__lt=timezone.now() - timedelta(days=settings.EXPORT_KEEP_DAYS))
    for export in old:
        if export.file:
            export.file.delete(save=False)
    return old.delete()[0]
