"""The Django admin, for system admins: export teams (an action on Teams), list exports, import an archive."""

from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.html import format_html

from core.transfer import ImportProblem
from teams import policy
from teams.models import Organization, Team

from . import services
from .archive import import_team
from .models import Export


@admin.action(description="Export all data of the selected teams (built by the worker)")
def export_teams(modeladmin, request, queryset):
    for team in queryset:
        services.export_create(actor=request.user, team=team)
    messages.success(request, f"{queryset.count()} export(s) started; see Exports.")


team_admin = admin.site._registry.get(Team)
if team_admin is not None:
    team_admin.actions = [*(team_admin.actions or []), export_teams]


class ImportForm(forms.Form):
    archive = forms.FileField(help_text="A zip made by the export page or manage.py export_team.")
    organization = forms.ModelChoiceField(queryset=Organization.objects.all())
    slug = forms.CharField(required=False, help_text="A new slug for the team; empty keeps the exported one.")


@admin.register(Export)
class ExportAdmin(admin.ModelAdmin):
    list_display = ["team", "state", "progress", "size", "created_by", "created_at", "download"]
    list_filter = ["state"]
    readonly_fields = ["team", "state", "progress", "step", "file", "size", "error", "created_by", "created_at", "finished_at"]
    change_list_template = "admin/transfer/export_changelist.html"

    def has_add_permission(self, request):
        return False

    @admin.display(description="Download")
    def download(self, export):
        if export.state != Export.DONE:
            return ""
        return format_html('<a href="/api/v1/teams/{}/exports/{}/download">zip</a>', export.team.slug, export.pk)

    def get_urls(self):
        return [path("import/", self.admin_site.admin_view(self.import_view), name="transfer_import"), *super().get_urls()]

    def import_view(self, request):
        policy.require(request.user, "system:manage")  # system admins only: an import creates a team and people
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                team = import_team(form.cleaned_data["archive"], organization=form.cleaned_data["organization"], slug=form.cleaned_data["slug"] or None)
            except ImportProblem as exc:
                form.add_error("archive", f"Nothing was imported: {exc}")
            else:
                messages.success(request, f"Imported {team.slug}.")
                return redirect("admin:teams_team_changelist")
        return render(request, "admin/transfer/import.html", {**self.admin_site.each_context(request), "form": form, "title": "Import a team"})
