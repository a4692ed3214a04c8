"""Apps depend only downward (STYLE.md, habit 11; issue 10).

core <- accounts <- teams (roles, policy) <- experiments <- reports, registry
<- profiles (the team profile, composed above them) <- transfer (export and
import of a whole team, composing every app's part) <- teamsite (settings,
URLs, the API, the demo). Every import in every module of an app is read with
ast, function-local imports included, and an edge that points up, or sideways
between two apps of the same layer, fails this test.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = {
    "core": 0,
    "accounts": 1,
    "teams": 2,
    "experiments": 3,
    "reports": 4,
    "registry": 4,
    "profiles": 5,
    "mlflow_compat": 5,
    "transfer": 6,
    "teamsite": 7,
}


def imported_apps(path: Path):
    """(line, app) for every import of one of our apps in the module, wherever it sits."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            if top in LAYERS:
                yield node.lineno, top


def modules():
    for app in LAYERS:
        folder = ROOT / app
        if folder.is_dir():
            yield from sorted(folder.rglob("*.py"))


def upward_edges():
    found = []
    for path in modules():
        app = path.relative_to(ROOT).parts[0]
        for line, other in imported_apps(path):
            if other != app and LAYERS[other] >= LAYERS[app]:
                found.append(f"{path.relative_to(ROOT)}:{line} imports {other} (layer {LAYERS[other]}) from {app} (layer {LAYERS[app]})")
    return found


def test_no_app_imports_an_app_above_it_or_beside_it():
    assert upward_edges() == []


def test_the_walk_sees_function_local_imports(tmp_path, monkeypatch):
    """The checker itself: an import hidden inside a function is still an edge."""
    module = tmp_path / "sample.py"
    module.write_text("def later():\n    from reports.models import Report\n    import experiments.selectors\n")
    assert list(imported_apps(module)) == [(2, "reports"), (3, "experiments")]


@pytest.mark.parametrize("app", [app for app in LAYERS if (ROOT / app).is_dir()])
def test_every_app_is_in_a_layer_and_has_modules(app):
    assert any((ROOT / app).rglob("*.py"))
