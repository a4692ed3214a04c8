from django.urls import path

import teams.urls  # noqa: F401  (registers the ts_slug converter)

from . import run_views, sweep_views, views

# After the team routes: /<team>/settings/... and /<team>/projects/ must win over /<team>/<project>/.
urlpatterns = [
    path("<ts_slug:team>/settings/privacy/", views.team_privacy, name="team-settings-privacy"),
    path("<ts_slug:team>/projects/", views.project_list, name="projects"),
    path("<ts_slug:team>/<ts_slug:project>/", views.workspace, name="project"),
    path("<ts_slug:team>/<ts_slug:project>/panels/", views.panels_edit, name="project-panels"),
    path("<ts_slug:team>/<ts_slug:project>/settings/", views.project_settings, name="project-settings"),
    path("<ts_slug:team>/<ts_slug:project>/compare/", views.compare, name="compare"),
    path("<ts_slug:team>/<ts_slug:project>/badge.svg", views.badge, name="project-badge"),
    path("<ts_slug:team>/<ts_slug:project>/runs/<ts_slug:run_id>/", run_views.run_page, name="run"),
    path("<ts_slug:team>/<ts_slug:project>/runs/<ts_slug:run_id>/stop/", run_views.run_stop, name="run-stop"),
    path("<ts_slug:team>/<ts_slug:project>/runs/<ts_slug:run_id>/delete/", run_views.run_delete, name="run-delete"),
    path("<ts_slug:team>/<ts_slug:project>/runs/<ts_slug:run_id>/move/", run_views.run_move, name="run-move"),
    path("<ts_slug:team>/<ts_slug:project>/runs/<ts_slug:run_id>/notes/", run_views.run_notes, name="run-notes"),
    path("<ts_slug:team>/<ts_slug:project>/runs/<ts_slug:run_id>/files/<path:path>", run_views.run_file, name="run-file"),
    path("<ts_slug:team>/<ts_slug:project>/runs/<ts_slug:run_id>/media/<int:media_id>", sweep_views.run_media, name="run-media"),
    path("<ts_slug:team>/<ts_slug:project>/sweeps/", sweep_views.sweep_list, name="sweeps"),
    path("<ts_slug:team>/<ts_slug:project>/sweeps/<ts_slug:sweep_id>/", sweep_views.sweep_page, name="sweep"),
    path("<ts_slug:team>/<ts_slug:project>/sweeps/<ts_slug:sweep_id>/state/", sweep_views.sweep_state, name="sweep-state"),
    path("<ts_slug:team>/<ts_slug:project>/sweeps/<ts_slug:sweep_id>/delete/", sweep_views.sweep_delete, name="sweep-delete"),
]
