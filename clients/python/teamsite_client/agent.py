"""Sweep agents: ask the server for the next parameters, run the training with them, repeat.

    ts.agent(sweep="team/project/SWEEP_ID", function=train, count=10)   # in this process
    teamsite agent team/project/SWEEP_ID --count 10 -- python train.py   # a command per run

Each run is made by the server (POST .../sweeps/{id}/next, which never hands two
agents the same grid point) and handed over through the environment:
TEAMSITE_TEAM, TEAMSITE_PROJECT, TEAMSITE_SWEEP_ID, TEAMSITE_RUN_ID and
TEAMSITE_SWEEP_PARAMS (JSON); `ts.init()` in the training code takes that run
over, with the parameters as its config. A command also gets them as
`--name=value` arguments. The agent stops when the sweep answers 204 (exhausted,
paused, finished or cancelled) or after `count` runs. A run whose function raised
or whose command failed is marked failed; a run whose agent died goes silent and
the server marks it crashed, handing its grid point out again.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import contextmanager

from . import credentials
from .errors import TeamsiteError
from .run import open_runs
from .transport import HTTPStatusError, Offline, Transport, backoff, quote

logger = logging.getLogger("teamsite_client")
MAX_FAILURES_IN_A_ROW = 5


def parse_sweep(sweep: str, team: str | None = None, project: str | None = None) -> tuple[str, str, str]:
    """"team/project/ID", "project/ID" or "ID" (with TEAMSITE_TEAM / TEAMSITE_PROJECT) -> (team, project, id)."""
    parts = [part for part in sweep.strip("/").split("/") if part]
    if len(parts) == 3:
        return parts[0], parts[1], parts[2]
    team = team or os.environ.get("TEAMSITE_TEAM")
    project = parts[0] if len(parts) == 2 else (project or os.environ.get("TEAMSITE_PROJECT"))
    if not (team and project and parts):
        raise TeamsiteError("Name the sweep as team/project/SWEEP_ID.")
    return team, project, parts[-1]


class Agent:
    def __init__(self, sweep: str, *, base_url: str | None = None, api_key: str | None = None, name: str | None = None):
        self.team, self.project, self.sweep_id = parse_sweep(sweep)
        base_url, api_key = credentials.resolve(base_url, api_key)
        if not api_key:
            raise TeamsiteError("No API key: run `teamsite login`, or set TEAMSITE_API_KEY.")
        self.transport = Transport(base_url, api_key)
        self.name = name or f"{os.uname().nodename if hasattr(os, 'uname') else 'agent'}-{os.getpid()}"
        self.path = f"/teams/{quote(self.team)}/projects/{quote(self.project)}/sweeps/{quote(self.sweep_id)}"

    def next(self) -> dict | None:
        """The next run {run_id, config, ...}, or None when the sweep has no more; retries an unreachable server."""
        attempts = 0
        while True:
            attempts += 1
            try:
                return self.transport.request("POST", f"{self.path}/next", {"agent": self.name})
            except HTTPStatusError as exc:
                if exc.status < 500 and exc.status != 429:
                    raise TeamsiteError(exc.message, status=exc.status, code=exc.code) from None
            except Offline as exc:
                if attempts >= 20:
                    raise TeamsiteError(f"Cannot reach {self.transport.base_url} ({exc}).") from None
            time.sleep(backoff(attempts))

    def run_path(self, run_id: str) -> str:
        return f"/teams/{quote(self.team)}/projects/{quote(self.project)}/runs/{quote(run_id)}"

    def mark_failed(self, run_id: str) -> None:
        """A run whose training failed before (or without) ending itself."""
        try:
            current = self.transport.request("GET", self.run_path(run_id)) or {}
            if current.get("state") == "running":
                self.transport.request("PATCH", self.run_path(run_id), {"state": "failed"})
        except (HTTPStatusError, Offline) as exc:
            logger.warning("teamsite: could not mark %s failed: %s", run_id, exc)

    def environment(self, given: dict) -> dict:
        return {
            "TEAMSITE_BASE_URL": self.transport.base_url,
            "TEAMSITE_API_KEY": self.transport.api_key,
            "TEAMSITE_TEAM": self.team,
            "TEAMSITE_PROJECT": given.get("project") or self.project,
            "TEAMSITE_SWEEP_ID": self.sweep_id,
            "TEAMSITE_RUN_ID": given["run_id"],
            "TEAMSITE_SWEEP_PARAMS": json.dumps(given.get("config") or {}),
        }


@contextmanager
def _environ(values: dict):
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def agent(sweep: str, function: Callable[[], object], count: int | None = None, *, base_url: str | None = None, api_key: str | None = None) -> int:
    """Run `function` for each run the sweep hands out (at most `count`); the number of runs.

    Inside `function`, `ts.init(...)` takes the sweep's run over and `run.config`
    holds the parameters. An exception in `function` marks the run failed and the
    agent goes on (it gives up after 5 failures in a row)."""
    worker = Agent(sweep, base_url=base_url, api_key=api_key)
    done = failures = 0
    while count is None or done < count:
        given = worker.next()
        if not given:
            break
        done += 1
        with _environ(worker.environment(given)):
            try:
                function()
                failed = False
            except Exception:
                logger.exception("teamsite: the sweep run %s failed", given["run_id"])
                failed = True
            for run in list(open_runs):  # the function left its run open: end it as it went
                if run.run_id == given["run_id"]:
                    run.finish(state="failed" if failed else "finished")
        if failed:
            worker.mark_failed(given["run_id"])
            failures += 1
            if failures >= MAX_FAILURES_IN_A_ROW:
                logger.error("teamsite: %d runs failed in a row; the agent stops.", failures)
                break
        else:
            failures = 0
    return done


def command_args(config: dict) -> list[str]:
    return [f"--{key}={json.dumps(value) if isinstance(value, (dict, list)) else value}" for key, value in config.items()]


def agent_command(sweep: str, command: Sequence[str], count: int | None = None, *, base_url=None, api_key=None, out=sys.stdout) -> int:
    """`teamsite agent`: run `command --name=value ...` for each run of the sweep; the exit status."""
    if not command:
        raise TeamsiteError("Give the command to run after --, e.g. teamsite agent team/project/ID -- python train.py")
    worker = Agent(sweep, base_url=base_url, api_key=api_key)
    done = failures = 0
    while count is None or done < count:
        given = worker.next()
        if not given:
            print(f"teamsite agent: the sweep {worker.sweep_id} has no more runs for now.", file=out)
            break
        done += 1
        args = [*command, *command_args(given.get("config") or {})]
        print(f"teamsite agent: run {given['run_id']}: {' '.join(args)}", file=out, flush=True)
        env = {**os.environ, **worker.environment(given)}
        try:
            code = subprocess.call(args, env=env)
        except OSError as exc:
            print(f"teamsite agent: cannot start {command[0]}: {exc}", file=out)
            code = 127
        if code != 0:
            worker.mark_failed(given["run_id"])
            failures += 1
            if failures >= MAX_FAILURES_IN_A_ROW:
                print(f"teamsite agent: {failures} runs failed in a row; stopping.", file=out)
                return 1
        else:
            failures = 0
    return 0


