"""Media logging benchmark (issue 13, "Speed"): nbrun against wandb (offline) and trackio.

Workloads (bench/_media_workloads.py): (a) one 224×224×3 uint8 image per step, (b) a 64-bin
histogram of 10,000 floats per step, (c) one 10,000-row Table whose rows hold an id, a score
and a 32×32×3 Image, logged once, (d) a 16-frame 64×64 RGB GIF video per step; and (a) again,
longer, to show whether memory stays bounded under a log-every-step image loop.

Each tracker and workload runs in its own fresh subprocess (as bench/log_overhead.py does),
with its files, HOME and caches in a fresh temp dir and every network feature off. Per
tracker: caller-thread time per step (constructing the media object and the ``log`` call,
median and p99), end-to-end steps/s (first log call until finish returns), CPU per step over
all threads and helper processes, peak RSS, RSS growth, and how many logged values were read
back after finish.

Usage (from the repo root, after ``bash bench/setup.sh``)::

    bench/.venv/bin/python bench/media_log.py [--images N] [--long-images N] [--only a,b]
        [--workloads image,histogram,table,video] [--no-write]

The tables are printed and, unless ``--no-write``, written to ``bench/RESULTS.md`` under
"## media_log" (other sections of that file are kept).
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from array import array
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _measure import dir_bytes, own_tree_cpu_s, own_tree_rss, self_cpu_s
from _media_workloads import READ_BACK, WORKLOADS, ffmpeg_path
from _report import Section, markdown_table, prose, ratios, spec_table, version_of
from _trackers import TRACKERS, local_env
from _workers import Outcome, bench_parser, chosen, fresh_dir, median_runs, run_worker

SECTION = "## media_log"

NAMES = ("nbrun", "wandb", "trackio")
LABELS = {"nbrun": "nbrun", "wandb": "wandb (offline)", "trackio": "trackio"}
WORKER_TIMEOUT_S = 300.0  # hard bound on any one subprocess
# The goal: nbrun's caller-thread cost per image at least 50 times below wandb's.
IMAGE_GOAL = 50.0


# --------------------------------------------------------------------------------------------
# Worker side: runs inside the fresh subprocess.
# --------------------------------------------------------------------------------------------


def worker(
    tracker: str, workload: str, size: int, checkpoints: Sequence[int], tmp: Path, out: Path
) -> None:
    """Measure one tracker on one workload of ``size`` steps (the table: rows, in one step) in
    this (fresh) process; figures as JSON to ``out``."""
    adapter = TRACKERS[tracker]()
    pc = time.perf_counter_ns
    adapter.import_()
    w = WORKLOADS[workload]
    raw_input = w.inputs(size)
    steps = 1 if workload == "table" else size
    build = w.build
    # Allocated and touched before the baseline, so that the harness's storage is not counted.
    lat = array("q", bytes(8 * steps))

    t0 = pc()
    adapter.start(tmp)
    init_ns = pc() - t0
    T = adapter.module
    log = adapter.log_fn()

    gc.collect()
    own0, helpers0, _ = own_tree_rss()
    rss_base = own0 + helpers0
    rss_at: dict[int, int] = {}
    probe_ns = 0
    probe_cpu_s = 0.0
    checkpoint_set = {*checkpoints, steps}

    cpu0 = own_tree_cpu_s()
    start = pc()
    for i in range(steps):
        raw = raw_input(i)  # untimed: the training loop's own array
        t = pc()
        log(build(T, raw))
        lat[i] = pc() - t
        if i + 1 in checkpoint_set:
            p, p_cpu = pc(), self_cpu_s()
            own, helpers, _ = own_tree_rss()
            rss_at[i + 1] = own + helpers
            probe_cpu_s += self_cpu_s() - p_cpu
            probe_ns += pc() - p
    t = pc()
    adapter.finish()
    end = pc()
    cpu1 = own_tree_cpu_s()
    _, _, peak = own_tree_rss()

    elapsed_ns = end - start - probe_ns
    ordered = sorted(lat)
    result: dict[str, Any] = {
        "tracker": tracker,
        "workload": workload,
        "steps": steps,
        "expected": size,
        "init_ms": init_ns / 1e6,
        "median_us": ordered[steps // 2] / 1e3,
        # one call (the table) has no spread: "–"
        "p99_us": ordered[min(steps - 1, (steps * 99) // 100)] / 1e3 if steps > 1 else None,
        "max_us": ordered[-1] / 1e3 if steps > 1 else None,
        "log_loop_s": (t - start - probe_ns) / 1e9,
        "finish_ms": (end - t) / 1e6,
        "values_per_s": size / (elapsed_ns / 1e9),
        "cpu_ms_per_value": (cpu1 - cpu0 - probe_cpu_s) / size * 1e3,
        "peak_rss_mb": peak / 2**20,
        "rss_growth_mb": (rss_at[steps] - rss_base) / 2**20,
        "rss_growth_at": {str(k): (v - rss_base) / 2**20 for k, v in sorted(rss_at.items())},
        "disk_mb": dir_bytes(tmp, skip="home") / 2**20,
    }
    try:
        result["read_back"], result["media_files"] = READ_BACK[tracker](adapter, tmp, workload)
        if workload == "histogram":  # stored in the history rows: no files
            result["media_files"] = None
    except Exception as e:  # a failed read-back is reported, not fatal
        result["read_back"] = result["media_files"] = None
        result["read_back_error"] = f"{type(e).__name__}: {e}"
    out.write_text(json.dumps(result))


# --------------------------------------------------------------------------------------------
# Driver side.
# --------------------------------------------------------------------------------------------


def run_once(tracker: str, mode: list[str]) -> dict[str, Any]:
    """This script as ``tracker``'s worker in a fresh interpreter and temp dir, all local."""
    with fresh_dir(f"bench-media-{tracker}-") as tmp:
        env = local_env(tmp)
        env["PATH"] = ffmpeg_path(tmp)
        return run_worker(__file__, ["--worker", tracker, *mode], tmp, env, WORKER_TIMEOUT_S)


def measure(
    tracker: str, workload: str, size: int, checkpoints: Sequence[int], repeats: int
) -> Outcome:
    """``tracker`` on ``workload``, ``repeats`` fresh runs merged into medians."""
    mode = ["--workload", workload, "--steps", str(size)]
    mode += ["--checkpoints", ",".join(str(c) for c in checkpoints)]
    try:
        runs = [run_once(tracker, mode) for _ in range(repeats)]
    except RuntimeError as exc:
        return Outcome(tracker, error=str(exc))
    return Outcome(tracker, median_runs(runs, fewest=["read_back", "media_files"]))


# --------------------------------------------------------------------------------------------
# Report.
# --------------------------------------------------------------------------------------------

ROWS_SPEC = [  # (key, label, format)
    ("median_us", "caller-thread time per step, median (µs)", "{:,.0f}"),
    ("p99_us", "caller-thread time per step, p99 (µs)", "{:,.0f}"),
    ("max_us", "caller-thread time per step, max (µs)", "{:,.0f}"),
    ("log_loop_s", "log loop (s)", "{:.2f}"),
    ("finish_ms", "finish (ms)", "{:,.0f}"),
    ("values_per_s", "end-to-end values/s, first log to finish", "{:,.1f}"),
    ("cpu_ms_per_value", "CPU per value, all threads+helpers (ms)", "{:.2f}"),
    ("peak_rss_mb", "peak RSS, all processes (MB)", "{:.0f}"),
    ("rss_growth_mb", "RSS growth after init, at the last step (MB)", "{:+.1f}"),
    ("disk_mb", "bytes on disk (MB)", "{:.1f}"),
    ("expected", "values logged (the table: image cells)", "{:,}"),
    ("read_back", "values read back after finish", "{:,}"),
    ("media_files", "media files stored", "{:,}"),
]

RATIOS = [
    ("median_us", "caller median (lower is better)"),
    ("p99_us", "caller p99 (lower is better)"),
    ("values_per_s", "end-to-end values/s (higher is better)"),
    ("cpu_ms_per_value", "CPU per value (lower is better)"),
    ("peak_rss_mb", "peak RSS (lower is better)"),
]


def workload_report(workload: str, steps: int, outcomes: list[Outcome]) -> str:
    """A workload's figure table, its ratio table and its notes."""
    unit = "rows (one log call)" if workload == "table" else "steps"
    parts = [f"### {WORKLOADS[workload].title}: {steps:,} {unit}"]
    parts.append(spec_table(outcomes, LABELS, ROWS_SPEC))
    nb = next((o for o in outcomes if o.name == "nbrun" and o.error is None), None)
    peers = [o for o in outcomes if o.name != "nbrun" and o.error is None]
    if nb is not None and peers:
        columns = [(LABELS[p.name], nb.figures, p.figures) for p in peers]
        parts.append("Ratios nbrun / peer:\n\n" + ratios("ratio nbrun / peer", RATIOS, columns))
    wb = next((o for o in peers if o.name == "wandb"), None)
    if workload == "image" and nb is not None and wb is not None:
        factor = wb.figures["median_us"] / nb.figures["median_us"]
        ok = "✓" if factor >= IMAGE_GOAL else "✗"
        parts.append(
            f"Issue 13's goal, caller-thread cost per image ≥ {IMAGE_GOAL:.0f}× below wandb's: "
            f"{factor:,.0f}× below (median) {ok}"
        )
    notes = []
    for o in outcomes:
        if o.error:
            notes.append(f"{LABELS[o.name]} failed: `{o.error}`")
        elif o.figures.get("read_back_error"):
            notes.append(f"{LABELS[o.name]}: reading back failed: `{o.figures['read_back_error']}`")
        elif o.figures.get("read_back") != o.figures["expected"]:
            notes.append(
                f"{LABELS[o.name]}: {o.figures.get('read_back')} of "
                f"{o.figures['expected']:,} values read back"
            )
    if notes:
        parts.append("\n".join(f"- {n}" for n in notes))
    return "\n\n".join(parts)


def long_report(outcomes: list[Outcome], short: list[Outcome]) -> str:
    """The longer image loop: is RSS flat as images are logged? And (a note) does nbrun's
    caller time hold once its queue is full?"""
    checkpoints = sorted(
        {int(k) for o in outcomes if o.error is None for k in o.figures["rss_growth_at"]}
    )
    header = ["longer image loop", "images/s", "median µs", "p99 µs", "peak RSS MB"]
    header += [f"RSS growth @{c:,} (MB)" for c in checkpoints]
    header += ["read back"]
    rows = []
    for o in outcomes:
        if o.error is not None:
            rows.append([LABELS[o.name], *(["n/a"] * (len(header) - 1))])
            continue
        f = o.figures
        rows.append(
            [
                f"{LABELS[o.name]}, {f['steps']:,} images",
                f"{f['values_per_s']:,.1f}",
                f"{f['median_us']:,.0f}",
                f"{f['p99_us']:,.0f}",
                f"{f['peak_rss_mb']:.0f}",
                *(f"{f['rss_growth_at'].get(str(c), float('nan')):+.1f}" for c in checkpoints),
                "–" if f.get("read_back") is None else f"{f['read_back']:,}",
            ]
        )
    notes = [f"- {LABELS[o.name]} failed: `{o.error}`" for o in outcomes if o.error]
    nb_long = next((o.figures for o in outcomes if o.name == "nbrun" and not o.error), None)
    nb_short = next((o.figures for o in short if o.name == "nbrun" and not o.error), None)
    if nb_long and nb_short and nb_long["median_us"] > 10 * nb_short["median_us"]:
        growth = nb_long["rss_growth_at"]
        first, last = growth[min(growth, key=int)], growth[max(growth, key=int)]
        notes.append(
            f"- nbrun's caller-thread median per image rose from {nb_short['median_us']:,.0f} µs "
            f"({nb_short['steps']:,} images) to {nb_long['median_us']:,.0f} µs "
            f"({nb_long['steps']:,}): this loop logs images faster than they are encoded, and "
            "the encoding queue is bounded, so once it is full `log()` waits for room; the "
            f"end-to-end rate, {nb_long['values_per_s']:,.0f} images/s, is then the encoder's, "
            f"and RSS growth went from {first:+.1f} MB to {last:+.1f} MB over the loop."
        )
    return "\n\n".join(
        [
            "### (a), longer: RSS under a log-every-step image loop",
            markdown_table(header, rows),
            *notes,
        ]
    )


OPTIONS = [  # (flag, default, help)
    ("--images", 300, "steps of (a), one image each (300)"),
    ("--histograms", 300, "steps of (b), one histogram each (300)"),
    ("--table-rows", 10_000, "rows of the one table of (c) (10000)"),
    ("--videos", 100, "steps of (d), one video each (100)"),
    ("--long-images", 2_000, "steps of the longer image loop (2000; 0 skips it)"),
    ("--repeats", 3, "fresh-process runs per tracker and workload, medians quoted (3)"),
]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = bench_parser(__doc__, OPTIONS, NAMES, sorted(TRACKERS))
    p.add_argument(
        "--workloads", default="", help=f"comma-separated subset of {','.join(WORKLOADS)}"
    )
    p.add_argument("--workload", choices=list(WORKLOADS), help=argparse.SUPPRESS)
    p.add_argument("--steps", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--checkpoints", default="", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    counts = (args.images, args.histograms, args.table_rows, args.videos, args.repeats)
    if min(counts) < 1 or args.long_images < 0:
        p.error("counts and --repeats must be >= 1 (--long-images >= 0)")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        cps = [int(c) for c in args.checkpoints.split(",") if c]
        worker(args.worker, args.workload, args.steps, cps, args.tmp, args.out)
        return 0

    trackers = chosen(args.only, NAMES, "tracker")
    workloads = chosen(args.workloads, list(WORKLOADS), "workload")
    section = Section(SECTION, __file__)
    steps_of = {
        "image": args.images,
        "histogram": args.histograms,
        "table": args.table_rows,
        "video": args.videos,
    }
    parts = []
    short: dict[str, list[Outcome]] = {}
    for workload in workloads:
        steps = steps_of[workload]
        outcomes = []
        for tracker in trackers:
            print(
                f"measuring {LABELS[tracker]}: {workload} ({steps:,})...",
                file=sys.stderr,
                flush=True,
            )
            outcomes.append(measure(tracker, workload, steps, [], args.repeats))
        parts.append(workload_report(workload, steps, outcomes))
        short[workload] = outcomes
    if args.long_images and "image" in workloads:
        n = args.long_images
        cps = sorted({c for c in (n // 8, n // 4, n // 2, n) if c > 0})
        long = []
        for tracker in trackers:
            print(f"measuring {LABELS[tracker]}: {n:,} images...", file=sys.stderr, flush=True)
            long.append(measure(tracker, "image", n, cps, 1))
        parts.append(long_report(long, short["image"]))

    versions = [f"{n} {version_of(n)}" for n in NAMES]
    versions += [
        f"{n} {version_of(n)}" for n in ("numpy", "pillow", "imageio", "moviepy", "psutil")
    ]
    method = prose("media_log")["method"].format(repeats=args.repeats)
    section.publish(versions, [*parts, method], write=not args.no_write)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
