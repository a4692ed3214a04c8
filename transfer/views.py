"""/<team>/settings/export/: start an export, watch its progress, download it."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from teams.views import settings_context, team_access

from . import services
from .models import Export


def settings_export(request, team):
    team, access = team_access(request, team, "team:manage")
    if request.method == "POST":
        try:
            services.export_create(actor=request.user, team=team)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "The export was started; this page shows its progress.")
        return redirect("team-settings-export", team=team.slug)
    exports = list(Export.objects.filter(team=team)[:20])
    busy = any(e.state in (Export.QUEUED, Export.RUNNING) for e in exports)
    template = "transfer/settings_export.html#exports" if request.htmx else "transfer/settings_export.html"
    return render(request, template, settings_context(team, access, tab="export", exports=exports, busy=busy))
