"""Projects and runs: pages and API (project:*, run:* scopes) on a `team`-visibility project.

Outsiders cannot see the project (404) and anonymous callers get 401 on the API and
sign-in on pages. "Its logger" in spec/api.md is the run's creator (or the service account that logged it):
even a team admin does not write into someone else's run.
Statuses in the order: anonymous outsider viewer member admin service.
"""

from django.core.files.uploadedfile import SimpleUploadedFile

from experiments import services as experiments

ROWS_ONE_STEP = {"rows": [{"step": 10, "values": {"loss": 0.1}}]}


def extend(w):
    w.archive = experiments.project_create(actor=w.users["admin"], team=w.team, name="archive")
    rule = experiments.alert_rule_create(actor=w.users["admin"], project=w.project, name="loss high", metric="loss", kind="threshold", op=">", value=1.0)
    w.names["rule_id"] = rule.pk


RULE = {"name": "val high", "metric": "val_loss", "kind": "threshold", "op": ">", "value": 0.5}


from tests.url_matrix.table import api, page  # noqa: E402

ROUTES = [
    # pages
    page("projects", "GET", "200 200 200 200 200 200"),
    page("project", "GET", "in 404 200 200 200 in"),
    page("project-panels", "POST", "in 404 403 302 302 in", body={"action": "remove", "index": "0"}),
    page("project-settings", "GET", "in 404 403 403 200 in"),
    page("project-settings", "POST", "in 404 403 403 302 in", body={"form": "settings", "name": "vision", "description": "Eyes", "visibility": "team"}, case="save"),
    page("compare", "GET", "in 404 200 200 200 in", query="runs=m-run1"),
    page("project-badge", "GET", "in 404 200 200 200 in"),
    page("run", "GET", "in 404 200 200 200 in"),
    page("run-stop", "POST", "in 404 403 302 302 in"),
    page("run-delete", "POST", "in 404 403 302 302 in"),
    page("run-move", "POST", "in 404 403 302 302 in", body={"project": "archive"}),
    page("run-notes", "POST", "in 404 403 302 302 in", body={"notes": "Looks good", "tags": "baseline"}),
    page("run-file", "GET", "in 404 200 200 200 in"),
    page("team-settings-privacy", "GET", "in 403 403 403 200 in"),
    # projects
    api("project_list", "GET", "200 200 200 200 200 200"),
    api("project_create", "POST", "401 403 403 201 201 201", body={"name": "new-project"}),
    api("project_detail", "GET", "401 404 200 200 200 200"),
    api("project_update", "PATCH", "401 404 403 403 200 403", body={"description": "Eyes"}),
    api("project_delete", "DELETE", "401 404 403 403 204 403", body={"confirm": "vision"}),
    api("access_add", "PUT", "401 404 403 403 200 403"),
    api("access_remove", "DELETE", "401 404 403 403 204 403"),
    # runs
    api("run_list", "GET", "401 404 200 200 200 200"),
    api("run_create", "POST", "401 404 403 201 201 201", body={"name": "another"}),
    api("run_detail", "GET", "401 404 200 200 200 200"),
    api("run_update", "PATCH", "401 404 403 200 200 403", body={"summary": {"accuracy": 0.9}}, case="logger fields"),
    api("run_update", "PATCH", "401 404 403 200 200 403", body={"notes": "Looks good"}, case="workspace fields"),
    api("run_delete", "DELETE", "401 404 403 204 204 403"),
    api("run_stop", "POST", "401 404 403 202 202 403"),
    api("run_move", "POST", "401 404 403 200 200 403", body={"project": "archive"}),
    api("run_heartbeat", "POST", "401 404 403 200 403 403"),
    api("history_append", "POST", "401 404 403 200 403 403", body=ROWS_ONE_STEP),
    api("history_read", "GET", "401 404 200 200 200 200"),
    api("system_append", "POST", "401 404 403 200 403 403", body={"rows": [{"step": 1, "values": {"cpu": 12.5}}]}),
    api("system_read", "GET", "401 404 200 200 200 200"),
    api("logs_append", "POST", "401 404 403 200 403 403", body={"lines": ["epoch 3"]}),
    api("logs_read", "GET", "401 404 200 200 200 200"),
    api("files_upload", "POST", "401 404 403 201 403 403",
        files=lambda w: {"notes/readme.txt": SimpleUploadedFile("readme.txt", b"hello")}),
    api("files_list", "GET", "401 404 200 200 200 200"),
    api("file_download", "GET", "401 404 200 200 200 200"),
    api("alert_create", "POST", "401 404 403 201 403 403", body={"title": "Loss spiked", "text": "Look", "level": "warn"}),
    # alerts, alert rules (run:edit_workspace), watching (run:view), the team's feed (team:view)
    api("alert_list", "GET", "401 404 200 200 200 200"),
    api("rule_list", "GET", "401 404 200 200 200 200"),
    api("rule_create", "POST", "401 404 403 201 201 403", body=RULE),
    api("rule_update", "PATCH", "401 404 403 200 200 403", body={"enabled": False}),
    api("rule_delete", "DELETE", "401 404 403 204 204 403"),
    api("watch_put", "PUT", "401 404 200 200 200 200"),
    api("watch_delete", "DELETE", "401 404 200 200 200 200"),
    api("team_alert_list", "GET", "401 403 200 200 200 200"),
    page("team-alerts", "GET", "in 403 200 200 200 in"),
    page("project-alerts", "GET", "in 404 200 200 200 in"),
    page("project-alerts", "POST", "in 404 403 302 302 in", body=RULE, case="add a rule"),
    page("project-alert-rule-toggle", "POST", "in 404 403 302 302 in"),
    page("project-alert-rule-delete", "POST", "in 404 403 302 302 in"),
    page("project-watch", "POST", "in 404 302 302 302 in", body={"on": "1"}),
]
