"""System metrics for the run's background thread, standard library first.

`SystemSampler().sample()` answers a flat dict of numbers, the keys the run page
charts: `cpu` (percent of all cores since the last sample), `memory` (percent of
RAM in use), `disk` (percent of the root file system in use), `net.sent` and
`net.recv` (bytes since the sampler started), `proc.memory.rss_mb` (this
process), and per GPU `gpu.N.util`, `gpu.N.memory` (percent of its memory in
use), `gpu.N.memory_used_mb`, `gpu.N.temp`.

psutil and pynvml are used when installed (`pip install "teamsite-client[system]"`
brings both; pynvml comes with nvidia-ml-py). Without psutil the sampler reads
/proc/stat, /proc/meminfo, /proc/net/dev, /proc/self/statm and os.statvfs
(Linux); without pynvml it asks `nvidia-smi` when that is on PATH. Whatever
cannot be measured is left out: a sample never raises.
"""

from __future__ import annotations

import os
import shutil
import subprocess

try:  # optional
    import psutil  # type: ignore
except Exception:  # pragma: no cover - depends on the machine
    psutil = None

try:  # optional
    import pynvml  # type: ignore
except Exception:  # pragma: no cover - depends on the machine
    pynvml = None

NVIDIA_SMI_QUERY = [
    "--query-gpu=utilization.gpu,memory.used,memory.total,temperature.gpu",
    "--format=csv,noheader,nounits",
]


def _read(path):
    with open(path, encoding="ascii", errors="replace") as handle:
        return handle.read()


def _proc_cpu_times():
    """(idle, total) jiffies over all cores from /proc/stat."""
    fields = _read("/proc/stat").splitlines()[0].split()[1:]
    numbers = [int(value) for value in fields[:8]]  # user nice system idle iowait irq softirq steal
    idle = numbers[3] + (numbers[4] if len(numbers) > 4 else 0)
    return idle, sum(numbers)


def _proc_memory_percent():
    info = {}
    for line in _read("/proc/meminfo").splitlines():
        name, _, rest = line.partition(":")
        parts = rest.split()
        if parts:
            info[name] = int(parts[0])
    total = info["MemTotal"]
    available = info.get("MemAvailable", info.get("MemFree", 0) + info.get("Buffers", 0) + info.get("Cached", 0))
    return 100.0 * (total - available) / total


def _proc_net_bytes():
    sent = recv = 0
    for line in _read("/proc/net/dev").splitlines()[2:]:
        name, _, rest = line.partition(":")
        if name.strip() == "lo":
            continue
        parts = rest.split()
        if len(parts) >= 9:
            recv += int(parts[0])
            sent += int(parts[8])
    return sent, recv


def _proc_rss_mb():
    pages = int(_read("/proc/self/statm").split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _number(text):
    try:
        return float(text)
    except ValueError:  # "[N/A]" on some boards
        return None


def _disk_percent(path="/"):
    stat = os.statvfs(path)
    used = (stat.f_blocks - stat.f_bfree) * stat.f_frsize
    available = stat.f_bavail * stat.f_frsize
    return 100.0 * used / (used + available) if used + available else 0.0


class SystemSampler:
    """Call `sample()` every few seconds; the first call primes the CPU counters."""

    def __init__(self, disk_path: str = "/"):
        self.disk_path = disk_path
        self._cpu_last = None
        self._net_start = None
        self._gpu_mode = None  # "nvml", "smi" or "" once decided
        self._process = None
        self._prime()

    # --- CPU, memory, disk, network ------------------------------------------------

    def _prime(self):
        try:
            if psutil is not None:
                psutil.cpu_percent(interval=None)
                self._process = psutil.Process()
            else:
                self._cpu_last = _proc_cpu_times()
        except Exception:
            pass
        try:
            self._net_start = self._net_bytes()
        except Exception:
            self._net_start = None

    def _net_bytes(self):
        if psutil is not None:
            counters = psutil.net_io_counters()
            return counters.bytes_sent, counters.bytes_recv
        return _proc_net_bytes()

    def _cpu(self):
        if psutil is not None:
            return float(psutil.cpu_percent(interval=None))
        now = _proc_cpu_times()
        last, self._cpu_last = self._cpu_last, now
        if last is None or now[1] <= last[1]:
            return None
        return max(0.0, min(100.0, 100.0 * (1 - (now[0] - last[0]) / (now[1] - last[1]))))

    def _host(self, values):
        readers = {
            "cpu": self._cpu,
            "memory": (lambda: psutil.virtual_memory().percent) if psutil is not None else _proc_memory_percent,
            "disk": (lambda: psutil.disk_usage(self.disk_path).percent) if psutil is not None else (lambda: _disk_percent(self.disk_path)),
            "proc.memory.rss_mb": (lambda: self._process.memory_info().rss / 2**20) if self._process is not None else _proc_rss_mb,
        }
        for key, reader in readers.items():
            try:
                value = reader()
            except Exception:
                continue
            if value is not None:
                values[key] = round(float(value), 3)
        try:
            sent, recv = self._net_bytes()
            if self._net_start is None:
                self._net_start = (sent, recv)
            values["net.sent"] = sent - self._net_start[0]
            values["net.recv"] = recv - self._net_start[1]
        except Exception:
            pass

    # --- GPUs ----------------------------------------------------------------------

    def _gpus(self, values):
        if self._gpu_mode is None:
            self._gpu_mode = ""
            if pynvml is not None:
                try:
                    pynvml.nvmlInit()
                    self._gpu_mode = "nvml"
                except Exception:
                    pass
            if not self._gpu_mode and shutil.which("nvidia-smi"):
                self._gpu_mode = "smi"
        try:
            if self._gpu_mode == "nvml":
                self._nvml(values)
            elif self._gpu_mode == "smi":
                self._smi(values)
        except Exception:
            self._gpu_mode = ""  # a broken driver is not asked again every sample

    def _nvml(self, values):
        for n in range(pynvml.nvmlDeviceGetCount()):
            handle = pynvml.nvmlDeviceGetHandleByIndex(n)
            util = pynvml.nvmlDeviceGetUtilizationRates(handle)
            memory = pynvml.nvmlDeviceGetMemoryInfo(handle)
            values[f"gpu.{n}.util"] = float(util.gpu)
            values[f"gpu.{n}.memory"] = round(100.0 * memory.used / memory.total, 3) if memory.total else 0.0
            values[f"gpu.{n}.memory_used_mb"] = round(memory.used / 2**20, 3)
            try:
                values[f"gpu.{n}.temp"] = float(pynvml.nvmlDeviceGetTemperature(handle, pynvml.NVML_TEMPERATURE_GPU))
            except Exception:
                pass

    def _smi(self, values):
        output = subprocess.run(
            ["nvidia-smi", *NVIDIA_SMI_QUERY], capture_output=True, text=True, timeout=5, check=True
        ).stdout
        for n, line in enumerate(line for line in output.splitlines() if line.strip()):
            parts = [part.strip() for part in line.split(",")]
            util, used, total, temp = (_number(part) for part in (parts + [""] * 4)[:4])
            if util is not None:
                values[f"gpu.{n}.util"] = util
            if used is not None:
                values[f"gpu.{n}.memory_used_mb"] = used
                if total:
                    values[f"gpu.{n}.memory"] = round(100.0 * used / total, 3)
            if temp is not None:
                values[f"gpu.{n}.temp"] = temp

    def sample(self) -> dict[str, float]:
        """The metrics measurable now; never raises."""
        values: dict[str, float] = {}
        try:
            self._host(values)
            self._gpus(values)
        except Exception:
            pass
        return values
