"""The ``nbrun`` command line: ``nbrun server``, ``nbrun sync``, ``nbrun ls``."""

from __future__ import annotations

import argparse
import datetime
import sys
from collections.abc import Sequence
from pathlib import Path


def _list_runs(args: argparse.Namespace) -> int:
    from nbrun.apis.api import Api, local_runs

    if args.dirs:
        runs = local_runs(args.project, [Path(d) for d in args.dirs])
    else:
        runs = Api().runs(args.project)
    if not runs:
        print("no runs found", file=sys.stderr)
        return 1
    print(f"{'started':<19}  {'state':<10}  {'steps':>7}  path / name")
    for run in runs:
        started = datetime.datetime.fromtimestamp(run.start_time or 0).strftime("%Y-%m-%d %H:%M:%S")
        steps = "-" if run.last_step is None else str(run.last_step + 1)
        print(f"{started:<19}  {run.state:<10}  {steps:>7}  {run.path}  {run.name}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from nbrun import __version__

    parser = argparse.ArgumentParser(prog="nbrun", description=__doc__)
    parser.add_argument("--version", action="version", version=f"nbrun {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    ls = commands.add_parser(
        "ls",
        help="list this machine's runs, newest first: every folder runs were recorded under, "
        "and the embedded server's (or NBRUN_BASE_URL's) runs",
    )
    ls.add_argument("project", nargs="?", help="only runs of this project (or entity/project)")
    ls.add_argument(
        "--dir",
        dest="dirs",
        action="append",
        default=[],
        help="only the runs recorded under this folder (repeatable)",
    )
    ls.set_defaults(handler=_list_runs)
    from nbrun.server.cli import add_server_commands
    from nbrun.sync.command import add_sync_command

    add_server_commands(commands)
    add_sync_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``nbrun`` command."""
    args = build_parser().parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    raise SystemExit(main())
