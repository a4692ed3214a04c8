"""The storage behind a team's files: the site's media folder, or the team's own S3-compatible bucket.

`storage_for(location)` gives the Django Storage of a TeamStorage row (None: the
site's default storage); `current(team)` the row new files go to. Readers open a
file through the row it was written to, so a team that changes its bucket keeps
reading what it stored before. Files are streamed both ways, never read whole.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from .models import Team, TeamStorage

_cache: dict = {}
_lock = threading.Lock()


# --- The secret, encrypted at rest ----------------------------------------------------------


def _fernet():
    from cryptography.fernet import Fernet

    key = hashlib.sha256(b"teamsite.teams.storage:" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt_secret(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode() if secret else ""


def decrypt_secret(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode() if token else ""


# --- Storages ------------------------------------------------------------------------------------


def current(team: Team) -> TeamStorage | None:
    """The team's current S3 storage row, or None for the site's default storage."""
    row = TeamStorage.objects.filter(team=team, active=True).first()
    return row if row is not None and row.kind == TeamStorage.S3 else None


def build(*, kind, endpoint_url="", region="", bucket="", prefix="", access_key_id="", secret_access_key=""):
    """A Storage for one configuration (used for probing before anything is saved)."""
    if kind != TeamStorage.S3:
        return default_storage
    from storages.backends.s3 import S3Storage

    return S3Storage(
        bucket_name=bucket,
        endpoint_url=endpoint_url or None,
        region_name=region or None,
        access_key=access_key_id or None,
        secret_key=secret_access_key or None,
        location=(prefix or "").strip("/"),
        default_acl=None,
        querystring_auth=True,
        file_overwrite=True,
    )


def storage_for(location: TeamStorage | None):
    """The Django Storage a file row's location names (None: the site's default storage)."""
    if location is None or location.kind != TeamStorage.S3:
        return default_storage
    key = (location.pk, location.updated_at)
    with _lock:
        found = _cache.get(key)
    if found is None:
        found = build(
            kind=location.kind,
            endpoint_url=location.endpoint_url,
            region=location.region,
            bucket=location.bucket,
            prefix=location.prefix,
            access_key_id=location.access_key_id,
            secret_access_key=decrypt_secret(location.secret_encrypted),
        )
        with _lock:
            _cache[key] = found
    return found


def open_stream(location: TeamStorage | None, name: str):
    """A file-like object to read a stored file in chunks (S3 bodies are streamed, not buffered)."""
    storage = storage_for(location)
    if location is not None and location.kind == TeamStorage.S3:
        return storage.bucket.Object(storage._normalize_name(name)).get()["Body"]
    return storage.open(name, "rb")


def save_stream(location: TeamStorage | None, name: str, fileobj) -> str:
    """Store `fileobj` under `name` (content-addressed names: an existing file is the same bytes)."""
    storage = storage_for(location)
    if location is None and storage.exists(name):
        return name
    return storage.save(name, fileobj)


def delete(location: TeamStorage | None, name: str):
    storage_for(location).delete(name)


# --- Probing a configuration ------------------------------------------------------------


class ProbeFailed(Exception):
    """A storage configuration failed one step of the probe: connect, write, read or delete."""

    def __init__(self, step, detail):
        super().__init__(f"The {step} step failed: {detail}")
        self.step = step
        self.detail = detail


def probe(storage):
    """Write, read and delete a small object; raise ProbeFailed naming the step that failed."""
    name = f".teamsite-probe-{secrets.token_hex(8)}"
    payload = secrets.token_bytes(32)
    try:
        if hasattr(storage, "connection"):
            storage.connection.meta.client.head_bucket(Bucket=storage.bucket_name)
    except Exception as exc:  # noqa: BLE001 - any failure is reported, with its step
        raise ProbeFailed("connect", _reason(exc)) from None
    try:
        name = storage.save(name, ContentFile(payload))
    except Exception as exc:  # noqa: BLE001
        raise ProbeFailed("write", _reason(exc)) from None
    try:
        with storage.open(name, "rb") as handle:
            if handle.read() != payload:
                raise ValueError("the bytes read back differ from those written")
    except Exception as exc:  # noqa: BLE001
        raise ProbeFailed("read", _reason(exc)) from None
    try:
        storage.delete(name)
    except Exception as exc:  # noqa: BLE001
        raise ProbeFailed("delete", _reason(exc)) from None


HINTS = {
    "403": "access denied: check the access key ID and the secret",
    "SignatureDoesNotMatch": "the secret does not match the access key ID",
    "InvalidAccessKeyId": "the storage does not know this access key ID",
    "AccessDenied": "access denied: this key may not use the bucket",
    "404": "there is no such bucket at this endpoint",
    "NoSuchBucket": "there is no such bucket at this endpoint",
}


def _reason(exc):
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and response.get("Error"):
        error = response["Error"]
        code = str(error.get("Code", ""))
        said = f"{code} {error.get('Message', '')}".strip()
        return f"{HINTS[code]} ({said})" if code in HINTS else said or str(exc)
    return str(exc) or type(exc).__name__
