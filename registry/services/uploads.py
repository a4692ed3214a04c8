"""Resumable uploads (spec/api.md): declare the files, send the missing contents in parts, commit.

Parts are appended to a staging file on local disk; a file that is whole is
hashed once and kept only when its bytes match its sha256. Committing logs the
version exactly as the multipart POST does. A retry asks what arrived and sends
the rest.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
import threading

from django.core.exceptions import ValidationError
from django.db import transaction

from core.errors import Conflict
from core.uploads import max_file_size, too_large
from experiments.models import Project
from experiments.services import clean_file_path
from teams import policy

from ..models import Upload
from . import artifacts, blobs

# Parts that arrive in order at the same process are hashed as they are written, so a
# whole file is not read again; anything else (another worker, a retried tail) rehashes.
_hashers: dict = {}
_hashers_lock = threading.Lock()
CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+)")
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
WRITE_CHUNK = 1024 * 1024


def _dir(upload: Upload):
    return blobs.staging_dir() / upload.upload_id


def _part(upload, sha256):
    return _dir(upload) / f"{sha256}.part"


def _done(upload, sha256):
    return _dir(upload) / f"{sha256}.done"


def _clean_files(files):
    if not isinstance(files, list) or not files:
        raise ValidationError({"files": ["files is a list of {path, size, sha256}, at least one."]})
    clean, paths = [], set()
    for item in files:
        if not isinstance(item, dict):
            raise ValidationError({"files": ["Each file is an object {path, size, sha256}."]})
        path = clean_file_path(item.get("path"))
        size, sha256 = item.get("size"), blobs.check_sha256(item.get("sha256"))
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ValidationError({"files": [f"The size of {path} is a number of bytes."]})
        if size > max_file_size():
            raise too_large(size)
        if size == 0 and sha256 != EMPTY_SHA256:
            raise ValidationError({"files": [f"{path} is empty, so its sha256 is {EMPTY_SHA256}."]})
        if path in paths:
            raise ValidationError({"files": [f"{path} is listed twice."]})
        paths.add(path)
        clean.append({"path": path, "size": size, "sha256": sha256})
    sizes = {}
    for item in clean:
        if sizes.setdefault(item["sha256"], item["size"]) != item["size"]:
            raise ValidationError({"files": ["Two files have the same sha256 but different sizes."]})
    return clean


@transaction.atomic
def upload_create(*, actor, project: Project, name: str, files) -> tuple[Upload, list[str]]:
    """Start an upload; answers the contents the site does not hold yet (only those are sent)."""
    policy.require(actor, "artifact:create", project)
    artifacts.clean_slug(name, "name")
    files = _clean_files(files)
    upload = Upload.objects.create(
        project=project, artifact_name=name, upload_id=secrets.token_hex(16), files=files, created_by=actor if getattr(actor, "pk", None) else None
    )
    have = blobs.held(project.team, {item["sha256"] for item in files})
    missing = sorted({item["sha256"] for item in files if item["sha256"] not in have and item["size"] > 0})
    empty = any(item["size"] == 0 and item["sha256"] not in have for item in files)
    if missing or empty:
        _dir(upload).mkdir(parents=True, exist_ok=True)
    if empty:
        _done(upload, EMPTY_SHA256).touch()
    return upload, missing


def _declared_size(upload, sha256):
    for item in upload.files:
        if item["sha256"] == sha256:
            return item["size"]
    raise policy.NotVisible(f"The upload has no file with the sha256 {sha256}.")


def received(upload: Upload) -> dict:
    """{sha256: bytes received} for every content of the upload the site does not hold."""
    answer = {}
    for item in upload.files:
        sha256 = item["sha256"]
        if _done(upload, sha256).exists():
            answer[sha256] = item["size"]
        elif _part(upload, sha256).exists():
            answer[sha256] = _part(upload, sha256).stat().st_size
    return answer


def upload_status(*, actor, upload: Upload) -> dict:
    policy.require(actor, "artifact:create", upload)
    return received(upload)


def upload_part(*, actor, upload: Upload, sha256: str, content_range: str, stream, length: int) -> int:
    """Write one part (`Content-Range: bytes start-end/total`) from `stream`; answers the bytes held so far.

    A part may start anywhere up to what arrived (a retry overwrites the tail);
    a gap is a 409 that says where to resume. When the file is whole it is hashed:
    bytes that do not match their sha256 are dropped (400).
    """
    policy.require(actor, "artifact:create", upload)
    if upload.committed_at:
        raise Conflict("This upload was committed; start another.")
    size = _declared_size(upload, sha256)
    done, part = _done(upload, sha256), _part(upload, sha256)
    if done.exists() or blobs.held(upload.project.team, {sha256}):
        return size  # whole already, or content the site holds: nothing to send
    match = CONTENT_RANGE.fullmatch((content_range or "").strip())
    if not match:
        raise ValidationError({"Content-Range": ["Send Content-Range: bytes START-END/TOTAL (END inclusive)."]})
    start, end, total = (int(group) for group in match.groups())
    if total != size:
        raise ValidationError({"Content-Range": [f"This file was declared with {size} bytes, not {total}."]})
    if end < start or end >= total or (length is not None and length != end - start + 1):
        raise ValidationError({"Content-Range": ["The range does not match the bytes sent."]})
    held_now = part.stat().st_size if part.exists() else 0
    if start > held_now:
        raise Conflict(f"The site holds {held_now} bytes of this file; resume from there.", received=held_now)
    part.parent.mkdir(parents=True, exist_ok=True)
    key = (upload.upload_id, sha256)
    with _hashers_lock:
        offset, hasher = _hashers.pop(key, (None, None))
    if offset != start:
        offset, hasher = (0, hashlib.sha256()) if start == 0 else (None, None)
    with open(part, "r+b" if part.exists() else "wb") as handle:
        handle.seek(start)
        handle.truncate(start)
        left = end - start + 1
        while left > 0:
            data = stream.read(min(WRITE_CHUNK, left))
            if not data:
                break
            handle.write(data)
            if hasher is not None:
                hasher.update(data)
            left -= len(data)
    held_now = part.stat().st_size
    if hasher is not None and held_now < size:
        with _hashers_lock:
            _hashers[key] = (held_now, hasher)
    if held_now < end + 1:
        return held_now  # the connection dropped: the client asks and resumes
    if held_now == size:
        found = hasher.hexdigest() if hasher is not None else blobs.hash_file(part)
        if found != sha256:
            part.unlink()
            raise ValidationError({"sha256": [f"The bytes sent do not match the sha256 {sha256}; nothing was kept."]})
        os.replace(part, done)
    return held_now


def upload_commit(*, actor, upload: Upload, type: str, description: str = "", metadata=None, aliases=None, run=None):
    """Log the version from the upload's files; every content must be held or whole in staging."""
    policy.require(actor, "artifact:create", upload)
    have = blobs.held(upload.project.team, {item["sha256"] for item in upload.files})
    entries, handles, missing = [], [], []
    for item in upload.files:
        fileobj = None
        if item["sha256"] not in have:
            if not _done(upload, item["sha256"]).exists():
                missing.append(item["path"])
                continue
            fileobj = blobs.StagedFile(_done(upload, item["sha256"]))
            handles.append(fileobj)
        entries.append(artifacts.Entry(item["path"], item["size"], item["sha256"], fileobj))
    if missing:
        raise ValidationError({"files": [f"Not every file has arrived: {', '.join(missing[:5])}{'...' if len(missing) > 5 else ''}."]})
    try:
        result = artifacts.version_create(
            actor=actor, project=upload.project, name=upload.artifact_name, type=type, entries=entries,
            description=description, metadata=metadata, aliases=aliases, run=run,
        )
    finally:
        for handle in handles:
            handle.close()
    Upload.objects.filter(pk=upload.pk).update(committed_at=result[0].created_at)
    folder = _dir(upload)
    transaction.on_commit(lambda: shutil.rmtree(folder, ignore_errors=True))
    return result
