"""Console capture: a tee of sys.stdout / sys.stderr that hands complete lines to the run."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable

from . import limits


def visible(line: str) -> str:
    """What a terminal shows of a line with carriage returns (progress bars)."""
    return line.rstrip("\r").rsplit("\r", 1)[-1]


class ConsoleTee:
    """Stands in for sys.stdout / sys.stderr: writes through, and hands complete
    lines to `sink` (only in the process that made it; a forked child writes through)."""

    def __init__(self, original, sink: Callable[[list[str]], None]):
        self._original = original
        self._sink = sink
        self._partial = ""
        self._lock = threading.RLock()
        self._pid = os.getpid()
        self.capturing = True

    def write(self, text):
        written = self._original.write(text)
        if self.capturing and isinstance(text, str) and text and os.getpid() == self._pid:
            try:
                self._capture(text)
            except Exception:
                pass
        return written if written is not None else len(text)

    def _capture(self, text):
        with self._lock:
            parts = (self._partial + text).split("\n")
            partial = parts.pop()
            if "\r" in partial[:-1]:  # keep only what a terminal would show
                head, _, tail = partial[:-1].rpartition("\r")
                partial = tail + partial[-1]
            if len(partial) > limits.MAX_LINE_LENGTH:
                parts.append(partial)
                partial = ""
            self._partial = partial
        if parts:
            self._sink([visible(line) for line in parts])

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        return self._original.flush()

    def stop(self) -> None:
        """Stop capturing; the unfinished last line goes to the sink."""
        with self._lock:
            self.capturing = False
            rest, self._partial = self._partial, ""
        if visible(rest):
            self._sink([visible(rest)])

    def __getattr__(self, name):
        return getattr(self._original, name)


def capture_console(add_lines) -> list:
    """Tee sys.stdout and sys.stderr into `add_lines`; returns the (name, tee) pairs to release later."""
    tees = []
    for name in ("stdout", "stderr"):
        original = getattr(sys, name)
        if original is None:
            continue
        tee = ConsoleTee(original, add_lines)
        setattr(sys, name, tee)
        tees.append((name, tee))
    return tees


def release_console(tees) -> None:
    for name, tee in tees:
        tee.stop()
        if getattr(sys, name) is tee:
            setattr(sys, name, tee._original)
