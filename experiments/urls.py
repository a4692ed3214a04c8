from django.urls import path

import teams.urls  # noqa: F401  (registers the ts_slug converter)

from . import alert_views, run_views, sweep_views, views, workspace_views

# After the team routes: /<team>/settings/... and /<team>/projects/ must win over /<team>/<project>/.
urlpatterns = [
    path("<ts_slug:team>/settings/privacy/", views.team_privacy, name="team-settings-privacy"),
    path("<ts_slug:team>/projects/", views.project_list, name="projects"),
    path("<ts_slug:team>/alerts/", alert_views.team_alerts, name="team-alerts"),
    path("<ts_slug:team>/<ts_slug:project>/", workspace_views.workspace, name="project"),
    path("<ts_slug:team>/<ts_slug:project>/panels/", workspace_views.panels_edit, name="project-panels"),
    path("<ts_slug:team>/<ts_slug:project>/views/", workspace_views.view_create, name="project-view-create"),
    path("<ts_slug:team>/<ts_slug:project>/views/<int:view_id>/", workspace_views.workspace, name="project-view"),
    path("<ts_slug:team>/<ts_slug:project>/views/<int:view_id>/delete/", workspace_views.view_delete, name="project-view-delete"),
    path("<ts_slug:team>/<ts_slug:project>/settings/", views.project_settings, name="project-settings"),
    path("<ts_slug:team>/<ts_slug:project>/compare/", views.compare, name="compare"),
    path("<ts_slug:team>/<ts_slug:project>/alerts/", alert_views.project_alerts, name="project-alerts"),
    path("<ts_slug:team>/<ts_slug:project>/alerts/<int:rule_id>/toggle/", alert_views.rule_toggle, name="project-alert-rule-toggle"),
    path("<ts_slug:team>/<ts_slug:project>/alerts/<int:rule_id>/delete/", alert_views.rule_delete, name="project-alert-rule-delete"),
    path("<ts_slug:team>/<ts_slug:project>/watch/", alert_views.watch, name="project-watch"),
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
