"""The `teamsite` command answers --help and --version."""

import subprocess
import sys

import pytest

import teamsite_client as ts
from teamsite_client import cli


def test_version(capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith(f"teamsite-client {ts.__version__} (Python 3.")


def test_help_without_arguments_and_with(capsys):
    assert cli.main([]) == 0
    assert "usage: teamsite" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert "TEAMSITE_API_KEY" in capsys.readouterr().out


def test_python_dash_m_is_the_same_command():
    answer = subprocess.run([sys.executable, "-m", "teamsite_client", "--version"], capture_output=True, text=True, timeout=30)
    assert answer.returncode == 0 and answer.stdout.startswith("teamsite-client ")
