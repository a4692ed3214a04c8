"""Artifacts: upload and download of one large file through the Python client against gunicorn
on loopback, next to a plain local copy of the same bytes; the server's peak memory while
streaming; a second upload of the same content.

BENCH_ARTIFACT_MB sets the size (default 1024, i.e. 1 GiB; e.g. 64 for a quick look).
"""

import os
import shutil
import tempfile
import time
from pathlib import Path

from benchmarks.bench_experiments import _free_port, _server

MB = 1024 * 1024


def _kb(pid, field):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _worker(master):
    """The gunicorn worker's pid (the master forks it)."""
    for _ in range(50):
        try:
            children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        except OSError:
            children = []
        if children:
            return int(children[0])
        time.sleep(0.1)
    return master


def _write(path, size):
    block = os.urandom(MB)
    with open(path, "wb") as out:
        for n in range(size // MB):
            out.write(block[n % 251:] + block[: n % 251])  # every MB differs: no accidental dedup


def run(median_ms):
    from accounts.services import api_key_create, user_create
    from experiments import services
    from teams import services as team_services
    from teams.policy import SYSTEM
    from teamsite_client import artifacts
    from teamsite_client.cache import Cache
    from teamsite_client.transport import Transport

    size = int(os.environ.get("BENCH_ARTIFACT_MB", "1024")) * MB
    work = Path(tempfile.mkdtemp(prefix="teamsite-bench-artifacts-"))
    owner = user_create(username="bench-artifacts", email="artifacts@example.com", password="a-long-bench-secret-1")
    org = team_services.organization_create(actor=SYSTEM, slug="bench-art-org", name="Bench", admin=owner)
    team = team_services.team_create(actor=SYSTEM, organization=org, slug="bench-art", name="Bench", admin=owner)
    services.project_create(actor=owner, team=team, name="weights")
    key = api_key_create(actor=owner, name="bench").key
    source = work / "model.bin"
    _write(source, size)

    start = time.perf_counter()
    shutil.copyfile(source, work / "copy.bin")
    copy_rate = size / MB / (time.perf_counter() - start)
    os.unlink(work / "copy.bin")

    os.environ["UPLOAD_MAX_FILE_SIZE"] = str(max(size * 2, 5 * 1024**3))
    port = _free_port()
    server = _server(port)
    rows = []
    try:
        worker = _worker(server.pid)
        transport = Transport(f"http://127.0.0.1:{port}", key)
        transport.request("GET", "/viewer")  # the worker imports and connects before the clock starts
        idle = _kb(worker, "VmRSS")
        cache = Cache(work / "cache")
        art = artifacts.Artifact("model", type="model")
        art.add_file(source)
        start = time.perf_counter()
        first = artifacts.log_artifact(transport, "bench-art", "weights", art, progress=False, cache=cache)
        upload_s = time.perf_counter() - start
        assert first["created"], first

        sent = []
        real = transport.request
        transport.request = lambda method, path, body=None, **kw: (sent.append(method) if method == "PUT" else None) or real(method, path, body, **kw)
        again = artifacts.Artifact("model", type="model")
        again.add_file(source)
        start = time.perf_counter()
        second = artifacts.log_artifact(transport, "bench-art", "weights", again, progress=False, cache=cache)
        second_s = time.perf_counter() - start
        transport.request = real
        assert not second["created"] and not sent

        info = transport.request("GET", "/teams/bench-art/projects/weights/artifacts/model/versions/v0")
        info["project"] = "weights"
        used = artifacts.UsedArtifact(transport, "bench-art", info)
        start = time.perf_counter()
        used.download(root=work / "out", progress=False, cache=Cache(work / "download-cache"))
        download_s = time.perf_counter() - start
        peak = _kb(worker, "VmHWM")
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(work, ignore_errors=True)
    label = f"{size // MB:,} MB"
    upload_rate, download_rate = size / MB / upload_s, size / MB / download_s
    rows.append((f"artifact upload, {label}, client on loopback", f"{upload_rate:,.0f} MB/s", f"{100 * upload_rate / copy_rate:.0f}% of a local copy ({copy_rate:,.0f} MB/s); hashing included", ">= 30% of copy"))
    rows.append((f"artifact download, {label} (sha256 checked)", f"{download_rate:,.0f} MB/s", f"{100 * download_rate / copy_rate:.0f}% of a local copy", ">= 30% of copy"))
    rows.append(("server peak memory while streaming", f"{(peak - idle) / 1024:,.0f} MB above idle" if peak and idle else "n/a", f"idle {idle / 1024 if idle else 0:,.0f} MB, peak {peak / 1024 if peak else 0:,.0f} MB", "< 100 MB above idle"))
    rows.append(("second upload of the same content", f"{second_s * 1000:,.0f} ms", "nothing sent (created: false)", "< 1 s"))
    return rows
