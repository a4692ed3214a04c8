from django.contrib import admin
from django.db.models import Count
from guardian.admin import GuardedModelAdmin

from . import services
from .models import MetricSeries, Project, Run, RunAlert, RunFile


class ThroughServices:
    """Deletes (and project changes) from the admin go through the services, as on the pages:
    stored files are removed, the audit log is written, the policy is asked."""

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(Project)
class ProjectAdmin(ThroughServices, GuardedModelAdmin):
    """Creators and restricted access lists are guardian grants: see "Object permissions"."""

    def save_model(self, request, obj, form, change):
        changed = {field: form.cleaned_data[field] for field in services.projects.PROJECT_FIELDS if field in form.changed_data}
        if change and changed:
            fresh = Project.objects.select_related("team", "created_by").get(pk=obj.pk)
            services.project_update(actor=request.user, project=fresh, **changed)
        super().save_model(request, obj, form, change)

    def delete_model(self, request, obj):
        services.project_delete(actor=request.user, project=obj, confirm=obj.name)

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
class RunAdmin(ThroughServices, GuardedModelAdmin):
    """A run's creator owns it through a guardian grant: see "Object permissions"."""

    def delete_model(self, request, obj):
        services.run_delete(actor=request.user, run=obj)

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
