"""Login, modes, the disk while the server is away, media, capture: against the fake server, no Django."""

import json
import os
import stat
import subprocess
import sys
import time

import pytest
from fakeserver import wait_for

import teamsite_client as ts
from teamsite_client import cli, credentials, limits
from teamsite_client.capture import collect, switches


def test_login_writes_a_file_only_its_owner_reads_and_init_uses_it(server, tmp_path, monkeypatch):
    assert cli.main(["login", "--host", server.url, "--key", "ts_secret"]) == 0
    path = credentials.path()
    assert path == tmp_path / "config" / "teamsite" / "credentials"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == {"base_url": server.url, "api_key": "ts_secret"}
    run = ts.init(project="mnist", team="vision", capture_console=False, system_metrics_interval=None, capture=False)
    run.finish()
    assert server.sent("create")[0].headers["Authorization"] == "Bearer ts_secret"
    monkeypatch.setenv("TEAMSITE_BASE_URL", "http://elsewhere.invalid")
    assert credentials.resolve() == ("http://elsewhere.invalid", None)  # a saved key never goes to another host


def test_login_refused_saves_nothing(server):
    server.answer("viewer", 401, {"error": {"code": "unauthenticated", "message": "That API key is not valid."}})
    assert cli.main(["login", "--host", server.url, "--key", "bad"]) == 1
    assert not credentials.path().exists()


def test_the_cli_through_a_subprocess(server, tmp_path):
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "sub")}
    done = subprocess.run([sys.executable, "-m", "teamsite_client", "login", "--host", server.url, "--key", "k1"], env=env,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0 and "Signed in" in done.stdout and "as ada" in done.stdout
    helped = subprocess.run([sys.executable, "-m", "teamsite_client", "--help"], capture_output=True, text=True, timeout=30)
    assert all(word in helped.stdout for word in ("login", "sync", "agent"))


def test_disabled_mode_does_nothing(server, monkeypatch):
    monkeypatch.setenv("TEAMSITE_MODE", "disabled")
    run = ts.init(project="mnist", config={"lr": 1})
    run.log({"loss": 1.0})
    run.log({"img": ts.Table(columns=["a"], data=[[1]])})
    run.summary["x"] = 1
    run.finish()
    assert server.requests == [] and run.config["lr"] == 1


def test_offline_then_sync_sends_the_same_data_once(server, monkeypatch, tmp_path):
    monkeypatch.setenv("TEAMSITE_MODE", "offline")
    run = ts.init(project="mnist", team="vision", config={"lr": 0.1}, capture_console=False, system_metrics_interval=None, capture=False)
    for step in range(2500):
        run.log({"loss": 1 / (step + 1)})
    run.log({"preds": ts.Table(columns=["a", "b"], data=[[1, "x"]])}, step=2500)
    (tmp_path / "w.bin").write_bytes(b"weights")
    run.save(tmp_path / "w.bin", name="w.bin")
    run.summary["best"] = 0.5
    run.finish()
    assert server.requests == []
    folder = run.folder
    assert folder.name.startswith("offline-run-") and folder.name.endswith(run.run_id)
    assert cli.main(["sync", str(folder.parent), "--host", server.url, "--key", "k"]) == 0
    assert server.steps("loss") == list(range(2500))
    assert server.end_states() == ["finished"] and server.merged("summary")["best"] == 0.5
    assert server.sent("create")[0].body["config"] == {"lr": 0.1}
    assert len(server.sent("media", "POST")) == 1 and len(server.sent("files", "POST")) == 1
    before = len(server.requests)
    assert cli.main(["sync", str(folder), "--host", server.url, "--key", "k"]) == 0
    assert len(server.requests) == before  # the second sync adds nothing


def test_a_long_outage_goes_to_disk_and_every_point_arrives(start, server, fast, monkeypatch):
    monkeypatch.setattr(limits, "SPILL_POINTS", 500)
    monkeypatch.setattr(limits, "MAX_BUFFERED_POINTS", 1_000)  # memory alone would drop points
    run = start(heartbeat_interval=0.05)
    server.offline = True
    with pytest.warns(ts.TeamsiteWarning):
        for step in range(6000):
            run.log({"loss": float(step)}, step=step)
            if step % 500 == 0:
                time.sleep(0.05)  # the background thread spills while the loop goes on
    assert wait_for(lambda: run.folder is not None)
    server.offline = False
    run.finish(timeout=20)
    assert server.steps("loss") == list(range(6000))
    assert not [w for w in run.warnings if "dropped" in w]


def test_media_values_go_to_the_media_route(start, server):
    run = start()
    run.log({"loss": 0.5, "preds": ts.Table(columns=["id", "p"], data=[[1, 0.9], [2, float("nan")]]), "w": ts.Histogram([1, 2, 2, 3])}, step=4)
    run.log({"img": ts.Image(b"\x89PNG fake", caption="a digit")}, step=5)
    run.finish()
    media = server.sent("media", "POST")
    assert len(media) == 3
    bodies = b"".join(r.body for r in media)
    assert b'"kind": "table"' in bodies and b'"kind": "histogram"' in bodies and b'"caption": "a digit"' in bodies
    assert b'[2, null]' in bodies and server.values("loss") == [0.5]
    with pytest.raises(ValueError):
        ts.Table(columns=["a"], data=[[1, 2]])


def test_image_from_an_array_needs_only_the_media_extra():
    np = pytest.importorskip("numpy")
    pytest.importorskip("PIL")
    image = ts.Image(np.zeros((4, 5, 3)), caption="black")
    assert image.payload().startswith(b"\x89PNG")


def test_capture_collects_git_pip_args_and_host_each_switchable(monkeypatch, tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-c", "user.email=a@b", "-c", "user.name=a"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "train.py").write_text("print(1)\n")
    subprocess.run([*git, "-C", str(repo), "add", "."], check=True)
    subprocess.run([*git, "-C", str(repo), "commit", "-qm", "x"], check=True)
    (repo / "train.py").write_text("print(2)\n")
    monkeypatch.chdir(repo)
    files = collect(switches({"pip": False}))
    meta = json.loads(open(files["teamsite-metadata.json"]).read())
    assert len(meta["git"]["commit"]) == 40 and meta["git"]["dirty"] is True
    assert "print(2)" in open(files["diff.patch"]).read()
    assert meta["python"] and meta["host"] and "args" in meta and "requirements.txt" not in files
    monkeypatch.setenv("TEAMSITE_DISABLE_GIT", "1")
    assert switches(None) == {"git": False, "pip": True, "args": True, "host": True}
    assert switches(False) == dict.fromkeys(("git", "pip", "args", "host"), False)


def test_capture_is_saved_with_the_run(server):
    run = ts.init(project="mnist", team="vision", base_url=server.url, api_key="k", capture_console=False,
                  system_metrics_interval=None, capture={"pip": False, "git": False})
    assert wait_for(lambda: len(server.sent("files", "POST")) >= 1, timeout=10)
    run.finish()
    assert b"teamsite-metadata.json" in server.sent("files", "POST")[0].body
