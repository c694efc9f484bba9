"""``nbrun sync``: upload offline runs and anything a run left un-uploaded, idempotently."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from nbrun.errors import CommError
from nbrun.record.run_dir import RunDir, iter_run_dirs, open_run_dir, run_record
from nbrun.sync.client import BackendClient
from nbrun.sync.connect import connect
from nbrun.sync.sender import RunAddress, Sender
from nbrun.sync.state import SyncState


def add_sync_command(commands: Any) -> None:
    """Register ``nbrun sync`` on the CLI's subparsers."""
    sync = commands.add_parser(
        "sync", help="upload offline runs and left-overs to the backend (safe to repeat)"
    )
    sync.add_argument(
        "paths",
        nargs="*",
        type=Path,
        help="run directories, or folders holding nbrun/ run directories (default: NBRUN_DIR "
        "and the working directory)",
    )
    sync.add_argument(
        "--include-synced", action="store_true", help="check runs already marked synced again"
    )
    sync.add_argument(
        "--base-url",
        help="backend URL (default: NBRUN_BASE_URL, else the embedded server, started if needed)",
    )
    sync.add_argument("--api-key", help="API key for --base-url (default: NBRUN_API_KEY)")
    sync.set_defaults(handler=run_sync)


def run_sync(args: argparse.Namespace) -> int:
    run_dirs: list[RunDir] = []
    default_roots = [Path(os.environ["NBRUN_DIR"])] if os.environ.get("NBRUN_DIR") else []
    for path in args.paths or [*default_roots, Path.cwd()]:
        if (path / "nbrun").is_dir() or path.name == "nbrun":
            run_dirs.extend(iter_run_dirs(path if path.name != "nbrun" else path.parent))
        else:
            try:
                run_dirs.append(open_run_dir(path))
            except FileNotFoundError as exc:
                print(f"nbrun sync: {exc}", file=sys.stderr)
                return 2
    todo = [d for d in run_dirs if args.include_synced or not SyncState.load(d.path).synced]
    if not todo:
        print("nothing to sync")
        return 0
    try:
        client = connect(
            args.base_url or os.environ.get("NBRUN_BASE_URL"),
            args.api_key or os.environ.get("NBRUN_API_KEY"),
        )
    except CommError as exc:
        print(f"nbrun sync: {exc}", file=sys.stderr)
        return 1
    failed = sum(not _sync_one(run_dir, client) for run_dir in todo)
    client.close()
    print(f"{len(todo) - failed} of {len(todo)} run(s) synced to {client.backend.url}")
    return 1 if failed else 0


def _sync_one(run_dir: RunDir, client: BackendClient) -> bool:
    head = run_record(run_dir)
    if not head:
        print(f"{run_dir.path}: no run record yet, skipped", file=sys.stderr)
        return False
    address = RunAddress(head["entity"], head["project"], head["id"])
    problems: list[str] = []  # files or blobs the backend refused, said after the bar
    sender = Sender(
        run_dir.path, run_dir.log_path, address, client, live=False, on_problem=problems.append
    )
    total = run_dir.log_path.stat().st_size
    sender.close_log()
    sender.start()
    label = f"{address.entity}/{address.project}/{address.run_id}"
    while not sender.wait(0.5):
        done = total - sender.pending_bytes()
        error = f"  (retrying: {sender.last_error})" if sender.last_error else ""
        print(f"\r{label}: {_bar(done, total)}{error}", end="", file=sys.stderr, flush=True)
        if sender.rejected:
            break
    sender.stop()
    ok = sender.state.synced
    status = "synced" if ok else f"failed: {sender.last_error}"
    print(f"\r{label}: {_bar(total - sender.pending_bytes(), total)} {status}", file=sys.stderr)
    for problem in problems:
        print(f"{label}: {problem}", file=sys.stderr)
    if sender.state.refused_count:
        print(f"{label}: {sender.refusal_summary()}", file=sys.stderr)
    if sender.state.crash_reported:
        print(f"{label}: its process ended without finishing the run: marked crashed")
    return ok


def _bar(done: int, total: int, width: int = 30) -> str:
    fraction = 1.0 if total <= 0 else min(1.0, done / total)
    filled = int(fraction * width)
    return f"[{'#' * filled}{'.' * (width - filled)}] {fraction:4.0%}"
