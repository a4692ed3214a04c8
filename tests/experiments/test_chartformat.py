"""The charts' number formatter (static/js/chartformat.js), run with node.

A learning rate of 1e-4..1e-3 once showed every tick as "0": ticks and hover
values keep significant digits at every scale.
"""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NODE = shutil.which("node")


@pytest.fixture(scope="module")
def answers():
    if NODE is None:
        pytest.skip("node is not installed")
    script = ROOT / "tests" / "js" / "chartformat.test.js"
    output = subprocess.run([NODE, str(script), str(ROOT / "static" / "js" / "chartformat.js")], capture_output=True, text=True, check=True, timeout=30)
    return json.loads(output.stdout)


def test_values_keep_significant_digits_at_every_scale(answers):
    assert answers["values"] == [
        "1e-4", "3.5e-4", "0.001", "0.01235", "0.5", "1", "12.5", "999.9", "1234", "12.35k",
        "1.5M", "2.5G", "3T", "-4.2e-4", "0", "1.235e-9", "1e21", "1M", "NaN", "—",
    ]


def test_learning_rate_ticks_are_not_zero(answers):
    assert answers["ticks_lr"] == ["1e-4", "2e-4", "3e-4", "4e-4", "5e-4"]
    assert answers["ticks_tiny"] == ["1e-7", "2e-7", "3e-7"]


def test_neighbouring_ticks_differ(answers):
    assert answers["ticks_near_one"] == ["1.0001", "1.0002", "1.0003"]
    assert answers["ticks_loss"] == ["0", "0.5", "1", "1.5", "2"]
    assert answers["ticks_quarter"] == ["0", "0.25", "0.5", "0.75"]
    assert answers["ticks_neg"] == ["-0.002", "-0.001", "0", "0.001"]


def test_large_ticks_use_si_prefixes(answers):
    assert answers["ticks_big"] == ["0", "20k", "40k", "60k"]
    assert answers["ticks_millions"] == ["1M", "1.5M", "2M"]


def test_relative_time_reads_as_a_duration(answers):
    assert answers["durations"] == ["5s", "1m 15s", "1h 2m", "1d 1h"]
