"""Logging-overhead benchmark: nbrun against the trackers a user would pick instead.

Each tracker runs in its own fresh subprocess (imports, threads, helper processes and RSS are
isolated), with every file it writes -- and its HOME, caches and working directory -- in a fresh
temporary directory, and with every network-facing feature switched off (wandb offline, trackio
local-only, mlflow against a local sqlite file, telemetry disabled).

Per tracker: import time, init time, per-call ``log`` latency (median and p99) over ``--rows``
calls with 10 scalar float keys, finish time, end-to-end rows/s (first log call until finish
returns), CPU per row across the whole process tree, peak RSS and RSS growth. nbrun also runs a
``--big-rows`` pass to show that RSS stays flat as rows grow.

Usage (from the repo root, after ``bash bench/setup.sh``)::

    bench/.venv/bin/python bench/log_overhead.py [--rows N] [--big-rows N] [--only a,b] [--no-write]

The table is printed and, unless ``--no-write``, written to ``bench/RESULTS.md`` under
"## log_overhead" (other sections of that file are kept).
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from array import array
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _measure import dir_bytes, own_tree_cpu_s, own_tree_rss, self_cpu_s
from _report import (
    Section,
    Target,
    figure_table,
    markdown_table,
    prose,
    ratios,
    spec_rows,
    version_of,
)
from _trackers import TRACKERS, local_env
from _workers import Outcome, bench_parser, chosen, fresh_dir, median_runs, run_worker

SECTION = "## log_overhead"

NAMES = ("nbrun", "wandb", "trackio", "mlflow")
LABELS = {
    "nbrun": "nbrun",
    "wandb": "wandb (offline)",
    "trackio": "trackio",
    "mlflow": "mlflow (async)",
    "noop": "no-op log",
}
# The longer run is skipped for mlflow: at ~150 rows/s, 100,000 rows would take over 10 minutes.
PEERS_AT_LONGER_RUN = ("wandb", "trackio")
# Measured runs per tracker, each in a fresh process; every figure quoted is the median over
# them. mlflow gets one: at ~150 rows/s a single 20,000-row run takes over two minutes.
RUN_REPEATS = 5
SINGLE_RUN = ("mlflow",)
IMPORT_REPEATS = 3  # fresh-process imports per tracker (after one warm-up); the median is quoted
WORKER_TIMEOUT_S = 420.0  # hard bound on any one subprocess


# --------------------------------------------------------------------------------------------
# Worker side: runs inside the fresh subprocess.  Only the standard library (and bench/'s
# modules, which import nothing else) is imported before the tracker itself, so that the
# measured import time is the tracker's alone.
# --------------------------------------------------------------------------------------------


def worker(tracker: str, rows: int, checkpoints: Sequence[int], tmp: Path, out: Path) -> None:
    """Measure one tracker in this (fresh) process and write the figures as JSON to ``out``."""
    adapter = TRACKERS[tracker]()
    pc = time.perf_counter_ns

    t0 = pc()
    adapter.import_()
    import_ns = pc() - t0

    # Allocated and touched before the baseline, so that the harness's own storage is not
    # counted as the tracker's RSS growth.
    lat = array("q", bytes(8 * rows))

    t0 = pc()
    adapter.start(tmp)
    init_ns = pc() - t0

    gc.collect()
    own0, helpers0, _ = own_tree_rss()
    rss_base = own0 + helpers0
    log = adapter.log_fn()
    rss_at: dict[int, int] = {}
    # Wall and CPU time spent sampling RSS at checkpoints, removed from the tracker's figures.
    probe_ns = 0
    probe_cpu_s = 0.0
    checkpoint_set = {*checkpoints, rows}

    cpu0 = own_tree_cpu_s()
    start = pc()
    for i in range(rows):
        # _trackers.row_values(i), written out: a call per row would add to the harness
        # overhead that every rows/s and CPU figure includes.
        x = i * 1e-3
        d = {
            "m0": x,
            "m1": x + 1.0,
            "m2": x * 0.5,
            "m3": x * 0.25,
            "m4": -x,
            "m5": x * x,
            "m6": 1.0 / (1.0 + x),
            "m7": x + 0.125,
            "m8": x * 2.0,
            "m9": x - 3.0,
        }
        t = pc()
        log(d)
        lat[i] = pc() - t
        if i + 1 in checkpoint_set:
            p, p_cpu = pc(), self_cpu_s()
            own, helpers, _ = own_tree_rss()
            rss_at[i + 1] = own + helpers
            probe_cpu_s += self_cpu_s() - p_cpu
            probe_ns += pc() - p
    rss_end = rss_at[rows]
    t = pc()
    adapter.finish()
    end = pc()
    cpu1 = own_tree_cpu_s()
    finish_ns = end - t
    _, _, peak = own_tree_rss()

    elapsed_ns = end - start - probe_ns
    ordered = sorted(lat)
    result: dict[str, Any] = {
        "tracker": tracker,
        "rows": rows,
        "import_ms": import_ns / 1e6,
        "init_ms": init_ns / 1e6,
        "median_us": ordered[rows // 2] / 1e3 if rows else 0.0,
        "p99_us": ordered[min(rows - 1, (rows * 99) // 100)] / 1e3 if rows else 0.0,
        "max_us": ordered[-1] / 1e3 if rows else 0.0,
        "finish_ms": finish_ns / 1e6,
        "rows_per_s": rows / (elapsed_ns / 1e9) if elapsed_ns else 0.0,
        "cpu_us_per_row": (cpu1 - cpu0 - probe_cpu_s) / rows * 1e6 if rows else 0.0,
        "peak_rss_mb": peak / 2**20,
        "rss_base_mb": rss_base / 2**20,
        "helpers_rss_mb": helpers0 / 2**20,
        "rss_growth_mb": (rss_end - rss_base) / 2**20,
        "rss_growth_at": {str(k): (v - rss_base) / 2**20 for k, v in sorted(rss_at.items())},
        "disk_mb": dir_bytes(tmp, skip="home") / 2**20,
    }
    try:
        result["persisted_rows"] = adapter.persisted_rows(tmp)
    except Exception as e:  # a failed read-back is reported, not fatal
        result["persisted_rows"] = None
        result["persisted_error"] = f"{type(e).__name__}: {e}"
    out.write_text(json.dumps(result))


def import_only(tracker: str, out: Path) -> None:
    pc = time.perf_counter_ns
    adapter = TRACKERS[tracker]()
    t0 = pc()
    adapter.import_()
    out.write_text(json.dumps({"import_ms": (pc() - t0) / 1e6}))


# --------------------------------------------------------------------------------------------
# Driver side.
# --------------------------------------------------------------------------------------------


def run_once(tracker: str, mode: list[str]) -> dict[str, Any]:
    """This script as ``tracker``'s worker in a fresh interpreter and temp dir, all local."""
    with fresh_dir(f"bench-{tracker}-") as tmp:
        argv = ["--worker", tracker, *mode]
        return run_worker(__file__, argv, tmp, local_env(tmp), WORKER_TIMEOUT_S)


def measure(
    tracker: str, rows: int, checkpoints: Sequence[int], imports: bool, repeats: int = 1
) -> Outcome:
    import_ms = None
    try:
        if imports:
            # One warm-up (compiles .pyc files, warms the page cache), then fresh-process repeats.
            run_once(tracker, ["--import-only"])
            samples = [run_once(tracker, ["--import-only"]) for _ in range(IMPORT_REPEATS)]
            import_ms = statistics.median(float(s["import_ms"]) for s in samples)
        mode = ["--rows", str(rows), "--checkpoints", ",".join(str(c) for c in checkpoints)]
        runs = [run_once(tracker, mode) for _ in range(repeats)]
    except RuntimeError as exc:
        return Outcome(tracker, error=str(exc))
    figures = median_runs(runs, fewest=["persisted_rows"])
    if import_ms is not None:
        figures["import_ms"] = import_ms
    return Outcome(tracker, figures)


# --------------------------------------------------------------------------------------------
# Report.
# --------------------------------------------------------------------------------------------

# Targets from the issue, for nbrun's 20k-row figures.
TARGETS = {
    "median_us": Target(3.0),
    "p99_us": Target(20.0),
    "rows_per_s": Target(200_000.0, at_least=True),
    "cpu_us_per_row": Target(5.0),
    "finish_ms": Target(50.0),
    "rss_growth_mb": Target(40.0),
}

ROWS_SPEC = [  # (key, label, format)
    ("import_ms", "import (ms)", "{:.0f}"),
    ("init_ms", "init (ms)", "{:.0f}"),
    ("median_us", "log median (µs/call)", "{:.2f}"),
    ("p99_us", "log p99 (µs/call)", "{:.2f}"),
    ("max_us", "log max (µs/call)", "{:.0f}"),
    ("finish_ms", "finish (ms)", "{:.0f}"),
    ("rows_per_s", "end-to-end rows/s", "{:,.0f}"),
    ("cpu_us_per_row", "CPU per row, all threads+helpers (µs)", "{:.1f}"),
    ("peak_rss_mb", "peak RSS, all processes (MB)", "{:.0f}"),
    ("helpers_rss_mb", "  of which helper processes at init (MB)", "{:.0f}"),
    ("rss_growth_mb", "RSS growth after import+init (MB)", "{:.1f}"),
    ("disk_mb", "bytes on disk (MB)", "{:.1f}"),
    ("persisted_rows", "rows read back after finish", "{:,}"),
]

RATIOS = [
    ("median_us", "log median latency (lower is better)"),
    ("p99_us", "log p99 latency (lower is better)"),
    ("rows_per_s", "end-to-end rows/s (higher is better)"),
    ("cpu_us_per_row", "CPU per row (lower is better)"),
]


def _shown(o: Outcome, key: str, fmt: str, value: Any) -> str:
    """``value`` as ``fmt`` says; nbrun's carry the issue's targets ✓/✗."""
    text = fmt.format(value)
    return TARGETS[key].marked(text, float(value)) if o.name == "nbrun" else text


def scaling_table(big: list[Outcome]) -> str:
    """Longer runs (separate processes): is RSS flat in rows, does throughput hold?"""
    checkpoints = sorted(
        {int(k) for o in big if o.error is None for k in o.figures.get("rss_growth_at", {})}
    )
    header = ["longer run", "rows/s", "median µs", "p99 µs", "CPU µs/row", "finish ms"]
    header += [f"RSS growth @{c:,} (MB)" for c in checkpoints]
    rows = []
    for o in big:
        if o.error is not None:
            rows.append([LABELS[o.name], *(["n/a"] * (len(header) - 1))])
            continue
        f = o.figures
        growth = f.get("rss_growth_at", {})
        # finish's target is for 20k rows only
        rows.append(
            [
                f"{LABELS[o.name]}, {f.get('rows', 0):,} rows",
                _shown(o, "rows_per_s", "{:,.0f}", f["rows_per_s"]),
                _shown(o, "median_us", "{:.2f}", f["median_us"]),
                _shown(o, "p99_us", "{:.2f}", f["p99_us"]),
                _shown(o, "cpu_us_per_row", "{:.1f}", f["cpu_us_per_row"]),
                f"{f['finish_ms']:.0f}",
                *(
                    _shown(o, "rss_growth_mb", "{:+.1f}", growth[str(c)])
                    if str(c) in growth
                    else "–"
                    for c in checkpoints
                ),
            ]
        )
    errors = [f"{LABELS[o.name]} failed: `{o.error}`" for o in big if o.error is not None]
    return "\n\n".join([markdown_table(header, rows), *errors])


def build_report(
    outcomes: list[Outcome], big: list[Outcome], noop: Outcome, args: argparse.Namespace
) -> str:
    failed = [o for o in outcomes if o.error is not None]
    footnote = {o.name: f" [{i}]" for i, o in enumerate(failed, 1)}
    columns = [(LABELS[o.name] + footnote.get(o.name, ""), o) for o in outcomes]
    targets = TARGETS if any(o.name == "nbrun" for o in outcomes) else None
    rows = spec_rows(ROWS_SPEC, targets, ours=lambda o: o.name == "nbrun")
    parts = [figure_table(f"figure ({args.rows:,} rows)", columns, rows)]

    nb = next((o for o in outcomes if o.name == "nbrun" and o.error is None), None)
    peers = [o for o in outcomes if o.name != "nbrun" and o.error is None]
    if nb is not None and peers:
        columns_ = [(LABELS[p.name], nb.figures, p.figures) for p in peers]
        parts.append("Ratios nbrun / peer:\n\n" + ratios("ratio nbrun / peer", RATIOS, columns_))

    if big:
        parts.append(scaling_table(big))
    if noop.error is None:
        parts.append(prose("log_overhead")["harness"].format(**noop.figures))
    if failed:
        parts.append(
            "\n".join(
                f"[{i}] {LABELS[o.name]} failed: `{o.error}`" for i, o in enumerate(failed, 1)
            )
        )
    return "\n\n".join(parts)


OPTIONS = [  # (flag, default, help)
    ("--rows", 20_000, "log calls per tracker (20000)"),
    ("--big-rows", 1_000_000, "rows for nbrun's separate RSS-flatness run (1000000; 0 skips it)"),
    (
        "--peer-rows",
        100_000,
        f"rows for the peers' longer run ({', '.join(PEERS_AT_LONGER_RUN)} only; 0 skips it)",
    ),
]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = bench_parser(__doc__, OPTIONS, NAMES, sorted(TRACKERS))
    p.add_argument("--import-only", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--checkpoints", default="", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.rows < 1 or args.big_rows < 0 or args.peer_rows < 0:
        p.error("--rows must be >= 1, --big-rows and --peer-rows >= 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker and args.import_only:
        import_only(args.worker, args.out)
        return 0
    if args.worker:
        cps = [int(c) for c in args.checkpoints.split(",") if c]
        worker(args.worker, args.rows, cps, args.tmp, args.out)
        return 0

    chosen_names = chosen(args.only, NAMES, "tracker")
    section = Section(SECTION, __file__)
    outcomes = []
    for tracker in chosen_names:
        print(f"measuring {LABELS[tracker]} ({args.rows:,} rows)...", file=sys.stderr, flush=True)
        repeats = 1 if tracker in SINGLE_RUN else RUN_REPEATS
        outcomes.append(measure(tracker, args.rows, [args.rows], imports=True, repeats=repeats))
    big = []
    ok = {o.name for o in outcomes if o.error is None}
    for tracker, rows in [("nbrun", args.big_rows)] + [
        (p, args.peer_rows) for p in PEERS_AT_LONGER_RUN
    ]:
        if tracker not in ok or rows <= 0:
            continue
        print(f"measuring {LABELS[tracker]} at {rows:,} rows...", file=sys.stderr, flush=True)
        cps = sorted({c for c in (20_000, 100_000, rows) if c <= rows})
        big.append(measure(tracker, rows, cps, imports=False))
    noop = measure("noop", args.rows, [args.rows], imports=False, repeats=RUN_REPEATS)

    versions = [f"{n} {version_of(n)}" for n in NAMES] + [f"psutil {version_of('psutil')}"]
    method = prose("log_overhead")["method"]
    method = method.format(import_repeats=IMPORT_REPEATS, run_repeats=RUN_REPEATS)
    report = build_report(outcomes, big, noop, args)
    section.publish(versions, [report, method], write=not args.no_write)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
