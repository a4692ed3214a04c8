"""Writes for projects and runs. Every service takes the actor and asks the policy itself."""

from .alerts import alert_create, alert_rule_create, alert_rule_delete, alert_rule_update, watch_set
from .ingest import (
    MAX_POINTS_PER_REQUEST,
    clean_file_path,
    files_save,
    history_append,
    logs_append,
    parse_columns,
    parse_rows,
)
from .bin import project_restore, project_trash, run_restore, run_trash
from .keyvalues import run_params_tags_log
from .projects import access_list_set, project_create, project_delete, project_update, projects_keep_inside
from .runs import (
    FINAL_STATES,
    crash_after,
    finite,
    new_run_id,
    resolve_attribution,
    run_create,
    run_delete,
    run_heartbeat,
    run_move,
    run_start,
    run_stop,
    run_update,
    runs_mark_crashed,
)
from .workspace import clean_panels, panel_edit, project_panels_save

__all__ = [
    "run_params_tags_log",
    "run_trash",
    "run_restore",
    "project_trash",
    "project_restore",
    "FINAL_STATES",
    "MAX_POINTS_PER_REQUEST",
    "access_list_set",
    "alert_create",
    "alert_rule_create",
    "alert_rule_delete",
    "alert_rule_update",
    "watch_set",
    "clean_file_path",
    "clean_panels",
    "crash_after",
    "files_save",
    "finite",
    "history_append",
    "logs_append",
    "new_run_id",
    "panel_edit",
    "parse_columns",
    "parse_rows",
    "project_create",
    "project_delete",
    "project_panels_save",
    "project_update",
    "projects_keep_inside",
    "resolve_attribution",
    "run_create",
    "run_delete",
    "run_heartbeat",
    "run_move",
    "run_start",
    "run_stop",
    "run_update",
    "runs_mark_crashed",
]
