from django.contrib import admin
from guardian.admin import GuardedModelAdmin

from . import services
from .models import Comment, Report, Revision


class RevisionInline(admin.TabularInline):
    model = Revision
    extra = 0
    fields = ["number", "title", "author", "created_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # revisions are saved by editing the report


@admin.register(Report)
class ReportAdmin(GuardedModelAdmin):
    """Authors own their reports through a guardian grant: see "Object permissions"."""

    list_display = ["title", "team", "project", "author", "visibility", "revision", "updated_at"]
    list_filter = ["visibility", "team"]
    search_fields = ["title", "body", "author__username"]
    list_select_related = ["team", "project", "author"]
    readonly_fields = ["revision", "created_at", "updated_at"]
    inlines = [RevisionInline]

    def delete_model(self, request, obj):
        services.report_delete(actor=request.user, report=obj)

    def delete_queryset(self, request, queryset):
        for report in queryset:
            services.report_delete(actor=request.user, report=report)


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["report", "author", "created_at"]
    search_fields = ["body", "author__username", "report__title"]
    list_select_related = ["report", "author"]
