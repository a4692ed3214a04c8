"""The Python client is its own distribution (clients/python, teamsite-client):
standard library only, so a training machine that installs it gets no Django."""

import ast
import fnmatch
import importlib.util
import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "clients" / "python"
PACKAGE = CLIENT / "teamsite_client"
OPTIONAL = {"sysmetrics.py": {"psutil", "pynvml"}, "artifacts.py": {"tqdm"}, "media.py": {"PIL", "numpy"}}  # the [system] and [media] extras and tqdm, imported inside try


def _project(path):
    return tomllib.loads(path.read_text())


def _imports(tree):
    """(top-level module name, inside a try block) for every absolute import, function-local ones too."""
    guarded = {id(node) for block in ast.walk(tree) if isinstance(block, ast.Try) for stmt in block.body for node in ast.walk(stmt)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0], id(node) in guarded
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            yield node.module.split(".")[0], id(node) in guarded


def test_the_client_declares_no_runtime_dependencies():
    project = _project(CLIENT / "pyproject.toml")["project"]
    assert project["name"] == "teamsite-client"
    assert project.get("dependencies", []) == []
    assert sorted(r.split(">")[0].split("=")[0] for r in project["optional-dependencies"]["system"]) == ["nvidia-ml-py", "psutil"]


def test_every_client_module_imports_only_the_standard_library():
    modules = sorted(PACKAGE.rglob("*.py"))
    assert len(modules) >= 8
    outside = []
    for path in modules:
        for name, in_try in _imports(ast.parse(path.read_text(), filename=str(path))):
            if name in sys.stdlib_module_names or name == "teamsite_client":
                continue
            if in_try and name in OPTIONAL.get(path.name, set()):
                continue
            outside.append(f"{path.relative_to(CLIENT)}: {name}")
    assert outside == []


def test_no_client_module_is_over_400_lines():
    long = {path.name: n for path in PACKAGE.rglob("*.py") if (n := len(path.read_text().splitlines())) > 400}
    assert long == {}


def test_the_server_package_holds_no_client_and_its_distribution_leaves_clients_out():
    assert importlib.util.find_spec("teamsite.client") is None
    assert importlib.util.find_spec("teamsite._sysmetrics") is None
    found = _project(ROOT / "pyproject.toml")["tool"]["setuptools"]["packages"]["find"]

    def packaged(name):
        return any(fnmatch.fnmatchcase(name, p) for p in found["include"]) and not any(
            fnmatch.fnmatchcase(name, p) for p in found.get("exclude", [])
        )

    for name in ["clients", "clients.python", "clients.python.teamsite_client", "teamsite_client"]:
        assert not packaged(name), name
    for name in ["teamsite", "teamsite.management.commands", "accounts", "teams", "experiments", "reports"]:
        assert packaged(name), name


def test_pip_install_into_a_fresh_venv_brings_no_django(tmp_path):
    """One venv and one `pip install ./clients/python` (about 13 s here, with the index)."""
    source = tmp_path / "teamsite-client"  # a copy: pip builds in the source tree (build/, egg-info)
    shutil.copytree(CLIENT, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", "tests"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(source)],
        capture_output=True, text=True, timeout=300,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    check = """
import importlib.metadata, importlib.util, json
import teamsite_client as ts
print(json.dumps({
    "version": ts.__version__,
    "api": all(hasattr(ts, name) for name in ["init", "Run", "RunStopped", "TeamsiteError", "TeamsiteWarning"]),
    "django": importlib.util.find_spec("django") is not None,
    "teamsite": importlib.util.find_spec("teamsite") is not None,
    "requires": importlib.metadata.requires("teamsite-client") or [],
    "installed": sorted(d.metadata["Name"].lower() for d in importlib.metadata.distributions()),
}))
"""
    answer = subprocess.run([str(python), "-c", check], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert answer.returncode == 0, answer.stderr
    facts = json.loads(answer.stdout)
    assert facts["api"] and facts["version"]
    assert facts["django"] is False and facts["teamsite"] is False
    assert all("extra ==" in requirement for requirement in facts["requires"]), facts["requires"]
    assert set(facts["installed"]) - {"pip", "setuptools"} == {"teamsite-client"}
    version = subprocess.run([str(venv / "bin" / "teamsite"), "--version"], capture_output=True, text=True, timeout=30)
    assert version.stdout.startswith(f"teamsite-client {facts['version']} ")
