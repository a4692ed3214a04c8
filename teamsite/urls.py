from django.conf import settings
from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from accounts import views as account_views
from teams.urls import site_urlpatterns as team_site_urls
from experiments.urls import urlpatterns as experiments_urlpatterns
from mlflow_compat.urls import urlpatterns as mlflow_urlpatterns
from profiles.urls import urlpatterns as profiles_urlpatterns
from registry.urls import urlpatterns as registry_urlpatterns
from reports.urls import urlpatterns as reports_urlpatterns
from teams.urls import team_urlpatterns
from transfer.urls import urlpatterns as transfer_urlpatterns

from . import views
from .api import api, api_index, api_not_found

# The admin's own sign-in form has no rate limit: send operators through allauth's, which has.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", views.home, name="home"),
    path("health", views.health, name="health"),
    path("health/ready", views.ready, name="health-ready"),
    path("favicon.ico", views.favicon),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("settings/", account_views.settings_page, name="settings"),
    path("settings/profile/", account_views.profile_save, name="settings-profile"),
    path("settings/avatar/", account_views.avatar_save, name="settings-avatar"),
    path("settings/api-keys/", account_views.api_key_create, name="settings-api-key-create"),
    path("settings/api-keys/<str:prefix>/revoke/", account_views.api_key_revoke, name="settings-api-key-revoke"),
    path("settings/notifications/", account_views.notifications_page, name="settings-notifications"),
    path("settings/notifications/unsubscribe/<str:token>/", account_views.unsubscribe, name="unsubscribe"),
    path("api/v1/", api_index),  # before ninja's root, which only raises 404
    path("api/v1/", api.urls),
    *mlflow_urlpatterns,  # MLflow's own paths (docs/mlflow.md), before the catch-all
    re_path(r"^api/", api_not_found),
    *team_site_urls,
]

if not settings.AWS_STORAGE_BUCKET_NAME:
    # Avatars are public pictures. Run files are NOT served from here: they go
    # through views that ask the policy (/<team>/<project>/runs/<id>/files/...).
    urlpatterns += [re_path(r"^media/(?P<path>avatars/.*)$", serve, {"document_root": settings.MEDIA_ROOT})]

urlpatterns += team_urlpatterns  # last: a team's slug sits at the site root
urlpatterns += transfer_urlpatterns  # /<team>/settings/export/
urlpatterns += profiles_urlpatterns  # /<team>/ and /<team>/settings/
urlpatterns += reports_urlpatterns
urlpatterns += registry_urlpatterns  # /<team>/registry/ before /<team>/<project>/
urlpatterns += experiments_urlpatterns  # and a project's name under it
