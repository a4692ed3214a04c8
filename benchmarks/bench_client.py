"""run.log latency in the training thread: the server up, down and slow (100k calls each).

The client's promise is that run.log never waits for the network: it checks its
input and appends to memory (or, during a long outage, the background thread
moves history to disk). Measured against the client tests' fake server
(clients/python/tests/fakeserver.py) so the figures are the client's own:
"up" answers at once, "down" closes every connection without an answer (after
the run was created), "slow" answers every request after 0.5 s.
Run alone: `python -m benchmarks.bench_client`.
"""

from __future__ import annotations

import gc
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CALLS = int(os.environ.get("BENCH_CLIENT_CALLS", "100000"))


def _serve(conn):
    """The fake server in its own process, so its parsing does not share the script's GIL."""
    sys.path.insert(0, str(ROOT / "clients" / "python" / "tests"))
    from fakeserver import FakeServer

    class Slow(FakeServer):
        delay = 0.0

        def handle(self, request):
            if self.delay and request.route != "create":
                time.sleep(self.delay)
            return super().handle(request)

    server = Slow()
    conn.send(server.url)
    while True:
        command, value = conn.recv()
        if command == "offline":
            server.offline = value
        elif command == "delay":
            server.delay = value
        elif command == "arrived":
            conn.send(len(server.steps("loss")))
        else:
            server.close()
            return


def measure(kind: str, calls: int = CALLS) -> dict:
    import multiprocessing

    import teamsite_client as ts

    os.environ["TEAMSITE_DIR"] = tempfile.mkdtemp(prefix="teamsite-bench-client-")
    ours, theirs = multiprocessing.Pipe()
    process = multiprocessing.get_context("spawn").Process(target=_serve, args=(theirs,), daemon=True)
    process.start()
    url = ours.recv()
    try:
        run = ts.init(project="bench", team="vision", base_url=url, api_key="k", capture_console=False,
                      system_metrics_interval=None, capture=False, heartbeat_interval=1.0)
        if kind == "down":
            ours.send(("offline", True))
        elif kind == "slow":
            ours.send(("delay", 0.5))
        samples = []
        clock = time.perf_counter_ns
        gc.collect()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for step in range(calls):
                started = clock()
                run.log({"loss": 1.0 / (step + 1), "acc": step / calls})
                samples.append(clock() - started)
            ours.send(("offline", False))
            ours.send(("delay", 0.0))
            run.finish(timeout=60)
        ours.send(("arrived", None))
        arrived = ours.recv()
        samples.sort()
        return {
            "p50": samples[len(samples) // 2] / 1e6,
            "p99": samples[int(len(samples) * 0.99)] / 1e6,
            "max": samples[-1] / 1e6,
            "over_1ms": sum(1 for s in samples if s > 1_000_000),
            "arrived": arrived,
        }
    finally:
        ours.send(("close", None))
        process.join(10)


def run(median_ms):
    rows = []
    for kind in ("up", "down", "slow"):
        got = measure(kind)
        rows.append((
            f"run.log, server {kind} ({CALLS:,} calls)",
            f"p50 {got['p50'] * 1000:.1f} µs, p99 {got['p99'] * 1000:.1f} µs",
            f"max {got['max']:.2f} ms, {got['over_1ms']} calls over 1 ms; {got['arrived']:,}/{CALLS:,} steps arrived",
            "p99 < 1 ms",
        ))
    return rows


if __name__ == "__main__":
    for row in run(None):
        print(" | ".join(row))
