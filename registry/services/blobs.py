"""Content-addressed storage of artifact files: each sha256 stored once per team, in the team's storage.

Bytes are written before the rows that name them; `Written` remembers what one
service call wrote and removes it again when that call fails, unless another
row (another upload of the same content) holds it by then: no orphan blobs.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction

from teams import storage
from teams.models import Team

from ..models import Blob

SHA256 = re.compile(r"[0-9a-f]{64}")
CHUNK = 1024 * 1024


def blob_name(team: Team, sha256: str) -> str:
    return f"blobs/{team.pk}/{sha256[:2]}/{sha256}"


def check_sha256(value) -> str:
    if not isinstance(value, str) or not SHA256.fullmatch(value):
        raise ValidationError({"sha256": [f"“{value}” is not a sha256: 64 lowercase hexadecimal digits."]})
    return value


def staging_dir() -> Path:
    return Path(getattr(settings, "ARTIFACT_STAGING_DIR", None) or Path(settings.MEDIA_ROOT) / ".staging")


class StagedFile(File):
    """A whole file waiting on local disk: the local storage moves it instead of copying."""

    def __init__(self, path):
        super().__init__(open(path, "rb"), name=os.path.basename(path))
        self._path = str(path)

    def temporary_file_path(self):
        return self._path


class Written:
    """The stored names one call wrote; `undo()` removes those no committed row holds."""

    def __init__(self):
        self.items = []

    def add(self, team, sha256, location, name):
        self.items.append((team, sha256, location, name))

    def undo(self):
        for team, sha256, location, name in self.items:
            if not Blob.objects.filter(team=team, sha256=sha256, name=name, storage=location).exists():
                try:
                    storage.delete(location, name)
                except Exception:  # noqa: BLE001 - best effort; the row is what counts
                    pass


def held(team: Team, hashes) -> set[str]:
    """The hashes among `hashes` whose content the team already holds (one query)."""
    return set(Blob.objects.filter(team=team, sha256__in=list(hashes)).values_list("sha256", flat=True))


def store(team: Team, sha256: str, size: int, fileobj, written: Written) -> Blob:
    """The team's blob of this content, storing `fileobj` in the team's current storage when it is new.

    The caller has checked that `fileobj` hashes to `sha256`.
    """
    existing = Blob.objects.filter(team=team, sha256=sha256).first()
    if existing is not None:
        return existing
    location = storage.current(team)
    name = storage.save_stream(location, blob_name(team, sha256), fileobj)
    written.add(team, sha256, location, name)
    try:
        with transaction.atomic():
            return Blob.objects.create(team=team, sha256=sha256, size=size, storage=location, name=name)
    except IntegrityError:  # stored by a concurrent upload meanwhile: use theirs
        return Blob.objects.get(team=team, sha256=sha256)


def open_blob(blob: Blob):
    return storage.open_stream(blob.storage, blob.name)


def stream(blob: Blob, chunk=CHUNK):
    handle = open_blob(blob)
    try:
        while True:
            data = handle.read(chunk)
            if not data:
                break
            yield data
    finally:
        handle.close()


def delete_unused(blob_ids):
    """Remove blobs no artifact file uses any more (rows now, bytes after the commit)."""
    unused = Blob.objects.filter(pk__in=list(blob_ids), files__isnull=True)
    gone = [(blob.storage, blob.name) for blob in unused]
    unused.delete()

    def remove():
        for location, name in gone:
            try:
                storage.delete(location, name)
            except Exception:  # noqa: BLE001
                pass

    transaction.on_commit(remove)


def hash_file(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while True:
            data = handle.read(CHUNK)
            if not data:
                break
            digest.update(data)
    return digest.hexdigest()
