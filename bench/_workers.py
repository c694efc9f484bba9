"""Measurements in fresh processes: the environment a worker gets, running a benchmark script
again as a worker (``--worker ... --tmp ... --out ...``) and reading back the figures it wrote,
and the outcome of a measured configuration (repeats merged into medians).

Only the standard library is imported here: a worker imports this module before the tracker
whose import time it measures."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Settings of the caller's that would reach a worker's tracker (a stray NBRUN_BASE_URL would
# send the rows elsewhere, a WANDB_MODE would put wandb online): none are passed on.
_CALLER_SETTINGS = ("NBRUN_", "WANDB_", "MLFLOW_", "TRACKIO_", "HF_")


def bench_env(tmp: Path, **extra: str) -> dict[str, str]:
    """Environment for servers and workers: HOME and caches in ``tmp``, no telemetry, none of
    the caller's tracker settings, then ``extra``."""
    home = tmp / "home"
    home.mkdir(parents=True, exist_ok=True)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(_CALLER_SETTINGS) and k != "PYTHONDONTWRITEBYTECODE"
    }
    env.update(
        {
            "HOME": str(home),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "XDG_STATE_HOME": str(home / ".local" / "state"),
            "DO_NOT_TRACK": "true",
            "NBRUN_SILENT": "true",
            "MLFLOW_DISABLE_TELEMETRY": "true",
            **extra,
        }
    )
    return env


@contextlib.contextmanager
def fresh_dir(prefix: str) -> Iterator[Path]:
    """A new temporary directory, removed with everything in it on exit."""
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def last_error_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1][:300] if lines else "no output"


def add_common_options(
    parser: argparse.ArgumentParser,
    names: Sequence[str],
    workers: Sequence[str],
    server: bool = False,
) -> None:
    """``--only`` (a subset of ``names``) and ``--no-write``; and, hidden, the options a script
    is run with as a worker: which one, its temp dir, the file it writes its figures to (JSON)
    and, with ``server``, the server's process id and URL."""
    parser.add_argument("--only", default="", help=f"comma-separated subset of {','.join(names)}")
    parser.add_argument("--no-write", action="store_true", help="do not touch bench/RESULTS.md")
    parser.add_argument("--worker", choices=list(workers), help=argparse.SUPPRESS)
    parser.add_argument("--tmp", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    if server:
        parser.add_argument("--server-pid", type=int, help=argparse.SUPPRESS)
        parser.add_argument("--url", help=argparse.SUPPRESS)


def bench_parser(
    doc: str | None,
    options: Sequence[tuple[str, int, str]],
    names: Sequence[str],
    workers: Sequence[str],
    server: bool = False,
    hidden: Sequence[str] = (),
) -> argparse.ArgumentParser:
    """A benchmark's command line: its first paragraph of ``doc`` as description, ``options``
    (flag, default, help: whole numbers), the common options (see ``add_common_options``) and
    ``hidden`` options that only a worker is given."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0] if doc else None)
    for flag, default, help_text in options:
        parser.add_argument(flag, type=int, default=default, help=help_text)
    add_common_options(parser, names, workers, server)
    for flag in hidden:
        parser.add_argument(flag, help=argparse.SUPPRESS)
    return parser


def work(args: argparse.Namespace, workers: dict[str, Callable[[argparse.Namespace], Any]]) -> int:
    """In a worker process: the worker ``--worker`` names, its figures written to ``--out``."""
    args.out.write_text(json.dumps(workers[args.worker](args)))
    return 0


def run_worker(
    script: str | Path, mode: list[str], tmp: Path, env: dict[str, str], timeout_s: float
) -> dict[str, Any]:
    """``script`` with ``mode`` in a fresh interpreter, in ``tmp``; returns the figures it wrote
    or raises ``RuntimeError`` with its last error line."""
    out = tmp / "result.json"
    argv = [sys.executable, str(Path(script).resolve()), *mode, "--tmp", str(tmp)]
    argv += ["--out", str(out)]
    try:
        proc = subprocess.run(
            argv,
            cwd=tmp,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(f"timed out after {timeout_s:.0f} s") from exc
    if proc.returncode != 0 or not out.exists():
        raise RuntimeError(last_error_line(proc.stderr or proc.stdout))
    figures: dict[str, Any] = json.loads(out.read_text())
    return figures


@dataclass
class Outcome:
    """What was measured for one configuration (a tracker, a server and database, ...), or why
    it could not be."""

    name: str
    figures: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


def median_runs(
    runs: list[dict[str, Any]],
    fewest: Sequence[str] = (),
    every: Sequence[str] = (),
    total: Sequence[str] = (),
) -> dict[str, Any]:
    """Repeated runs' figures as one: the median of every float (and of every float in a dict
    of them; the machine is shared and noisy), the fewest of the counts in ``fewest`` (None if
    any run has none, so that a lossy run is not hidden), whether every run passed the checks
    in ``every``, the sum of ``total``; anything else as the last run has it."""
    merged = dict(runs[-1])
    for key, value in runs[-1].items():
        if key in fewest:
            counts = [r.get(key) for r in runs]
            merged[key] = None if None in counts else min(int(c) for c in counts if c is not None)
        elif key in every:
            merged[key] = all(bool(r[key]) for r in runs)
        elif key in total:
            merged[key] = sum(int(r.get(key, 0)) for r in runs)
        elif isinstance(value, float):
            merged[key] = statistics.median(float(r[key]) for r in runs)
        elif isinstance(value, dict):
            merged[key] = {k: statistics.median(float(r[key][k]) for r in runs) for k in value}
    merged["repeats"] = len(runs)
    return merged


def chosen(only: str, names: Sequence[str], what: str) -> list[str]:
    """``names`` (in their order) that the comma-separated ``only`` picks, all when it is empty;
    an unknown name ends the program with status 2."""
    picked = [n for n in only.split(",") if n]
    unknown = [n for n in picked if n not in names]
    if unknown:
        print(f"unknown {what}(s): {', '.join(unknown)}", file=sys.stderr)
        raise SystemExit(2)
    return [n for n in names if not picked or n in picked]
