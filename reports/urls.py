from django.urls import path

import teams.urls  # noqa: F401  (registers the ts_slug converter)

from . import views

# Before the experiment routes: "reports" is a word no project may take.
urlpatterns = [
    path("<ts_slug:team>/reports/", views.report_list, name="reports"),
    path("<ts_slug:team>/reports/new/", views.report_new, name="report-new"),
    path("<ts_slug:team>/reports/preview/", views.preview, name="report-preview"),
    path("<ts_slug:team>/reports/unfollow/<str:token>/", views.unfollow, name="report-unfollow"),
    path("<ts_slug:team>/reports/<int:report_id>/", views.report_detail, name="report"),
    path("<ts_slug:team>/reports/<int:report_id>/edit/", views.report_edit, name="report-edit"),
    path("<ts_slug:team>/reports/<int:report_id>/delete/", views.report_delete, name="report-delete"),
    path("<ts_slug:team>/reports/<int:report_id>/comments/", views.comment_add, name="report-comment"),
    path("<ts_slug:team>/reports/<int:report_id>/comments/<int:comment_id>/delete/", views.comment_delete, name="report-comment-delete"),
    path("<ts_slug:team>/reports/<int:report_id>/follow/", views.toggle, {"what": "follow"}, name="report-follow"),
    path("<ts_slug:team>/reports/<int:report_id>/star/", views.toggle, {"what": "star"}, name="report-star"),
    path("<ts_slug:team>/reports/<int:report_id>/badge.svg", views.badge, name="report-badge"),
    path("<ts_slug:team>/<ts_slug:project>/panels/to-report/", views.panel_to_report, name="project-panel-to-report"),
]
