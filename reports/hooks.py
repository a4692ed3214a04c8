"""What reports adds to the pages of the apps below it (core.hooks)."""

from core import hooks

from . import selectors


@hooks.register("workspace.panel_tools")
def add_to_report(*, request, project):
    """"Add to report" on each workspace panel, listing the reports the person may edit."""
    reports = selectors.editable_by(request.user, project.team)
    if not reports:
        return None
    return {"template": "reports/_panel_to_report.html", "reports": reports}
