"""Stored files of runs: removed only after the transaction that dropped them commits."""

from django.core.files.storage import default_storage


def delete_stored(names):
    for name in names:
        if name:
            default_storage.delete(name)
