"""The `teamsite` command. For now it answers --help and --version."""

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
    return command


def version_line() -> str:
    return f"teamsite-client {__version__} (Python {sys.version_info.major}.{sys.version_info.minor}.{sys.version_info.micro})"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; the exit status."""
    command = parser()
    command.parse_args(argv)
    command.print_help()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
