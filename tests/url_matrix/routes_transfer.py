"""Exports of all team data (team:manage): the settings page and T/exports.

Statuses in the order: anonymous outsider viewer member admin service.
"""

import io

from django.core.files.base import ContentFile

from tests.url_matrix.table import api, page
from transfer.archive import export_team
from transfer.models import Export


def extend(w):
    buffer = io.BytesIO()
    export_team(w.team, buffer, parquet=False)
    export = Export.objects.create(team=w.team, state=Export.DONE, progress=100, size=len(buffer.getvalue()), created_by=w.users["admin"])
    export.file.save("m-acme.zip", ContentFile(buffer.getvalue()))
    w.names["export_id"] = export.pk


ROUTES = [
    page("team-settings-export", "GET", "in 403 403 403 200 in"),
    page("team-settings-export", "POST", "in 403 403 403 302 in", case="start"),
    api("export_create", "POST", "401 403 403 403 202 403"),
    api("export_detail", "GET", "401 403 403 403 200 403"),
    api("export_download", "GET", "401 403 403 403 200 403"),
]
