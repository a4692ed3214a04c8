"""The teamsite Python client: log a training run from a script.

Standard library only (urllib, json, threading); psutil and pynvml are used for
system metrics when installed (`pip install "teamsite-client[system]"`; see
sysmetrics.py for the fallbacks).

    import teamsite_client as ts

    run = ts.init(project="mnist", config={"lr": 1e-3}, name="baseline", tags=["cnn"])
    for step in range(1000):
        run.log({"loss": loss, "acc": acc})      # step 0, 1, 2, ... unless step= is given
    run.summary["best_acc"] = 0.97
    run.save("checkpoints/model.pt")
    run.finish()

    with ts.init(project="mnist") as run:       # an exception inside marks the run failed
        ...

Configuration: arguments to `init`, else the environment: TEAMSITE_BASE_URL
(default http://127.0.0.1:8000), TEAMSITE_API_KEY, TEAMSITE_TEAM (else the
caller's only team), TEAMSITE_PROJECT, and for service accounts
TEAMSITE_USERNAME / TEAMSITE_USER_EMAIL: the team member the run is credited
to (the service account stays recorded as the run's logger).

How it behaves (the contract scripts can rely on):

- `init` creates the run synchronously (POST .../runs; the server creates a
  missing project when the caller may). A 4xx answer raises `TeamsiteError`
  carrying the server's sentence (a bad key, a non-member named by
  TEAMSITE_USERNAME, ...). A server that cannot be reached is retried for a few
  seconds, then raises `TeamsiteError` too.
- The training loop never waits for the network. `run.log` checks its input
  (a non-numeric value raises TypeError at once; NaN and infinities are sent as
  such; bools count as 0/1; nested dicts become "outer/inner" keys), then
  appends to a bounded in-memory buffer (limits.MAX_BUFFERED_POINTS = 100,000
  points).
  When the buffer is full the oldest points are dropped and ONE warning says so.
- Steps: without `step=` an internal counter gives 0, 1, 2, ...; an explicit
  step sets the counter (the next implicit step is step + 1); an explicit step
  lower than the last one is warned about and dropped.
- One background thread (daemon) does all network work: it sends history in
  batches every ~1 s or as soon as 1,000 points wait, at most 10,000 points per
  request, each batch with its own `batch_id`, kept across retries, so a retried
  batch is never stored twice; it sends a heartbeat every `heartbeat_interval`
  seconds, samples system metrics every `system_metrics_interval` seconds
  (`cpu`, `memory`, `disk`, `net.sent`, `net.recv`, `gpu.N.util`,
  `gpu.N.memory`, ...; 0 or None turns sampling off), and sends the captured
  console (a tee of sys.stdout and sys.stderr, line by line, carriage-return
  progress bars collapsed to what the terminal shows).
- Network errors, 429 and 5xx answers are retried with exponential backoff
  (0.5 s doubling to at most 30 s, with jitter). Unreachable servers and gateway
  errors (502/503/504) are retried for as long as the run lives, other 5xx a few
  times. Losing the server is warned about once per outage. Any other 4xx is a
  permanent error for that request: warned about once, and the request is
  dropped. A 409 on history means the run was ended on the server: its data is
  dropped with a warning.
- `run.config` and `run.summary` are dicts; changes are sent as merges
  (PATCH config / summary; deleting a key sends null, which removes it). The
  server keeps each metric's last logged value in the summary; a key the script
  sets itself wins and is sent again after history for that key and at finish.
- Stop from the web page: when a heartbeat answers `stop_requested: true` the
  client ends the run as `stopped` on its own (flush, PATCH state=stopped),
  then calls `on_stop(run)` if given (from the background thread). `run.stopped`
  turns True and the next `run.log(...)` raises `RunStopped` in the training
  thread; catch it to save a checkpoint and exit cleanly.
- `run.finish()` is idempotent: it restores sys.stdout/sys.stderr, flushes
  everything with a bounded wait (TEAMSITE_FINISH_TIMEOUT, 60 s by default; what
  is left after that is saved in the run's folder for `teamsite sync`, and one
  warning says where), marks the run finished (PATCH state) and stops the
  thread. Used as a context manager, an exception inside the block marks the run
  failed (its traceback goes to the run's logs) and propagates; `RunStopped`
  leaves the run stopped. An atexit hook finishes runs left open: as finished,
  or as failed when the script died of an uncaught exception.
- `run.save(path)` uploads a file (globs allowed) in the background, read when it
  is sent; `run.alert(...)` is sent in the background too, both before finish
  completes.

Artifacts (artifacts.py): `art = ts.Artifact(name, type=..., description=...,
metadata=...)`, `art.add_file(path)`, `art.add_dir(path)`,
`run.log_artifact(art, aliases=[...])`, `run.use_artifact("project/name:alias")`
and its `.download(root=None)`; only contents the site lacks are sent, in
resumable parts; downloads are checked by sha256 and cached by it.

Also: modes (TEAMSITE_MODE online / offline / disabled, offline.py), the run's
folder on disk when the server is away and `teamsite sync` (journal.py),
`teamsite login` (credentials.py), media (`ts.Image`, `ts.Table`,
`ts.Histogram`, media.py), what reproduces a run (capture.py) and sweep agents
(`ts.agent`, `teamsite agent`, agent.py).

Modules: session.py (init, the atexit hook), run.py (what the training thread
calls), sender.py (the background thread), transport.py (HTTP, backoff),
values.py (input checks), synced.py (config and summary), console.py,
sysmetrics.py, limits.py (the numbers above), cli.py (the `teamsite` command).
"""

from ._version import __version__
from .artifacts import Artifact
from .agent import agent
from .errors import RunStopped, TeamsiteError, TeamsiteWarning
from .media import Histogram, Image, Table
from .run import Run
from .session import init
from .synced import Config, Summary
from .transport import DEFAULT_BASE_URL

__all__ = [
    "init",
    "Artifact",
    "agent",
    "Image",
    "Table",
    "Histogram",
    "Run",
    "Config",
    "Summary",
    "TeamsiteError",
    "RunStopped",
    "TeamsiteWarning",
    "DEFAULT_BASE_URL",
    "__version__",
]
