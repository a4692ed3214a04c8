"""Artifacts without a server: the digest rule, add_file/add_dir, the hash cache, pruning, `teamsite cache clean`."""

import hashlib
import os

import pytest

import teamsite_client as ts
from teamsite_client import artifacts, cli
from teamsite_client import cache as cache_module


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TEAMSITE_CACHE_DIR", str(tmp_path / "cache"))
    return artifacts.Cache()


def sha(data):
    return hashlib.sha256(data).hexdigest()


def test_digest_is_the_spec_rule(tmp_path, cache):
    (tmp_path / "d" / "sub").mkdir(parents=True)
    (tmp_path / "d" / "b.txt").write_bytes(b"bee")
    (tmp_path / "d" / "sub" / "a.txt").write_bytes(b"ay")
    art = ts.Artifact("x", type="dataset")
    assert sorted(art.add_dir(tmp_path / "d", name="data")) == ["data/b.txt", "data/sub/a.txt"]
    expected = sha(f"data/b.txt:{sha(b'bee')}\ndata/sub/a.txt:{sha(b'ay')}\n".encode())
    assert art.digest(cache) == expected
    with pytest.raises(FileNotFoundError):
        art.add_file(tmp_path / "missing")


def test_unchanged_files_are_not_hashed_again(tmp_path, cache, monkeypatch):
    path = tmp_path / "f.bin"
    path.write_bytes(b"one")
    assert cache.sha256(str(path)) == sha(b"one")
    monkeypatch.setattr(cache_module, "hash_file", lambda p: pytest.fail("hashed again"))
    assert cache.sha256(str(path)) == sha(b"one")
    monkeypatch.undo()
    path.write_bytes(b"two!")
    assert cache.sha256(str(path)) == sha(b"two!")


def test_prune_keeps_the_most_recently_used(cache):
    for i, name in enumerate(("old", "mid", "new")):
        blob = cache.blob(sha(name.encode()))
        blob.parent.mkdir(parents=True, exist_ok=True)
        blob.write_bytes(b"x" * 100)
        os.utime(blob, (1000 + i, 1000 + i))
    assert cache.prune(limit=150) == 200
    assert cache.blob(sha(b"new")).exists() and not cache.blob(sha(b"old")).exists()


def test_cache_clean_command(cache, capsys):
    blob = cache.blob(sha(b"x"))
    blob.parent.mkdir(parents=True, exist_ok=True)
    blob.write_bytes(b"x")
    assert cli.main(["cache", "clean"]) == 0
    assert "Removed the artifact cache" in capsys.readouterr().out and not cache.root.exists()
