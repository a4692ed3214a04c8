from django.urls import path, register_converter

from . import site_views, storage_views, views, webhook_views


class SlugConverter:
    regex = r"[A-Za-z0-9_.-]{1,64}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(SlugConverter, "ts_slug")

# Fixed words first; team slugs live at the site root (spec/pages.md), so the
# team routes come after them in teamsite/urls.py (the profile, general settings
# and privacy pages belong to the apps that compose them: profiles, experiments).
site_urlpatterns = [
    path("teams/new/", views.team_create, name="team-new"),
    path("teams/invite/", views.invite_entry, name="invite-entry"),
    path("invitations/<str:token>/", views.invitation_page, name="invitation"),
    path("orgs/<ts_slug:org>/roles/", site_views.org_roles, name="org-roles"),
    path("orgs/<ts_slug:org>/roles/<ts_slug:name>/delete/", site_views.org_role_delete, name="org-role-delete"),
    path("system/settings/", site_views.system_settings, name="system-settings"),
]

team_urlpatterns = [
    path("<ts_slug:team>/settings/webhooks/", webhook_views.settings_webhooks, name="team-settings-webhooks"),
    path("<ts_slug:team>/settings/webhooks/run-mails/", webhook_views.run_mails, name="team-run-mails"),
    path("<ts_slug:team>/settings/webhooks/<int:webhook_id>/test/", webhook_views.webhook_test, name="team-webhook-test"),
    path("<ts_slug:team>/settings/webhooks/<int:webhook_id>/toggle/", webhook_views.webhook_toggle, name="team-webhook-toggle"),
    path("<ts_slug:team>/settings/webhooks/<int:webhook_id>/delete/", webhook_views.webhook_delete, name="team-webhook-delete"),
    path("<ts_slug:team>/settings/audit/", views.settings_audit, name="team-settings-audit"),
    path("<ts_slug:team>/settings/members/", views.settings_members, name="team-settings-members"),
    path("<ts_slug:team>/settings/members/invite/", views.member_invite, name="team-member-invite"),
    path("<ts_slug:team>/settings/members/add/", views.member_add, name="team-member-add"),
    path("<ts_slug:team>/settings/members/<str:username>/role/", views.member_role, name="team-member-role"),
    path("<ts_slug:team>/settings/members/<str:username>/remove/", views.member_remove, name="team-member-remove"),
    path(
        "<ts_slug:team>/settings/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="team-invitation-revoke",
    ),
    path("<ts_slug:team>/settings/storage/", storage_views.settings_storage, name="team-settings-storage"),
    path("<ts_slug:team>/settings/service-accounts/", views.settings_service_accounts, name="team-settings-service-accounts"),
    path(
        "<ts_slug:team>/settings/service-accounts/<str:username>/revoke/",
        views.service_account_revoke,
        name="team-service-account-revoke",
    ),
]
