"""The shape every app's part of a team export follows (the `transfer` app, above all apps, runs them).

An app registers a part under the hook "export.parts" (core/hooks.py): an object
with `name`, `order`, `dump(team, out)` and `load(team, inp)`. `out` writes rows
(JSON lines), files and streams into the archive and numbers objects densely
(`out.ref`), so an import followed by an export gives the same archive; `inp`
reads them back and maps the archive's numbers to the new objects. People are
referred to by `out.user(user)`; the transfer app writes them once, matched by
email on import. Nothing secret goes in: no password hashes, API keys, webhook
secrets or invitation tokens.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

FORMAT_VERSION = 1


class ImportProblem(Exception):
    """The archive cannot be imported; the message says what is wrong. Nothing was changed."""


@dataclass(frozen=True)
class Part:
    name: str
    order: int
    dump: Callable
    load: Callable


def when(moment) -> str | None:
    return moment.isoformat() if moment else None


def parse_when(text):
    return datetime.fromisoformat(text) if text else None


def plain(obj, fields) -> dict:
    """The named fields of a model instance as JSON values (datetimes as ISO text)."""
    out = {}
    for name in fields:
        value = getattr(obj, name)
        out[name] = when(value) if isinstance(value, datetime) else value
    return out


def restore(model, data: dict, fields, **extra):
    """An unsaved instance of `model` from `plain` output (datetimes parsed back)."""
    values = {}
    for name in fields:
        value = data.get(name)
        field = model._meta.get_field(name)
        if field.get_internal_type() == "DateTimeField":
            value = parse_when(value)
        values[name] = value
    return model(**values, **extra)
