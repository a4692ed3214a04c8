from django.urls import path

import teams.urls  # noqa: F401  (registers the ts_slug converter)

from . import views

urlpatterns = [
    path("<ts_slug:team>/settings/export/", views.settings_export, name="team-settings-export"),
]
