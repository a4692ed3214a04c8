from django.contrib import admin
from django.db.models import Count
from guardian.admin import GuardedModelAdmin

from .models import MetricSeries, Project, Run, RunAlert, RunFile


@admin.register(Project)
class ProjectAdmin(GuardedModelAdmin):
    """Creators and restricted access lists are guardian grants: see "Object permissions"."""

    list_display = ["name", "team", "visibility", "created_by", "run_count", "created_at"]
    list_filter = ["visibility", "team"]
    search_fields = ["name", "team__slug", "description"]
    list_select_related = ["team", "created_by"]
    readonly_fields = ["created_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(run_total=Count("runs"))

    @admin.display(description="runs", ordering="run_total")
    def run_count(self, obj):
        return obj.run_total


class RunFileInline(admin.TabularInline):
    model = RunFile
    extra = 0
    fields = ["path", "size", "sha256", "created_at"]
    readonly_fields = fields
    can_delete = False


@admin.register(Run)
class RunAdmin(GuardedModelAdmin):
    """A run's creator owns it through a guardian grant: see "Object permissions"."""

    list_display = ["run_id", "name", "project", "state", "created_by", "logged_by", "created_at", "heartbeat_at"]
    list_filter = ["state", "project__team", "project"]
    search_fields = ["run_id", "name", "notes", "created_by__username", "project__name"]
    list_select_related = ["project", "project__team", "created_by", "logged_by"]
    readonly_fields = ["created_at", "heartbeat_at", "finished_at", "logged_by"]
    raw_id_fields = ["project", "created_by"]
    inlines = [RunFileInline]


@admin.register(MetricSeries)
class MetricSeriesAdmin(admin.ModelAdmin):
    list_display = ["key", "kind", "run", "count", "last_step", "last_value"]
    list_filter = ["kind"]
    search_fields = ["key", "run__run_id"]
    list_select_related = ["run"]
    readonly_fields = ["run", "kind", "key", "count", "last_step", "last_value"]

    def has_add_permission(self, request):
        return False  # points arrive through the API


@admin.register(RunAlert)
class RunAlertAdmin(admin.ModelAdmin):
    list_display = ["title", "level", "run", "sent", "created_at"]
    list_filter = ["level", "sent"]
    search_fields = ["title", "run__run_id"]
    list_select_related = ["run"]
