"""run.config and run.summary: dicts whose changes are sent to the server as merges."""

from __future__ import annotations

from typing import Any

from .values import jsonable


class _SyncedDict(dict):
    """A dict whose changes are sent to the server as a merge (a deleted key as null)."""

    _field = ""

    def __init__(self, run, initial=None):
        dict.__init__(self, initial or {})
        object.__setattr__(self, "_run", run)

    def __reduce__(self):  # copies and pickles are plain dicts
        return (dict, (dict(self),))

    def _changed(self, changes):
        run = self.__dict__.get("_run")
        if run is not None:
            run._queue_patch(self._field, changes)

    def __setitem__(self, key, value) -> None:
        key = str(key)
        value = jsonable(value, f"{self._field}[{key!r}]")
        dict.__setitem__(self, key, value)
        self._changed({key: value})

    def __delitem__(self, key) -> None:
        dict.__delitem__(self, key)
        self._changed({key: None})

    def update(self, other=(), /, **more) -> None:
        changes = {str(k): jsonable(v, f"{self._field}[{k!r}]") for k, v in dict(other, **more).items()}
        dict.update(self, changes)
        if changes:
            self._changed(changes)

    def setdefault(self, key, default=None) -> Any:
        if key not in self:
            self[key] = default
        return dict.__getitem__(self, str(key) if not isinstance(key, str) else key)

    def pop(self, key, *default) -> Any:
        if key in self:
            value = dict.pop(self, key)
            self._changed({key: None})
            return value
        if default:
            return default[0]
        raise KeyError(key)

    def popitem(self) -> tuple[str, Any]:
        key, value = dict.popitem(self)
        self._changed({key: None})
        return key, value

    def clear(self) -> None:
        keys = list(self)
        dict.clear(self)
        if keys:
            self._changed({key: None for key in keys})

    def __getattr__(self, name):  # run.config.lr
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"{self._field} has no key {name!r}") from None

    def __setattr__(self, name, value):
        if name.startswith("_"):
            object.__setattr__(self, name, value)
        else:
            self[name] = value


class Config(_SyncedDict):
    """run.config: the run's hyperparameters. Changes are merged on the server;
    values must be JSON data (numpy scalars and paths are converted)."""

    _field = "config"


class Summary(_SyncedDict):
    """run.summary: one value per metric. By default each metric's last logged
    value; a key set here wins over logged values."""

    _field = "summary"
