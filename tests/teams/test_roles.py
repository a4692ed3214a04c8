"""The role table against spec/permissions.md, cell by cell.

The spec's table is copied below verbatim; when the shared spec is beside the
checkout it is also compared with that file, so a change there shows up here.
"""

from pathlib import Path

import pytest

from teams import roles

SPEC_TABLE = """
| scope | viewer | member | admin | service | note |
|---|---|---|---|---|---|
| team:view | X | X | X | X | see the team's non-public content |
| team:invite | | | X | | invite by email / add members |
| team:remove_member | | | X | | runs, reports and artifacts the person made stay |
| team:manage | | | X | | team settings, links, intro, privacy page, storage connector, service accounts, role changes, webhooks, the audit log, export of all team data |
| project:create | | X | X | X | also by logging the first run to a new project name |
| project:manage | | | X | | visibility, rename, description, restricted-project access list; the project's creator holds it on that one project too |
| project:delete | | | X | | deletes the project with every run in it, after a typed confirmation |
| run:view | X | X | X | X | metadata, history metrics, system metrics, files, logs |
| run:edit_workspace | | X | X | | the project's shared workspace panels and saved views, alert rules |
| run:log | | X | X | X | create runs, log history, files, logs, config, summary |
| run:delete_own | | X | X | X | only runs whose creator is the caller |
| run:delete_any | | | X | | |
| run:stop_own | | X | X | X | |
| run:stop_any | | | X | | |
| report:view | X | X | X | X | |
| report:follow | X | X | X | | |
| report:comment | X | X | X | | |
| report:create | | X | X | | |
| report:edit_own | | X | X | | only reports whose author is the caller |
| report:edit_any | | | X | | |
| report:delete_own | | X | X | | |
| report:delete_any | | | X | | |
| artifact:view | X | X | X | X | |
| artifact:create | | X | X | X | |
| artifact:delete | | X | X | X | any version, not only own |
| artifact:edit_metadata | | X | X | X | description, metadata |
| artifact:edit_aliases | | X | X | X | add or move an alias |
| artifact:delete_aliases | | X | X | X | |
| artifact:download | | X | X | X | viewers may NOT download artifacts |
| registry:view | X | X | X | X | |
| registry:download | X | X | X | X | viewers MAY download registered models |
| registry:add_model | | X | X | X | create a registered model, link an artifact version |
| registry:add_alias | | X | X | X | unprotected aliases only |
| registry:manage_admins | | | X | | plus every registry admin |
| sweep:create | | X | X | X | create a sweep in a project the caller may log to; its agents create the sweep's runs |
| sweep:control_own | | X | X | X | pause, resume, finish or cancel a sweep the caller created |
| sweep:control_any | | | X | | |
| sweep:delete | | | X | | delete a sweep; its runs stay, no longer tied to it. A sweep's runs are runs: run:delete_own / run:delete_any |
| registry:manage_protected_aliases | | | | | registry admins ONLY (a team admin must also be a registry admin); without it nobody may move, remove or unlink a version holding a protected alias, nor delete a registered model that has one |
"""

SPEC_FILE = Path(__file__).resolve().parents[3] / "shared" / "spec" / "permissions.md"
BUILT_IN = ["viewer", "member", "admin", "service"]


def parse(table):
    rows = {}
    for line in table.strip().splitlines()[2:]:
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        scope, marks = cells[0], cells[1:5]
        rows[scope] = {role for role, mark in zip(BUILT_IN, marks) if mark == "X"}
    return rows


EXPECTED = parse(SPEC_TABLE)
CELLS = [(scope, role) for scope in EXPECTED for role in BUILT_IN]


def test_the_copy_matches_the_shared_spec():
    if not SPEC_FILE.exists():
        pytest.skip("shared/spec is not beside this checkout")
    text = SPEC_FILE.read_text()
    start = text.index("| scope | viewer")
    assert parse(text[start : text.index("\n\n", start)]) == EXPECTED


def test_every_scope_is_declared():
    assert set(EXPECTED) == set(roles.SCOPES)


@pytest.mark.parametrize("scope, role", CELLS, ids=[f"{s}-{r}" for s, r in CELLS])
def test_cell(scope, role):
    assert (scope in roles.role(role).scopes) == (role in EXPECTED[scope])


def test_registry_admin_flag_adds_every_registry_scope():
    assert roles.REGISTRY_SCOPES == {scope for scope in EXPECTED if scope.startswith("registry:")}


def test_nobody_holds_protected_aliases_by_role():
    assert not any("registry:manage_protected_aliases" in role.scopes for role in roles.ROLES)
