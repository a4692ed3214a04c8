"""The one role table: every scope of spec/permissions.md, and the built-in roles.

Declared once, in order of power (Sentry's SENTRY_ROLES). Custom roles are a
base role from this table plus extra scopes, stored in the database.
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


ROLES = (
    Role("viewer", "View-only", "Looks, follows and comments; never changes anything.", frozenset(VIEWER_SCOPES)),
    Role("member", "Member", "Logs runs, writes reports, edits and deletes what they made.", frozenset(MEMBER_SCOPES)),
    Role("admin", "Admin", "Manages the team, its members and everything in it.", frozenset(ADMIN_SCOPES)),
    Role("service", "Service", "A bot account used only through API keys.", SERVICE_SCOPES, assignable=False),
)
ROLES_BY_KEY = {role.key: role for role in ROLES}
CUSTOM_ROLE_BASES = ("viewer", "member")

assert all(scope in SCOPES for role in ROLES for scope in role.scopes)


def role(key: str) -> Role:
    return ROLES_BY_KEY[key]


def unknown_scopes(scopes) -> list[str]:
    return sorted(set(scopes) - set(SCOPES))
