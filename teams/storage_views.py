"""/<team>/settings/storage/: the team's storage connector, with a test button (team:manage)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from . import services, storage
from .models import TeamStorage
from .services.storage import describe
from .views import team_access

FIELDS = ("kind", "endpoint_url", "region", "bucket", "prefix", "access_key_id", "secret_access_key")


def settings_storage(request, team):
    team, access = team_access(request, team, "team:manage")
    current = describe(TeamStorage.objects.filter(team=team, active=True).first())
    errors, status, values = {}, 200, current
    if request.method == "POST":
        values = {field: request.POST.get(field, "") for field in FIELDS}
        try:
            if "test" in request.POST:
                services.storage_test(actor=request.user, team=team, **values)
                messages.success(request, "The connection works: a probe object was written, read back and deleted.")
            else:
                services.storage_update(actor=request.user, team=team, **values)
                messages.success(request, "Saved: the team's new artifact and run files go there; files stored before stay where they are.")
                return redirect("team-settings-storage", team=team.slug)
        except storage.ProbeFailed as exc:
            errors, status = {"probe": f"The {exc.step} step failed: {exc.detail}"}, 400
        except ValidationError as exc:
            errors, status = {name: " ".join(messages_) for name, messages_ in exc.message_dict.items()}, 400
        values = {**values, "secret_set": current["secret_set"]}
    context = {"team": team, "access": access, "tab": "storage", "values": values, "errors": errors}
    return render(request, "teams/settings_storage.html", context, status=status)
