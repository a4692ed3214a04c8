"""The client's artifacts against the real server: log, dedup, resume, use, download through the cache."""

import os

import pytest

import teamsite_client as ts
from teamsite_client import artifacts as client_artifacts
from registry.models import ArtifactUse, ArtifactVersion

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TEAMSITE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _tree(root, files):
    for path, data in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return root


def test_log_use_download_and_cache(site, tmp_path, cache, monkeypatch):
    data = _tree(tmp_path / "data", {"train/a.bin": os.urandom(200_000), "labels.csv": b"1,2,3\n"})
    run = site.start(run_id="producer")
    art = ts.Artifact("mnist", type="dataset", description="digits", metadata={"rows": 3})
    art.add_dir(data)
    logged = run.log_artifact(art, aliases=["best"], progress=False)
    assert logged["version"] == "v0" and logged["created"] is True
    assert logged["digest"] == art.digest()
    again = run.log_artifact(art, progress=False)
    assert again == {"version": "v0", "digest": logged["digest"], "created": False}
    run.finish()

    consumer = site.start(run_id="consumer")
    used = consumer.use_artifact("mnist:best")
    assert used.version == "v0" and {f["path"] for f in used.files} == {"train/a.bin", "labels.csv"}
    assert ArtifactUse.objects.filter(run__run_id="consumer").count() == 1
    folder = used.download(root=tmp_path / "out", progress=False)
    assert (tmp_path / "out" / "train" / "a.bin").read_bytes() == (data / "train" / "a.bin").read_bytes()
    # a second download reads nothing from the network: the cache has every sha256
    monkeypatch.setattr(client_artifacts, "_fetch", lambda *a, **k: pytest.fail("fetched again"))
    used.download(root=tmp_path / "out2", progress=False)
    assert (tmp_path / "out2" / "labels.csv").read_bytes() == b"1,2,3\n" and folder.endswith("out")
    consumer.finish()
    assert client_artifacts.clean() > 0 and not cache.exists()


def test_only_missing_contents_are_sent_in_parts_and_resumed(site, tmp_path, cache, monkeypatch):
    monkeypatch.setattr(client_artifacts, "PART_SIZE", 64 * 1024)
    shared = os.urandom(100_000)
    big = os.urandom(300_000)
    run = site.start(run_id="parts")
    first = ts.Artifact("weights", type="model")
    first.add_file(_tree(tmp_path / "a", {"shared.bin": shared}) / "shared.bin")
    run.log_artifact(first, progress=False)

    real_request = run._transport.request
    sent, cut = [], {"done": False}

    def flaky(method, path, body=None, **kw):
        if method == "PUT":
            sent.append((path.rsplit("/", 1)[-1], kw["headers"]["Content-Range"]))
            if len(sent) == 3 and not cut["done"]:  # the connection drops during the third part
                cut["done"] = True
                for _ in kw["data"]:
                    break
                raise client_artifacts.Offline("connection reset")
        return real_request(method, path, body, **kw)

    monkeypatch.setattr(run._transport, "request", flaky)
    monkeypatch.setattr(client_artifacts, "backoff", lambda attempt, retry_after=None: 0)
    second = ts.Artifact("weights", type="model")
    second.add_file(tmp_path / "a" / "shared.bin")
    second.add_file(_tree(tmp_path / "b", {"big.bin": big}) / "big.bin")
    logged = run.log_artifact(second, progress=False)
    assert logged["version"] == "v1" and logged["created"]
    assert {sha for sha, _ in sent} == {client_artifacts.hash_file(tmp_path / "b" / "big.bin")}  # shared.bin not sent again
    assert sent[2][1] == sent[3][1]  # the cut part was sent again, nothing before it
    version = ArtifactVersion.objects.get(artifact__name="weights", index=1)
    assert version.size == 400_000
    run.finish()


def test_the_cli_cleans_the_cache(cache, capsys):
    from teamsite_client import cli

    (cache / "blobs" / "ab").mkdir(parents=True)
    (cache / "blobs" / "ab" / "abcd").write_bytes(b"x" * 10)
    assert cli.main(["cache", "clean"]) == 0
    assert "Removed the artifact cache" in capsys.readouterr().out and not cache.exists()


def test_the_cli_puts_and_gets_an_artifact(site, tmp_path, cache, capsys, monkeypatch):
    from teamsite_client import cli

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    data = _tree(tmp_path / "weights", {"model.bin": os.urandom(50_000), "config.json": b"{}"})
    from tests import factories

    common = ["--host", site.url, "--key", site.key]
    team, project = site.team.slug, factories.project(site.team, name="cli-project", actor=site.admin).name
    assert cli.main(["artifact", *common, "put", f"{team}/{project}/weights", str(data), "--type", "model", "--alias", "best"]) == 0
    assert f"{team}/{project}/weights:v0 logged" in capsys.readouterr().out
    assert cli.main(["artifact", *common, "put", f"{team}/{project}/weights", str(data), "--type", "model"]) == 0
    assert "unchanged" in capsys.readouterr().out  # the same content makes no new version
    target = tmp_path / "got"
    assert cli.main(["artifact", *common, "get", f"{team}/{project}/weights:best", "--root", str(target)]) == 0
    assert (target / "model.bin").read_bytes() == (data / "model.bin").read_bytes()
    assert cli.main(["artifact", *common, "get", "not-a-name"]) == 1
    assert "TEAM/PROJECT/NAME" in capsys.readouterr().err
