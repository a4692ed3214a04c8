"""System metrics without psutil or pynvml, and a sampler that never raises."""

import subprocess
import sys
import time
from types import SimpleNamespace

import pytest

from teamsite_client import sysmetrics


@pytest.fixture
def bare(monkeypatch):
    """A machine without psutil, pynvml or nvidia-smi."""
    monkeypatch.setattr(sysmetrics, "psutil", None)
    monkeypatch.setattr(sysmetrics, "pynvml", None)
    monkeypatch.setattr(sysmetrics.shutil, "which", lambda name: None)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the fallbacks read /proc")
def test_the_standard_library_fallbacks_measure_the_host(bare):
    sampler = sysmetrics.SystemSampler()
    busy_until = time.monotonic() + 0.1  # some CPU time between the samples: /proc/stat counts in 10 ms ticks
    while time.monotonic() < busy_until:
        pass
    values = sampler.sample()
    assert {"cpu", "memory", "disk", "net.sent", "net.recv", "proc.memory.rss_mb"} <= set(values)
    assert 0 <= values["cpu"] <= 100 and 0 < values["memory"] <= 100 and 0 <= values["disk"] <= 100
    assert values["proc.memory.rss_mb"] > 1
    assert not any(key.startswith("gpu.") for key in values)


def test_gpus_are_read_from_nvidia_smi_when_pynvml_is_missing(bare, monkeypatch):
    monkeypatch.setattr(sysmetrics.shutil, "which", lambda name: "/usr/bin/nvidia-smi")
    output = "35, 1024, 4096, 60\n[N/A], 0, 0, [N/A]\n"
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: SimpleNamespace(stdout=output))
    values = sysmetrics.SystemSampler().sample()
    assert (values["gpu.0.util"], values["gpu.0.memory"], values["gpu.0.memory_used_mb"], values["gpu.0.temp"]) == (35.0, 25.0, 1024.0, 60.0)
    assert values["gpu.1.memory_used_mb"] == 0.0
    assert not {"gpu.1.util", "gpu.1.memory", "gpu.1.temp"} & set(values)


def test_a_broken_gpu_driver_is_asked_once_and_never_raises(bare, monkeypatch):
    calls = []

    class BrokenNvml:
        def nvmlInit(self):
            pass

        def nvmlDeviceGetCount(self):
            calls.append(1)
            raise OSError("driver/library version mismatch")

    monkeypatch.setattr(sysmetrics, "pynvml", BrokenNvml())
    sampler = sysmetrics.SystemSampler()
    sampler.sample()
    values = sampler.sample()
    assert calls == [1]
    assert not any(key.startswith("gpu.") for key in values)
