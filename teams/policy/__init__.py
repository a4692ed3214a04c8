"""The one permission policy (spec/permissions.md).

Every "may this person do this to this object" question in teamsite is answered
here, in the spirit of Wagtail's permission policies:

- `can(user, scope, obj)` and `require(user, scope, obj)` for one object;
- `visible(user, queryset)` and `permitted(user, scope, queryset)` for many at
  once, as one query (never a loop of per-object checks).

Role scopes come from the role table (`teams/roles.py`) through memberships;
per-object grants (creators, authors, access lists) come from django-guardian,
asked and written only here (`grants.py`). Services ask `require` for their
actor, so pages, the API and the admin cannot disagree.

The policy knows no app above `teams`: a model says what it is with a
`policy_kind` class attribute ("project", "in_project", "report", "in_report";
anything else with a `.team` is judged by the team's scopes), and the policy
finds related models through `_meta`, never an import.

Answers: what the caller cannot see at all raises `NotVisible` (404, the same as
a missing object); what they can see but may not do raises `Denied` (403 with a
sentence naming the scope).
"""

from .access import SYSTEM, Denied, NotVisible, TeamAccess, denied_message, forget, is_system_admin, org_scopes, team_access
from .objects import ProjectAccess, ReportAccess, project_access, report_access
from .questions import can, can_see, require
from .grants import (
    access_list,
    access_list_add,
    access_list_remove,
    forget_grants_in_team,
    grant_owner,
    grant_project_creator,
)
from .querysets import permitted, teams_with, visible

__all__ = [
    "SYSTEM",
    "Denied",
    "NotVisible",
    "ProjectAccess",
    "ReportAccess",
    "TeamAccess",
    "access_list",
    "access_list_add",
    "access_list_remove",
    "can",
    "can_see",
    "denied_message",
    "forget",
    "forget_grants_in_team",
    "grant_owner",
    "grant_project_creator",
    "is_system_admin",
    "org_scopes",
    "permitted",
    "project_access",
    "report_access",
    "require",
    "team_access",
    "teams_with",
    "visible",
]
