"""Upload handlers that hash each file while it streams in (sha256), and refuse one over the size limit.

Settings.FILE_UPLOAD_HANDLERS names these instead of Django's two: small files stay
in memory, larger ones go to a temporary file on disk, never to memory whole, and
every uploaded file carries `.sha256` without being read a second time.
"""

import hashlib

from django.conf import settings
from django.core.files.uploadhandler import MemoryFileUploadHandler, TemporaryFileUploadHandler

from .errors import TooLarge


def max_file_size() -> int:
    return int(getattr(settings, "UPLOAD_MAX_FILE_SIZE", 5 * 1024**3))


def too_large(size=None) -> TooLarge:
    limit = max_file_size()
    return TooLarge(f"A file may hold at most {limit:,} bytes" + (f"; this one has {size:,}." if size else "."))


class _Hashing:
    def new_file(self, *args, **kwargs):
        self._sha256 = hashlib.sha256()  # first: the memory handler's new_file stops the chain when it takes the file
        self._received = 0
        super().new_file(*args, **kwargs)

    def _take(self, raw_data):
        self._sha256.update(raw_data)
        self._received += len(raw_data)
        if self._received > max_file_size():
            raise too_large()

    def file_complete(self, file_size):
        uploaded = super().file_complete(file_size)
        if uploaded is not None:
            uploaded.sha256 = self._sha256.hexdigest()
        return uploaded


class HashingMemoryFileUploadHandler(_Hashing, MemoryFileUploadHandler):
    def receive_data_chunk(self, raw_data, start):
        if self.activated:
            self._take(raw_data)
        return super().receive_data_chunk(raw_data, start)


class HashingTemporaryFileUploadHandler(_Hashing, TemporaryFileUploadHandler):
    def receive_data_chunk(self, raw_data, start):
        self._take(raw_data)
        return super().receive_data_chunk(raw_data, start)


def sha256_of(upload) -> str:
    """The upload's sha256: from the handler when it hashed it, else read once in chunks."""
    known = getattr(upload, "sha256", None)
    if known:
        return known
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()
