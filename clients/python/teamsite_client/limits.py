"""The numbers the client works by, in one place.

The other modules read them as `limits.NAME` when they need them, so a test (or a
script with unusual needs) can change one with `monkeypatch.setattr(limits, ...)`.
"""

# sending history, system metrics and console lines
FLUSH_INTERVAL = 1.0  # seconds between history / log / system batches
FLUSH_POINTS = 1_000  # a batch leaves early once this many points wait
MAX_POINTS_PER_REQUEST = 10_000  # the server answers 413 above this
MAX_BUFFERED_POINTS = 100_000  # history kept in memory at most (past SPILL_POINTS it goes to disk while the server is away)
SPILL_POINTS = 20_000  # the server is away and this many points wait: the oldest go to the run's folder
MAX_SPOOL_BYTES = 2 * 1024**3  # a run's folder holds at most this much spilled history
MAX_BUFFERED_SYSTEM_ROWS = 10_000
MAX_BUFFERED_LINES = 100_000
MAX_LINES_PER_REQUEST = 5_000
MAX_LINE_LENGTH = 10_000
MAX_KEY_LENGTH = 255

# waiting and retrying
FINISH_TIMEOUT = 60.0  # TEAMSITE_FINISH_TIMEOUT overrides it
REQUEST_TIMEOUT = 10.0
BACKOFF_BASE = 0.5
BACKOFF_CAP = 30.0
MAX_SERVER_ERROR_ATTEMPTS = 8  # a plain 500 is retried this often, then the request is dropped
INIT_ATTEMPTS = 4  # creating the run at init is tried this often before init raises
GATEWAY_STATUSES = frozenset({502, 503, 504})


def finish_timeout() -> float:
    """TEAMSITE_FINISH_TIMEOUT, else FINISH_TIMEOUT: how long finish() waits for the server."""
    import os

    try:
        return float(os.environ.get("TEAMSITE_FINISH_TIMEOUT") or FINISH_TIMEOUT)
    except ValueError:
        return FINISH_TIMEOUT
