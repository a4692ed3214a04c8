"""The one role table: every scope of spec/permissions.md, and who holds it.

Declared once, in order of power (Sentry's SENTRY_ROLES): the team roles, the
organization roles, the system scopes, and the audiences of public and open
projects. Custom roles are a base role from this table plus extra scopes,
stored in the database. Nothing outside this module compares a role's name:
code asks for a scope, or for a trait of the role declared here.
"""

from dataclasses import dataclass

SCOPES = {
    "team:view": "See the team's non-public content",
    "team:invite": "Invite people by email and add organization members",
    "team:remove_member": "Remove members (what they made stays)",
    "team:manage": "Team settings, links, intro, privacy, storage, service accounts, role changes",
    "project:create": "Create projects, also by logging the first run to a new name",
    "project:manage": "Change a project's visibility, name, description and access list",
    "project:delete": "Delete a project with every run in it",
    "run:view": "See runs: metadata, metrics, system metrics, files, logs",
    "run:edit_workspace": "Edit project workspace panels and saved views",
    "run:log": "Create runs and log history, files, logs, config and summary",
    "run:delete_own": "Delete runs one created",
    "run:delete_any": "Delete any run",
    "run:stop_own": "Stop runs one created",
    "run:stop_any": "Stop any run",
    "report:view": "Read reports",
    "report:follow": "Follow and star reports",
    "report:comment": "Comment on reports",
    "report:create": "Write reports",
    "report:edit_own": "Edit reports one wrote",
    "report:edit_any": "Edit any report",
    "report:delete_own": "Delete reports one wrote",
    "report:delete_any": "Delete any report",
    "artifact:view": "See artifacts",
    "artifact:create": "Log artifact versions",
    "artifact:delete": "Delete any artifact version",
    "artifact:edit_metadata": "Edit artifact descriptions and metadata",
    "artifact:edit_aliases": "Add or move artifact aliases",
    "artifact:delete_aliases": "Remove artifact aliases",
    "artifact:download": "Download artifact files",
    "registry:view": "See the model registry",
    "registry:download": "Download registered models",
    "registry:add_model": "Create registered models and link versions",
    "registry:add_alias": "Set unprotected registry aliases",
    "registry:manage_admins": "Add and remove registry admins",
    "registry:manage_protected_aliases": "Set, move and remove protected aliases",
    "sweep:create": "Create sweeps in projects one may log to; their agents create the sweep's runs",
    "sweep:control_own": "Pause, resume, finish or cancel sweeps one created",
    "sweep:control_any": "Pause, resume, finish or cancel any sweep",
    "sweep:delete": "Delete sweeps (their runs stay)",
}

REGISTRY_SCOPES = frozenset(scope for scope in SCOPES if scope.startswith("registry:"))

VIEWER_SCOPES = frozenset(
    {
        "team:view",
        "run:view",
        "report:view",
        "report:follow",
        "report:comment",
        "artifact:view",
        "registry:view",
        "registry:download",
    }
)
MEMBER_SCOPES = VIEWER_SCOPES | {
    "project:create",
    "run:edit_workspace",
    "run:log",
    "run:delete_own",
    "run:stop_own",
    "report:create",
    "report:edit_own",
    "report:delete_own",
    "artifact:create",
    "artifact:delete",
    "artifact:edit_metadata",
    "artifact:edit_aliases",
    "artifact:delete_aliases",
    "artifact:download",
    "registry:add_model",
    "registry:add_alias",
    "sweep:create",
    "sweep:control_own",
}
ADMIN_SCOPES = MEMBER_SCOPES | {
    "team:invite",
    "team:remove_member",
    "team:manage",
    "project:manage",
    "project:delete",
    "run:delete_any",
    "run:stop_any",
    "report:edit_any",
    "report:delete_any",
    "registry:manage_admins",
    "sweep:control_any",
    "sweep:delete",
}
SERVICE_SCOPES = frozenset(
    {
        "team:view",
        "project:create",
        "run:view",
        "run:log",
        "run:delete_own",
        "run:stop_own",
        "report:view",
        "artifact:view",
        "artifact:create",
        "artifact:delete",
        "artifact:edit_metadata",
        "artifact:edit_aliases",
        "artifact:delete_aliases",
        "artifact:download",
        "registry:view",
        "registry:download",
        "registry:add_model",
        "registry:add_alias",
        "sweep:create",
        "sweep:control_own",
    }
)


@dataclass(frozen=True)
class Role:
    key: str
    name: str
    description: str
    scopes: frozenset
    assignable: bool = True  # service is given by creating a service account, never chosen
    # A team admin: sees every restricted project and every draft, and counts for
    # "the last admin of a team cannot be removed or demoted".
    admin: bool = False
    # May be a registry admin (the flag on a membership); view-only members may not.
    may_be_registry_admin: bool = True


VIEWER, MEMBER, ADMIN, SERVICE = "viewer", "member", "admin", "service"

ROLES = (
    Role(VIEWER, "View-only", "Looks, follows and comments; never changes anything.", frozenset(VIEWER_SCOPES), may_be_registry_admin=False),
    Role(MEMBER, "Member", "Logs runs, writes reports, edits and deletes what they made.", frozenset(MEMBER_SCOPES)),
    Role(ADMIN, "Admin", "Manages the team, its members and everything in it.", frozenset(ADMIN_SCOPES), admin=True),
    Role(SERVICE, "Service", "A bot account used only through API keys.", SERVICE_SCOPES, assignable=False),
)
ROLES_BY_KEY = {role.key: role for role in ROLES}
ASSIGNABLE = tuple(role.key for role in ROLES if role.assignable)  # in the order pages offer them
ADMIN_ROLES = frozenset(role.key for role in ROLES if role.admin)
CUSTOM_ROLE_BASES = (VIEWER, MEMBER)
DEFAULT_INVITE_ROLE = MEMBER


def role(key: str) -> Role:
    return ROLES_BY_KEY[key]


def roles_with(scope: str) -> list[str]:
    """The built-in roles that hold `scope`."""
    return [r.key for r in ROLES if scope in r.scopes]


def unknown_scopes(scopes) -> list[str]:
    return sorted(set(scopes) - set(SCOPES))


# --- Organizations ---------------------------------------------------------------

ORG_SCOPES = {
    "org:view": "See the organization and its custom roles",
    "org:create_team": "Create teams in the organization",
    "org:manage_roles": "Create and delete custom roles",
    "org:manage_members": "Make people organization admins or members",
}
ORG_ADMIN, ORG_MEMBER = "admin", "member"
ORG_ROLES = {
    ORG_ADMIN: frozenset(ORG_SCOPES),
    ORG_MEMBER: frozenset({"org:view"}),
}

# --- The site ------------------------------------------------------------------------

SYSTEM_SCOPES = {
    "system:manage": "Change the system settings",
    "system:create_organization": "Create organizations",
    "system:create_user": "Create accounts for other people",
    "system:delete_team": "Delete teams",
}

ALL_SCOPES = frozenset(SCOPES) | frozenset(ORG_SCOPES) | frozenset(SYSTEM_SCOPES)

# --- Audiences of public and open projects (spec/permissions.md, "Project visibility") -------

# What anyone who can see a public or open project may do there: the viewer's
# scopes that make sense outside the team (on a report, following and
# commenting also need an account).
VISITOR_SCOPES = frozenset({"run:view", "report:view", "report:follow", "report:comment", "artifact:view"})
# Open projects also take runs (and reports) from any signed-in user, and runs
# from any service account of another team.
OPEN_PROJECT_SCOPES = frozenset({"run:log", "run:delete_own", "run:stop_own", "report:create"})
OPEN_PROJECT_SERVICE_SCOPES = frozenset({"run:log", "run:delete_own", "run:stop_own"})
REPORT_VISITOR_SCOPES = frozenset({"report:view", "report:follow", "report:comment"})

assert all(scope in SCOPES for r in ROLES for scope in r.scopes)
assert VISITOR_SCOPES <= VIEWER_SCOPES | {"artifact:view"} and OPEN_PROJECT_SCOPES <= MEMBER_SCOPES


# What a refusal says a person could not do, in plain words ("Only team admins can <this>.").
REFUSED_ACTIONS = {
    "team:view": "see this team's private pages",
    "team:invite": "invite people to the team",
    "team:remove_member": "remove members from the team",
    "team:manage": "change the team's settings, roles and service accounts",
    "project:create": "create projects",
    "project:manage": "change a project's settings, visibility or access list",
    "project:delete": "delete projects",
    "run:view": "see these runs",
    "run:edit_workspace": "change the team's saved views, notes, tags and alert rules",
    "run:log": "log runs to this project",
    "run:delete_own": "delete runs",
    "run:delete_any": "delete other people's runs",
    "run:stop_own": "stop runs",
    "run:stop_any": "stop other people's runs",
    "report:view": "read these reports",
    "report:follow": "follow or star reports",
    "report:comment": "comment on reports",
    "report:create": "write reports",
    "report:edit_own": "edit reports",
    "report:edit_any": "edit other people's reports",
    "report:delete_own": "delete reports",
    "report:delete_any": "delete other people's reports",
    "artifact:view": "see artifacts",
    "artifact:create": "log artifact versions",
    "artifact:delete": "delete artifact versions",
    "artifact:edit_metadata": "edit artifact descriptions and metadata",
    "artifact:edit_aliases": "add or move artifact aliases",
    "artifact:delete_aliases": "remove artifact aliases",
    "artifact:download": "download artifact files",
    "registry:view": "see the model registry",
    "registry:download": "download registered models",
    "registry:add_model": "register models",
    "registry:add_alias": "set registry aliases",
    "registry:manage_admins": "choose the registry admins",
    "registry:manage_protected_aliases": "change protected registry aliases",
    "sweep:create": "create sweeps",
    "sweep:control_own": "pause or stop sweeps",
    "sweep:control_any": "pause or stop other people's sweeps",
    "sweep:delete": "delete sweeps",
}


def holders_of(scope: str) -> str:
    """Who holds a team scope, in words: "team admins", "members and admins", "everyone on the team"."""
    if scope in VIEWER_SCOPES:
        return "people on the team"
    if scope in MEMBER_SCOPES:
        return "team members and admins"
    if scope == "registry:manage_protected_aliases":
        return "registry admins"
    return "team admins"
