"""Reports: pages and API (report:* scopes) on a `team`-visibility report the member wrote.

Statuses in the order: anonymous outsider viewer member admin service.
"""

from tests.url_matrix.table import api, page


def _unfollow_token(w, actor):
    return w.unfollow_token


ROUTES = [
    page("reports", "GET", "200 200 200 200 200 200"),
    page("report-new", "GET", "in 403 403 200 200 in"),
    page("report-new", "POST", "in 403 403 302 302 in", body={"title": "New", "body": "x", "visibility": "team"}, case="save"),
    page("report-preview", "POST", "in 200 200 200 200 in", body={"body": "**bold**"}),
    page("report-unfollow", "GET", "200 200 200 200 200 200", kwargs={"token": _unfollow_token}),
    page("report", "GET", "in 404 200 200 200 in"),
    page("report-edit", "GET", "in 404 403 200 200 in"),
    page("report-delete", "POST", "in 404 403 302 302 in"),
    page("report-comment", "POST", "in 404 302 302 302 in", body={"body": "Agreed."}),
    page("report-comment-delete", "POST", "in 404 403 302 302 in"),
    page("report-follow", "POST", "in 404 302 302 302 in"),
    page("report-star", "POST", "in 404 302 302 302 in"),
    page("report-badge", "GET", "in 404 200 200 200 in"),
    page("project-panel-to-report", "POST", "in 404 403 302 302 in", kwargs={"project": "vision"},
         body=lambda w, actor: {"index": "0", "report": str(w.report.pk)}),
    api("report_list", "GET", "200 200 200 200 200 200"),
    api("report_create", "POST", "401 403 403 201 201 403", body={"title": "New", "body": "x", "visibility": "team"}),
    api("report_detail", "GET", "401 404 200 200 200 200"),
    api("report_update", "PATCH", "401 404 403 200 200 403", body={"title": "Better", "base_revision": 2}),
    api("report_delete", "DELETE", "401 404 403 204 204 403"),
    api("revision_list", "GET", "401 404 200 200 200 200"),
    api("comment_list", "GET", "401 404 200 200 200 200"),
    api("comment_create", "POST", "401 404 201 201 201 403", body={"body": "Agreed."}),
    api("comment_delete", "DELETE", "401 404 403 204 204 403"),
    api("follow", "PUT", "401 404 200 200 200 403"),
    api("unfollow", "DELETE", "401 404 200 200 200 403"),
    api("star", "PUT", "401 404 200 200 200 403"),
    api("unstar", "DELETE", "401 404 200 200 200 403"),
]
