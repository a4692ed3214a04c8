"""The client's sweep agents, offline mode, media and outages against the real server."""

import json
import os
import socket
import socketserver
import subprocess
import sys
import threading
import time

import pytest

import teamsite_client as ts
from experiments import services
from experiments.models import Run, RunMedia, Sweep

from .conftest import api_get, run_path, wait_for

pytestmark = pytest.mark.django_db(transaction=True)
GRID = {"method": "grid", "metric": {"name": "score", "goal": "maximize"}, "parameters": {"a": {"values": [1, 2, 3]}, "b": {"value": "fixed"}}}


def make_sweep(site, config=GRID):
    from experiments.services import project_create

    project = project_create(actor=site.admin, team=site.team, name="mnist")
    return services.sweep_create(actor=site.admin, project=project, config=config)


def test_ts_agent_runs_every_grid_point_and_reports_the_metric(site, monkeypatch):
    sweep = make_sweep(site)
    seen = []

    def train():
        run = ts.init(config={"a": 99, "epochs": 2}, capture_console=False, system_metrics_interval=None, capture=False)
        seen.append(dict(run.config))
        run.log({"score": run.config["a"] * 10})

    done = ts.agent(sweep=f"vision/mnist/{sweep.sweep_id}", function=train, base_url=site.url, api_key=site.key)
    assert done == 3
    assert sorted(c["a"] for c in seen) == [1, 2, 3] and all(c["b"] == "fixed" and c["epochs"] == 2 for c in seen)
    detail = api_get(site, f"/teams/vision/projects/mnist/sweeps/{sweep.sweep_id}")
    assert detail["best"]["value"] == 30 and {r["state"] for r in detail["runs"]} == {"finished"}


def test_the_agent_command_runs_a_script_per_run(site, tmp_path):
    sweep = make_sweep(site)
    script = tmp_path / "train.py"
    script.write_text(
        "import sys, teamsite_client as ts\n"
        "a = int([x for x in sys.argv if x.startswith('--a=')][0][4:])\n"
        "run = ts.init(capture_console=False, system_metrics_interval=None, capture=False)\n"
        "run.log({'score': a})\n"
        "run.finish()\n"
        "if a == 2: sys.exit(3)\n"
    )
    env = {**os.environ, "TEAMSITE_BASE_URL": site.url, "TEAMSITE_API_KEY": site.key, "XDG_CONFIG_HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "teamsite_client", "agent", f"vision/mnist/{sweep.sweep_id}", "--count", "5", "--",
                           sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("teamsite agent: run ") == 3 and "no more runs" in done.stdout
    runs = Run.objects.filter(sweep=sweep)
    assert sorted(r.summary.get("score") for r in runs) == [1, 2, 3], (done.stdout, done.stderr)


def test_offline_then_sync_gives_identical_data(site, monkeypatch, tmp_path):
    def log(run):
        for step in range(1500):
            run.log({"loss": 1 / (step + 1), "acc": step / 1500})
        run.log({"preds": ts.Table(columns=["i", "p"], data=[[1, 0.5]])}, step=1500)
        run.summary["best"] = 0.9
        run.finish()

    online = site.start(run_id="online1", config={"lr": 0.1})
    log(online)
    monkeypatch.setenv("TEAMSITE_MODE", "offline")
    offline = site.start(run_id="offline1", config={"lr": 0.1})
    log(offline)
    monkeypatch.delenv("TEAMSITE_MODE")
    from teamsite_client import cli

    assert cli.main(["sync", str(offline.folder), "--host", site.url, "--key", site.key]) == 0
    assert cli.main(["sync", str(offline.folder), "--host", site.url, "--key", site.key]) == 0
    a, b = (api_get(site, run_path(r)) for r in (online, offline))
    assert (a["config"], a["summary"], a["state"]) == (b["config"], b["summary"], b["state"])
    ha, hb = (api_get(site, run_path(r) + "/history?samples=0") for r in (online, offline))
    assert ha["series"]["loss"]["values"] == hb["series"]["loss"]["values"] and ha["total_points"] == hb["total_points"] == {"loss": 1500, "acc": 1500}
    assert RunMedia.objects.filter(run__run_id="offline1").count() == 1


def test_media_round_trip(site, tmp_path):
    pytest.importorskip("numpy")
    import numpy as np

    run = site.start()
    for step in range(3):
        run.log({"digits": ts.Image(np.full((8, 8), step * 100, dtype=np.uint8), caption=f"step {step}"),
                 "weights": ts.Histogram(np.random.default_rng(step).normal(size=500))}, step=step)
    run.finish()
    listed = api_get(site, run_path(run) + "/media?kind=image")["results"]
    assert [(m["step"], m["width"], m["caption"]) for m in listed] == [(0, 8, "step 0"), (1, 8, "step 1"), (2, 8, "step 2")]
    assert RunMedia.objects.filter(run__run_id=run.run_id, kind="histogram").count() == 3


class _Cut(socketserver.ThreadingTCPServer):
    """A TCP proxy in front of the live server that can be taken down and brought back."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, target):
        self.target, self.down = target, False
        super().__init__(("127.0.0.1", 0), _Pipe)


class _Pipe(socketserver.BaseRequestHandler):
    def handle(self):
        if self.server.down:
            self.request.close()
            return
        upstream = socket.create_connection(self.server.target)

        def pump(a, b):
            try:
                while data := a.recv(65536):
                    b.sendall(data)
            except OSError:
                pass
            finally:
                for s in (a, b):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

        other = threading.Thread(target=pump, args=(upstream, self.request), daemon=True)
        other.start()
        pump(self.request, upstream)
        other.join(5)


def test_server_down_and_back_mid_run_every_point_arrives(site, monkeypatch):
    from teamsite_client import limits

    monkeypatch.setattr(limits, "SPILL_POINTS", 2_000)
    monkeypatch.setattr(limits, "BACKOFF_CAP", 0.2)
    host, port = site.url.split("//")[1].split(":")
    proxy = _Cut((host, int(port)))
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        run = site.start(base_url=f"http://127.0.0.1:{proxy.server_address[1]}", heartbeat_interval=0.2)
        for step in range(3000):
            run.log({"loss": float(step)})
        proxy.down = True
        with pytest.warns(ts.TeamsiteWarning):
            for step in range(3000, 12000):
                run.log({"loss": float(step)})
                if step % 1000 == 0:
                    time.sleep(0.3)
        proxy.down = False
        run.finish(timeout=60)
    finally:
        proxy.shutdown()
        proxy.server_close()
    history = api_get(site, run_path(run) + "/history?samples=0&keys=loss")
    assert history["series"]["loss"]["steps"] == list(range(12000))
