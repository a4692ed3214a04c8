"""Writes for artifacts and the model registry. Every service takes the actor and asks the policy itself."""

from .artifacts import (
    Entry,
    alias_delete,
    alias_set,
    artifact_use,
    clean_alias,
    digest_of,
    entries_from_uploads,
    version_create,
    version_delete,
    version_update,
)
from .registry import (
    model_alias_delete,
    model_alias_set,
    model_create,
    model_delete,
    model_link,
    model_unlink,
    model_update,
    protected_aliases,
    protected_aliases_set,
)
from .uploads import received, upload_commit, upload_create, upload_part, upload_status

__all__ = [
    "Entry",
    "alias_delete",
    "alias_set",
    "artifact_use",
    "clean_alias",
    "digest_of",
    "entries_from_uploads",
    "model_alias_delete",
    "model_alias_set",
    "model_create",
    "model_delete",
    "model_link",
    "model_unlink",
    "model_update",
    "protected_aliases",
    "protected_aliases_set",
    "received",
    "upload_commit",
    "upload_create",
    "upload_part",
    "upload_status",
    "version_create",
    "version_delete",
    "version_update",
]
