from django import forms
from django.contrib import admin
from guardian.admin import GuardedModelAdmin

from . import roles
from . import services
from .models import AuditEvent, CustomRole, Invitation, Membership, Organization, OrganizationMember, ServiceAccount, Team


class OrganizationMemberInline(admin.TabularInline):
    model = OrganizationMember
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "created_at"]
    search_fields = ["slug", "name"]
    inlines = [OrganizationMemberInline]


class MembershipInline(admin.TabularInline):
    """Shown, not edited: role changes and removals go through the members page,
    whose services keep a team from losing its last admin."""

    model = Membership
    extra = 0
    fields = ["user", "role", "custom_role", "registry_admin", "created_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Team)
class TeamAdmin(GuardedModelAdmin):
    """Object permissions of a team are listed by guardian's "Object permissions" button."""

    list_display = ["slug", "name", "organization", "projects_stay_inside", "created_at"]
    list_filter = ["organization", "projects_stay_inside"]
    search_fields = ["slug", "name"]
    list_select_related = ["organization"]
    inlines = [MembershipInline]

    def delete_model(self, request, obj):
        services.team_delete(actor=request.user, team=obj)

    def delete_queryset(self, request, queryset):
        for team in queryset:
            services.team_delete(actor=request.user, team=team)


class ReadOnly:
    """Shown in the admin, changed only by the services (which keep their rules and the audit log)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Membership)
class MembershipAdmin(ReadOnly, admin.ModelAdmin):
    """Read-only here: /<team>/settings/members/ changes roles under the team's rules."""

    list_display = ["user", "team", "role", "custom_role", "registry_admin", "created_at"]
    list_filter = ["role", "registry_admin", "team"]
    search_fields = ["user__username", "user__email", "team__slug"]
    list_select_related = ["user", "team", "custom_role"]



@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "team", "role", "state", "invited_by", "created_at", "expires_at"]
    list_filter = ["team", "role"]
    search_fields = ["email", "team__slug"]
    list_select_related = ["team", "invited_by", "custom_role"]
    readonly_fields = ["token_digest", "accepted_at", "accepted_by", "created_at"]
    exclude = []

    def has_add_permission(self, request):
        return False  # invitations are sent from the members page, which emails the link


class CustomRoleForm(forms.ModelForm):
    class Meta:
        model = CustomRole
        fields = ["organization", "name", "base", "extra_scopes"]

    def clean_extra_scopes(self):
        scopes = self.cleaned_data["extra_scopes"]
        if not isinstance(scopes, list) or roles.unknown_scopes(scopes):
            raise forms.ValidationError(f"Unknown scope: {', '.join(roles.unknown_scopes(scopes if isinstance(scopes, list) else []))}.")
        return sorted(set(scopes))


@admin.register(CustomRole)
class CustomRoleAdmin(admin.ModelAdmin):
    form = CustomRoleForm
    list_display = ["name", "organization", "base", "extra_scopes", "created_at"]
    list_filter = ["organization", "base"]
    search_fields = ["name"]


@admin.register(ServiceAccount)
class ServiceAccountAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "team", "created_by", "created_at", "revoked_at"]
    list_filter = ["team", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "user__username", "team__slug"]
    list_select_related = ["user", "team", "created_by"]
    readonly_fields = ["user", "team", "created_by", "created_at", "revoked_at"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False  # created on the team's service accounts page, which shows the key once

    @admin.action(description="Revoke the selected service accounts (their keys die, what they logged stays)")
    def revoke(self, request, queryset):
        accounts = [account for account in queryset.select_related("team", "user") if not account.revoked_at]
        for account in accounts:
            services.service_account_revoke(actor=request.user, account=account)
        self.message_user(request, f"{len(accounts)} service account(s) revoked.")


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnly, admin.ModelAdmin):
    """The audit log, read-only: records are written by the services that make each change."""

    list_display = ["at", "team_slug", "actor_name", "action", "target"]
    list_filter = ["action", "team"]
    search_fields = ["actor_name", "target", "team_slug"]
    date_hierarchy = "at"

