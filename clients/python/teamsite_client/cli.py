"""The `teamsite` command: login, sync, agent, artifact get|put, cache clean (and --help, --version).

Each subcommand is one entry of COMMANDS: (help, a function adding its arguments,
a function running it). Other features add their own entry (`cache` for the artifact cache).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from . import credentials
from ._version import __version__
from .errors import TeamsiteError
from .transport import HTTPStatusError, Offline, Transport


def version_line() -> str:
    return f"teamsite-client {__version__} (Python {sys.version_info.major}.{sys.version_info.minor}.{sys.version_info.micro})"


# --- login ------------------------------------------------------------------------------


def _login_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", required=True, help="the site, e.g. https://teamsite.example.org")
    p.add_argument("--key", help="an API key (Settings > API keys); asked for when left out")
    p.add_argument("--no-check", action="store_true", help="save without asking the server whether the key works")


def _login(args) -> int:
    key = args.key or getpass.getpass(f"API key for {args.host} (Settings > API keys): ").strip()
    if not key:
        print("teamsite login: no key given; nothing was saved.", file=sys.stderr)
        return 2
    who = None
    if not args.no_check:
        try:
            who = Transport(args.host, key).request("GET", "/viewer") or {}
        except HTTPStatusError as exc:
            print(f"teamsite login: {args.host} refused that key ({exc.status}: {exc.message}); nothing was saved.", file=sys.stderr)
            return 1
        except Offline as exc:
            print(f"teamsite login: cannot reach {args.host} ({exc}); nothing was saved (use --no-check to save anyway).", file=sys.stderr)
            return 1
    path = credentials.write(args.host, key)
    name = f" as {who.get('username')}" if who and who.get("username") else ""
    print(f"Signed in to {args.host}{name}; the key is saved in {path} (readable by you alone).")
    return 0


# --- sync -------------------------------------------------------------------------------


def _sync_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("dirs", nargs="+", metavar="DIR", help="run folders (offline-run-* or run-*), or a TEAMSITE_DIR holding them")
    p.add_argument("--host", help="the site (default: the folder's, then TEAMSITE_BASE_URL, then teamsite login's)")
    p.add_argument("--key", help="the API key (default: TEAMSITE_API_KEY, then teamsite login's)")


def _run_folders(paths: Sequence[str]) -> list[Path]:
    from .journal import INFO

    found = []
    for raw in paths:
        path = Path(raw)
        if (path / INFO).is_file():
            found.append(path)
        elif path.is_dir():
            found.extend(sorted(child for child in path.iterdir() if (child / INFO).is_file()))
        else:
            print(f"teamsite sync: {raw} is not a run folder.", file=sys.stderr)
    return found


def _sync(args) -> int:
    from .journal import RunFolder, sync

    status = 0
    for path in _run_folders(args.dirs):
        folder = RunFolder(path)
        info = folder.info
        base_url, key = credentials.resolve(args.host or info.get("base_url") or None, args.key)
        if not key:
            print("teamsite sync: no API key: run `teamsite login --host URL` or set TEAMSITE_API_KEY.", file=sys.stderr)
            return 1
        try:
            sent, problems = sync(folder, Transport(base_url, key))
        except Offline as exc:
            print(f"teamsite sync: cannot reach {base_url} ({exc}); {path} keeps the rest, run sync again later.", file=sys.stderr)
            status = 1
            continue
        except HTTPStatusError as exc:
            print(f"teamsite sync: {base_url} answered {exc.status} ({exc.message}); {path} keeps the rest.", file=sys.stderr)
            status = 1
            continue
        for problem in problems:
            print(f"teamsite sync: refused: {problem}", file=sys.stderr)
        where = f"{base_url}/{info.get('team')}/{info.get('project')}/runs/{info.get('run_id')}/"
        print(f"{path}: {sent} request{'s' if sent != 1 else ''} sent" + (" (already in sync)" if not sent else "") + f": {where}")
    return status


# --- agent ------------------------------------------------------------------------------


def _agent_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("sweep", metavar="TEAM/PROJECT/SWEEP_ID")
    p.add_argument("--count", type=int, help="stop after this many runs")
    p.epilog = "After --, the command to run for each run, e.g. -- python train.py (it gets the parameters as --name=value)."


def _agent(args) -> int:
    from .agent import agent_command

    command = list(getattr(args, "after_dashes", None) or [])
    return agent_command(args.sweep, command, count=args.count)


# --- artifacts and their cache -------------------------------------------------------------


def _artifact_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", help="the site (default: TEAMSITE_BASE_URL or `teamsite login`)")
    p.add_argument("--key", help="an API key (default: TEAMSITE_API_KEY or `teamsite login`)")
    actions = p.add_subparsers(dest="artifact_action", metavar="ACTION", required=True)
    put = actions.add_parser("put", help="log files or folders as a new version of an artifact")
    put.add_argument("artifact", metavar="TEAM/PROJECT/NAME")
    put.add_argument("paths", nargs="+", metavar="PATH", help="files and folders (folders keep their inner paths)")
    put.add_argument("--type", required=True, help="e.g. dataset or model")
    put.add_argument("--alias", action="append", default=[], help="an alias for the new version (repeatable)")
    put.add_argument("--description", default="")
    get = actions.add_parser("get", help="download a version of an artifact, every file checked by sha256")
    get.add_argument("artifact", metavar="TEAM/PROJECT/NAME[:VERSION]", help="VERSION is vN or an alias (default: latest)")
    get.add_argument("--root", help="where to put the files (default ./artifacts/NAME-vN)")


def _artifact(args) -> int:
    from urllib.parse import quote

    from .artifacts import Artifact, UsedArtifact, _call, log_artifact

    base_url, key = credentials.resolve(args.host, args.key)
    if not key:
        raise TeamsiteError("no API key: run `teamsite login --host URL` or set TEAMSITE_API_KEY.")
    ref, _, version = args.artifact.partition(":")
    parts = ref.split("/")
    if len(parts) != 3 or not all(parts):
        raise TeamsiteError(f"name the artifact as TEAM/PROJECT/NAME, not {ref!r}.")
    team, project, name = parts
    transport = Transport(base_url, key)
    if args.artifact_action == "put":
        if version:
            raise TeamsiteError("put makes a new version: leave out the :VERSION (use --alias to name it).")
        art = Artifact(name, type=args.type, description=args.description)
        for path in args.paths:
            (art.add_dir if Path(path).is_dir() else art.add_file)(path)
        made = log_artifact(transport, team, project, art, aliases=args.alias)
        print(f"{team}/{project}/{name}:{made['version']} {'logged' if made.get('created', True) else 'unchanged (the same content as the newest version)'}")
        return 0
    info = _call(transport, "GET", f"/teams/{quote(team)}/projects/{quote(project)}/artifacts/{quote(name)}/versions/{quote(version or 'latest')}")
    info.update(project=project, artifact=name)
    folder = UsedArtifact(transport, team, info).download(args.root)
    print(f"{team}/{project}/{name}:{info['version']} -> {folder}")
    return 0


def _cache_args(p: argparse.ArgumentParser) -> None:
    actions = p.add_subparsers(dest="cache_action", metavar="ACTION", required=True)
    actions.add_parser("clean", help="remove every cached file")


def _cache(args) -> int:
    from .cache import cache_dir, clean

    freed = clean()
    print(f"Removed the artifact cache at {cache_dir()} ({freed / 1e6:,.1f} MB).")
    return 0


COMMANDS: dict[str, tuple[str, Callable, Callable]] = {
    "artifact": ("put files into a new artifact version, or get a version's files", _artifact_args, _artifact),
    "cache": ("the local artifact cache (TEAMSITE_CACHE_DIR, default ~/.cache/teamsite)", _cache_args, _cache),
    "login": ("save the site's address and your API key for this machine", _login_args, _login),
    "sync": ("send runs logged offline (or left on disk while the server was away)", _sync_args, _sync),
    "agent": ("run a sweep's agent: ask for parameters, run the command, repeat", _agent_args, _agent),
}


def parser() -> argparse.ArgumentParser:
    command = argparse.ArgumentParser(
        prog="teamsite",
        description=(
            "The teamsite Python client. Training scripts log runs with "
            "`import teamsite_client as ts; run = ts.init(project=...)`; "
            "`teamsite login` or TEAMSITE_BASE_URL and TEAMSITE_API_KEY say where and as whom."
        ),
    )
    command.add_argument("--version", action="version", version=version_line())
    sub = command.add_subparsers(dest="subcommand", metavar="COMMAND")
    for name, (summary, add_args, _) in COMMANDS.items():
        add_args(sub.add_parser(name, help=summary, description=summary))
    return command


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; the exit status."""
    command = parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    after = []
    if "--" in argv:  # what follows -- is a command of its own (teamsite agent ... -- python train.py)
        at = argv.index("--")
        argv, after = argv[:at], argv[at + 1 :]
    args = command.parse_args(argv)
    args.after_dashes = after
    if not args.subcommand:
        command.print_help()
        return 0
    try:
        return COMMANDS[args.subcommand][2](args)
    except TeamsiteError as exc:
        print(f"teamsite {args.subcommand}: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
