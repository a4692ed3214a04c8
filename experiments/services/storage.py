"""Stored files of runs: removed only after the transaction that dropped them commits."""

from teams import storage
from teams.models import TeamStorage


def delete_stored(files):
    """`files`: (TeamStorage id or None, name) pairs, as values_list("storage", "file") gives them."""
    files = [(location, name) for location, name in files if name]
    places = TeamStorage.objects.in_bulk({location for location, _ in files if location})
    for location, name in files:
        try:
            storage.delete(places.get(location), name)
        except Exception:  # noqa: BLE001 - a file already gone is not an error
            pass
