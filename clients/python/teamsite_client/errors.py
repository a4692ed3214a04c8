"""The exceptions and the warning category a script may catch."""

from __future__ import annotations

from typing import Any


class TeamsiteError(Exception):
    """The server refused something, or could not be reached when it mattered.

    `status` is the HTTP status (None when the server was not reached), `code`
    and `fields` carry the API's error (`fields` maps a field to its problem).
    """

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None, fields: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.fields = fields or {}


class RunStopped(TeamsiteError):
    """Raised by `run.log` once the run was stopped from the web page."""


class TeamsiteWarning(UserWarning):
    """Something went wrong in the background; training goes on."""
