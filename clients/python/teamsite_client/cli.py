"""The `teamsite` command: --help, --version, and `teamsite cache clean` (the artifact download cache)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ._version import __version__


def parser() -> argparse.ArgumentParser:
    command = argparse.ArgumentParser(
        prog="teamsite",
        description=(
            "The teamsite Python client. Training scripts log runs with "
            "`import teamsite_client as ts; run = ts.init(project=...)`; "
            "set TEAMSITE_BASE_URL and TEAMSITE_API_KEY to say where and as whom."
        ),
    )
    command.add_argument("--version", action="version", version=version_line())
    commands = command.add_subparsers(dest="command")
    cache = commands.add_parser("cache", help="the local artifact cache (TEAMSITE_CACHE_DIR, default ~/.cache/teamsite)")
    cache_commands = cache.add_subparsers(dest="cache_command")
    cache_commands.add_parser("clean", help="remove every cached file")
    return command


def version_line() -> str:
    return f"teamsite-client {__version__} (Python {sys.version_info.major}.{sys.version_info.minor}.{sys.version_info.micro})"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; the exit status."""
    command = parser()
    args = command.parse_args(argv)
    if args.command == "cache" and getattr(args, "cache_command", None) == "clean":
        from .artifacts import cache_dir, clean

        freed = clean()
        print(f"Removed the artifact cache at {cache_dir()} ({freed / 1e6:,.1f} MB).")
        return 0
    command.print_help()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
