from django.urls import path

import teams.urls  # noqa: F401  (registers the ts_slug converter)

from . import views

urlpatterns = [
    path("<ts_slug:team>/", views.team_home, name="team-home"),
    path("<ts_slug:team>/settings/", views.settings_general, name="team-settings"),
    path("<ts_slug:team>/settings/avatar/", views.team_avatar, name="team-avatar"),
    path("<ts_slug:team>/settings/intro-preview/", views.intro_preview, name="team-intro-preview"),
    path("<ts_slug:team>/settings/showcase/", views.showcase_edit, name="team-showcase"),
]
