"""JSON over urllib with the API key, the backoff schedule, and file uploads.

`Transport.request` raises `Offline` when no answer came back (refused, timed
out, DNS, reset...) and `HTTPStatusError` for a 4xx or 5xx answer; deciding what
to retry is the caller's business (see sender.py and session.py).
"""

from __future__ import annotations

import json
import os
import random
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from http.client import HTTPException
from typing import Any

from . import limits
from ._version import __version__

DEFAULT_BASE_URL = "http://127.0.0.1:8000"


class Offline(Exception):
    """No answer from the server (refused, timed out, DNS, reset...)."""


class HTTPStatusError(Exception):
    """The server answered with an error status; `message` is its sentence."""

    def __init__(self, status: int, message: str, *, code=None, fields=None, retry_after: float | None = None):
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message
        self.code = code
        self.fields = fields or {}
        self.retry_after = retry_after


def quote(part) -> str:
    """One path segment, escaped."""
    return urllib.parse.quote(str(part), safe="")


def clean_base_url(url: str | None) -> str:
    """The site's root: no trailing slash, no /api/v1."""
    url = (url or DEFAULT_BASE_URL).strip().rstrip("/")
    if url.endswith("/api/v1"):
        url = url[: -len("/api/v1")]
    return url


class Transport:
    """JSON over urllib, with the API key; raises Offline or HTTPStatusError."""

    def __init__(self, base_url: str, api_key: str, timeout: float | None = None):
        self.base_url = clean_base_url(base_url)
        self.api_key = api_key
        self.timeout = timeout or limits.REQUEST_TIMEOUT
        self._opener = urllib.request.build_opener()

    def request(self, method: str, path: str, body: Any = None, *, data=None, headers=None, timeout=None) -> Any:
        """Send one request to /api/v1{path}; the decoded JSON answer, or None when it has none."""
        url = f"{self.base_url}/api/v1{path}"
        all_headers = {
            "Authorization": f"Bearer {self.api_key}",
            "Accept": "application/json",
            "User-Agent": f"teamsite-client/{__version__} python/{sys.version_info.major}.{sys.version_info.minor}",
        }
        if body is not None:
            data = json.dumps(body).encode()  # NaN and Infinity go out as JSON literals
            all_headers["Content-Type"] = "application/json"
        all_headers.update(headers or {})
        req = urllib.request.Request(url, data=data, method=method, headers=all_headers)
        try:
            with self._opener.open(req, timeout=timeout or self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raise self._error(exc) from None
        except (urllib.error.URLError, OSError, HTTPException, ValueError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise Offline(f"{type(exc).__name__}: {reason}") from None
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return None

    def upload(self, path: str, field: str, local: str, timeout=None) -> None:
        """POST one file (streamed from disk) as multipart field `field`."""
        headers, body = multipart(field, local)
        self.request("POST", path, data=body, headers=headers, timeout=timeout)

    def upload_media(self, path: str, meta: dict, filename: str, payload: bytes, timeout=None) -> None:
        """POST one image, table or histogram (spec/api.md, .../media)."""
        headers, body = multipart_media(json.dumps(meta), filename, payload)
        self.request("POST", path, data=body, headers=headers, timeout=timeout)

    @staticmethod
    def _error(exc: urllib.error.HTTPError) -> HTTPStatusError:
        try:
            raw = exc.read()
        except Exception:
            raw = b""
        message, code, fields = None, None, None
        try:
            error = json.loads(raw).get("error") or {}
            message, code, fields = error.get("message"), error.get("code"), error.get("fields")
        except Exception:
            pass
        retry_after = None
        try:
            retry_after = float(exc.headers.get("Retry-After")) if exc.headers and exc.headers.get("Retry-After") else None
        except (TypeError, ValueError):
            pass
        if not message:
            message = f"The server answered {exc.code} {exc.reason}."
        return HTTPStatusError(exc.code, message, code=code, fields=fields, retry_after=retry_after)


def backoff(attempts: int, retry_after: float | None = None) -> float:
    """Seconds to wait before try number `attempts` + 1: BACKOFF_BASE doubling up to
    BACKOFF_CAP, times a jitter in [0.5, 1]; never less than the server's Retry-After
    (itself capped)."""
    delay = min(limits.BACKOFF_CAP, limits.BACKOFF_BASE * 2 ** max(0, attempts - 1)) * random.uniform(0.5, 1.0)
    if retry_after:
        delay = max(delay, min(limits.BACKOFF_CAP, retry_after))
    return delay


def multipart(field: str, local_path: str) -> tuple[dict[str, str], Iterator[bytes]]:
    """(headers, body iterable) for one file, streamed from disk."""
    boundary = f"teamsite-{uuid.uuid4().hex}"
    safe_field = field.replace("\\", "\\\\").replace('"', "%22").replace("\r", "").replace("\n", "")
    filename = os.path.basename(local_path).replace('"', "%22").replace("\r", "").replace("\n", "")
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="{safe_field}"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    size = os.path.getsize(local_path)

    def body():
        yield head
        with open(local_path, "rb") as handle:
            while True:
                chunk = handle.read(1 << 20)
                if not chunk:
                    break
                yield chunk
        yield tail

    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", "Content-Length": str(len(head) + size + len(tail))}
    return headers, body()


def multipart_media(meta_json: str, filename: str, payload: bytes) -> tuple[dict[str, str], bytes]:
    """(headers, body) for POST .../media: a `meta` field (JSON) and a `file` field."""
    boundary = f"teamsite-{uuid.uuid4().hex}"
    safe_name = filename.replace('"', "%22").replace("\r", "").replace("\n", "") or "media"
    body = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="meta"\r\n'
        "Content-Type: application/json\r\n\r\n"
        f"{meta_json}\r\n"
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{safe_name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode() + payload + f"\r\n--{boundary}--\r\n".encode()
    return {"Content-Type": f"multipart/form-data; boundary={boundary}", "Content-Length": str(len(body))}, body
