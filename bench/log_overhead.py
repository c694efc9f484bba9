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

# mypy: disable-error-code="import-not-found,import-untyped"
# (the peers are optional and untyped; they are only reached through the adapters below)
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _measure import (
    command_line,
    last_error_line,
    load_text,
    markdown_table,
    processes_cpu_s,
    publish,
    ratio_text,
    self_cpu_s,
    tree_processes,
    version_of,
    vm_hwm_bytes,
)

SECTION = "## log_overhead"

TRACKERS = ("nbrun", "wandb", "trackio", "mlflow")
LABELS = {
    "nbrun": "nbrun",
    "wandb": "wandb (offline)",
    "trackio": "trackio",
    "mlflow": "mlflow (async)",
    "noop": "no-op log",
}
DISTRIBUTIONS = {
    "nbrun": "nbrun",
    "wandb": "wandb",
    "trackio": "trackio",
    "mlflow": "mlflow",
}
# The longer run is skipped for mlflow: at ~150 rows/s, 100,000 rows would take over 10 minutes.
PEERS_AT_LONGER_RUN = ("wandb", "trackio")
# Measured runs per tracker, each in a fresh process; every figure quoted is the median over
# them. mlflow gets one: at ~150 rows/s a single 20,000-row run takes over two minutes.
RUN_REPEATS = 5
SINGLE_RUN = ("mlflow",)
IMPORT_REPEATS = 3  # fresh-process imports per tracker (after one warm-up); the median is quoted
WORKER_TIMEOUT_S = 420.0  # hard bound on any one subprocess
N_KEYS = 10


# --------------------------------------------------------------------------------------------
# Worker side: runs inside the fresh subprocess.  Only the standard library is imported before
# the tracker itself, so that the measured import time is the tracker's alone.
# --------------------------------------------------------------------------------------------


class Adapter:
    """The four calls a benchmark needs, in each tracker's own idiom."""

    module: Any = None

    def import_(self) -> None:
        raise NotImplementedError

    def init(self, tmp: Path) -> None:
        raise NotImplementedError

    def log_fn(self) -> Callable[[dict[str, float]], object]:
        raise NotImplementedError

    def finish(self) -> None:
        raise NotImplementedError

    def persisted_rows(self, tmp: Path) -> int | None:
        """Rows that can be read back after finish, where cheap to check; None if unchecked."""
        return None


class NoopAdapter(Adapter):
    """Measures the harness itself: building the dict, the two timer reads, the loop."""

    def import_(self) -> None:
        pass

    def init(self, tmp: Path) -> None:
        pass

    def log_fn(self) -> Callable[[dict[str, float]], object]:
        def log(d: dict[str, float]) -> None:
            return None

        return log

    def finish(self) -> None:
        pass


class NbrunAdapter(Adapter):
    def import_(self) -> None:
        import nbrun

        self.module = nbrun

    def init(self, tmp: Path) -> None:
        nbrun = self.module
        try:
            settings = nbrun.Settings(silent=True)
        except (AttributeError, TypeError):
            settings = None  # NBRUN_SILENT=true is set in the environment as well
        if settings is not None:
            self.run = nbrun.init(project="bench", dir=str(tmp), mode="offline", settings=settings)
        else:
            self.run = nbrun.init(project="bench", dir=str(tmp), mode="offline")

    def log_fn(self) -> Callable[[dict[str, float]], object]:
        return self.run.log  # type: ignore[no-any-return]

    def finish(self) -> None:
        self.run.finish()

    def persisted_rows(self, tmp: Path) -> int | None:
        api = self.module.Api(dirs=[tmp])
        return sum(1 for _ in api.run(self.run.id).scan_history(keys=[f"m{N_KEYS - 1}"]))


class WandbAdapter(Adapter):
    def import_(self) -> None:
        import wandb

        self.module = wandb

    def init(self, tmp: Path) -> None:
        wandb = self.module
        self.run = wandb.init(
            project="bench", mode="offline", dir=str(tmp), settings=wandb.Settings(silent=True)
        )

    def log_fn(self) -> Callable[[dict[str, float]], object]:
        return self.run.log  # type: ignore[no-any-return]

    def finish(self) -> None:
        self.module.finish()


class TrackioAdapter(Adapter):
    def import_(self) -> None:
        import trackio

        self.module = trackio

    def init(self, tmp: Path) -> None:
        # TRACKIO_DIR (set in the environment) keeps the sqlite database local; no space_id or
        # server_url is given, so nothing is sent anywhere.
        self.run = self.module.init(project="bench")

    def log_fn(self) -> Callable[[dict[str, float]], object]:
        return self.run.log  # type: ignore[no-any-return]

    def finish(self) -> None:
        self.module.finish()

    def persisted_rows(self, tmp: Path) -> int | None:
        import sqlite3

        dbs = sorted((tmp / "trackio").glob("*.db"))
        if not dbs:
            return None
        with sqlite3.connect(dbs[0]) as con:
            row = con.execute("SELECT COUNT(*) FROM metrics").fetchone()
        return int(row[0])


class MlflowAdapter(Adapter):
    def import_(self) -> None:
        import mlflow

        self.module = mlflow

    def init(self, tmp: Path) -> None:
        mlflow = self.module
        mlflow.set_tracking_uri(f"sqlite:///{tmp / 'mlflow.db'}")
        self.active = mlflow.start_run()

    def log_fn(self) -> Callable[[dict[str, float]], object]:
        log_metrics = self.module.log_metrics
        steps = iter(range(1 << 62))

        def call(d: dict[str, float]) -> object:
            return log_metrics(d, step=next(steps), synchronous=False)

        return call

    def finish(self) -> None:
        self.module.flush_async_logging()
        self.module.end_run()

    def persisted_rows(self, tmp: Path) -> int | None:
        client = self.module.MlflowClient()
        return len(client.get_metric_history(self.active.info.run_id, f"m{N_KEYS - 1}"))


ADAPTERS: dict[str, type[Adapter]] = {
    "nbrun": NbrunAdapter,
    "wandb": WandbAdapter,
    "trackio": TrackioAdapter,
    "mlflow": MlflowAdapter,
    "noop": NoopAdapter,
}


def tree_cpu_s() -> float:
    """User+system CPU seconds of this process, all its threads, and all its helper processes.

    Correctness argument: every descendant process is, at the moment of sampling, either
    (a) still running (or a zombie not yet waited for) -- then it is in psutil's recursive
    ``children()`` list and its own ``/proc/<pid>/stat`` times are added, together with the
    times of *its* already-reaped children (``children_user``/``children_system``); or
    (b) exited and reaped by us -- then the kernel has folded its times (and those of the
    descendants it reaped) into our ``RUSAGE_CHILDREN``.  A process cannot be in both sets, so
    nothing is counted twice.  The only loss is a descendant that daemonised (re-parented to
    init) and exited before the sample; none of the trackers here does that (wandb-core stays
    our child until interpreter exit).  Our own times come from ``getrusage(RUSAGE_SELF)``,
    which covers all threads at microsecond resolution; /proc times of helpers have clock-tick
    (10 ms) resolution, which is small against what those helpers spend.
    """
    return self_cpu_s() + processes_cpu_s(tree_processes(os.getpid(), root=False))


def tree_rss() -> tuple[int, int, int]:
    """(RSS of this process, RSS of its helper processes, sum of every process's peak RSS)."""
    import psutil

    me = psutil.Process()
    own = me.memory_info().rss
    helpers = 0
    peak = vm_hwm_bytes(me.pid) or own
    for child in me.children(recursive=True):
        try:
            rss = child.memory_info().rss
        except psutil.Error:
            continue
        helpers += rss
        peak += vm_hwm_bytes(child.pid) or rss
    return own, helpers, peak


def dir_bytes(root: Path, skip: str) -> int:
    total = 0
    for dirpath, dirnames, filenames in os.walk(root):
        if Path(dirpath) == root and skip in dirnames:
            dirnames.remove(skip)
        for name in filenames:
            with contextlib.suppress(OSError):  # vanished while walking
                total += os.lstat(os.path.join(dirpath, name)).st_size
    return total


def worker(tracker: str, rows: int, checkpoints: Sequence[int], tmp: Path, out: Path) -> None:
    """Measure one tracker in this (fresh) process and write the figures as JSON to ``out``."""
    adapter = ADAPTERS[tracker]()
    pc = time.perf_counter_ns

    t0 = pc()
    adapter.import_()
    import_ns = pc() - t0

    # Allocated and touched before the baseline, so that the harness's own storage is not
    # counted as the tracker's RSS growth.
    lat = array("q", bytes(8 * rows))

    t0 = pc()
    adapter.init(tmp)
    init_ns = pc() - t0

    gc.collect()
    own0, helpers0, _ = tree_rss()
    rss_base = own0 + helpers0
    log = adapter.log_fn()
    rss_at: dict[int, int] = {}
    # Wall and CPU time spent sampling RSS at checkpoints, removed from the tracker's figures.
    probe_ns = 0
    probe_cpu_s = 0.0
    checkpoint_set = {*checkpoints, rows}

    cpu0 = tree_cpu_s()
    start = pc()
    for i in range(rows):
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
            own, helpers, _ = tree_rss()
            rss_at[i + 1] = own + helpers
            probe_cpu_s += self_cpu_s() - p_cpu
            probe_ns += pc() - p
    rss_end = rss_at[rows]
    t = pc()
    adapter.finish()
    end = pc()
    cpu1 = tree_cpu_s()
    finish_ns = end - t
    _, _, peak = tree_rss()

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
    adapter = ADAPTERS[tracker]()
    t0 = pc()
    adapter.import_()
    out.write_text(json.dumps({"import_ms": (pc() - t0) / 1e6}))


# --------------------------------------------------------------------------------------------
# Driver side.
# --------------------------------------------------------------------------------------------


def offline_env(tmp: Path) -> dict[str, str]:
    """Environment for a worker: everything local, in ``tmp``, and nothing phoning home."""
    home = tmp / "home"
    home.mkdir(parents=True, exist_ok=True)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("WANDB_", "MLFLOW_", "TRACKIO_", "NBRUN_", "HF_"))
        and k != "PYTHONDONTWRITEBYTECODE"
    }
    env.update(
        {
            "HOME": str(home),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "DO_NOT_TRACK": "true",
            # nbrun
            "NBRUN_SILENT": "true",
            # wandb: offline, quiet, every directory in tmp
            "WANDB_MODE": "offline",
            "WANDB_SILENT": "true",
            "WANDB_DIR": str(tmp),
            "WANDB_CACHE_DIR": str(home / ".cache" / "wandb"),
            "WANDB_CONFIG_DIR": str(home / ".config" / "wandb"),
            "WANDB_DATA_DIR": str(home / ".local" / "share" / "wandb"),
            "WANDB_ARTIFACT_DIR": str(tmp / "wandb-artifacts"),
            "WANDB_DISABLE_CODE": "true",
            # trackio: local sqlite under tmp, Hugging Face hub offline
            "TRACKIO_DIR": str(tmp / "trackio"),
            "HF_HOME": str(home / "hf"),
            "HF_HUB_OFFLINE": "1",
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "GRADIO_ANALYTICS_ENABLED": "False",
            # mlflow: sqlite in tmp (set in the adapter), no telemetry
            "MLFLOW_DISABLE_TELEMETRY": "true",
        }
    )
    return env


@dataclass
class Outcome:
    tracker: str
    figures: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


def run_subprocess(mode: list[str], tracker: str) -> tuple[dict[str, Any] | None, str | None]:
    """Run this script in a fresh interpreter with a fresh temp dir; return (figures, error)."""
    tmp = Path(tempfile.mkdtemp(prefix=f"bench-{tracker}-"))
    try:
        out = tmp / "result.json"
        cmd = [sys.executable, str(Path(__file__).resolve()), *mode, "--tmp", str(tmp)]
        cmd += ["--out", str(out)]
        try:
            proc = subprocess.run(
                cmd,
                cwd=tmp,
                env=offline_env(tmp),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=WORKER_TIMEOUT_S,
            )
        except subprocess.TimeoutExpired:
            return None, f"timed out after {WORKER_TIMEOUT_S:.0f} s"
        if proc.returncode != 0 or not out.exists():
            return None, last_error_line(proc.stderr or proc.stdout)
        figures: dict[str, Any] = json.loads(out.read_text())
        return figures, None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def merge_runs(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-figure median over repeated runs (the machine is shared and noisy); the fewest rows
    read back, so that a lossy run is not hidden."""
    merged = dict(runs[-1])
    for key, value in runs[-1].items():
        if key == "persisted_rows":
            counts = [r.get(key) for r in runs]
            merged[key] = None if None in counts else min(int(c) for c in counts if c is not None)
        elif isinstance(value, float):
            merged[key] = statistics.median(float(r[key]) for r in runs)
        elif isinstance(value, dict):
            merged[key] = {k: statistics.median(float(r[key][k]) for r in runs) for k in value}
    merged["repeats"] = len(runs)
    return merged


def measure(
    tracker: str, rows: int, checkpoints: Sequence[int], imports: bool, repeats: int = 1
) -> Outcome:
    outcome = Outcome(tracker)
    if imports:
        # One warm-up (compiles .pyc files, warms the page cache), then fresh-process repeats.
        _, err = run_subprocess(["--import-only", tracker], tracker)
        if err is not None:
            outcome.error = err
            return outcome
        samples = []
        for _ in range(IMPORT_REPEATS):
            figs, err = run_subprocess(["--import-only", tracker], tracker)
            if figs is None:
                outcome.error = err
                return outcome
            samples.append(float(figs["import_ms"]))
    cps = ",".join(str(c) for c in checkpoints)
    mode = ["--worker", tracker, "--rows", str(rows), "--checkpoints", cps]
    runs = []
    for _ in range(repeats):
        figs, err = run_subprocess(mode, tracker)
        if figs is None:
            outcome.error = err
            return outcome
        runs.append(figs)
    outcome.figures = merge_runs(runs)
    if imports:
        outcome.figures["import_ms"] = statistics.median(samples)
    return outcome


# Targets from the issue, for nbrun's 20k-row figures: (key, op, bound).
TARGETS: dict[str, tuple[str, float]] = {
    "median_us": ("<=", 3.0),
    "p99_us": ("<=", 20.0),
    "rows_per_s": (">=", 200_000.0),
    "cpu_us_per_row": ("<=", 5.0),
    "finish_ms": ("<=", 50.0),
    "rss_growth_mb": ("<=", 40.0),
}

ROWS_SPEC: list[tuple[str, str, str]] = [
    # (key, label, format)
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


def _fmt(fmt: str, value: Any) -> str:
    if value is None:
        return "–"
    return fmt.format(value)


def _target_text(key: str) -> str:
    if key not in TARGETS:
        return ""
    op, bound = TARGETS[key]
    return f"{'≤' if op == '<=' else '≥'} {bound:,.0f}" if bound >= 10 else f"≤ {bound:g}"


def _meets(key: str, value: float) -> bool:
    op, bound = TARGETS[key]
    return value <= bound if op == "<=" else value >= bound


def scaling_table(big: list[Outcome]) -> str:
    """Longer runs (separate processes): is RSS flat in rows, does throughput hold?"""
    checkpoints = sorted(
        {int(k) for o in big if o.error is None for k in o.figures.get("rss_growth_at", {})}
    )
    header = ["longer run", "rows/s", "median µs", "p99 µs", "CPU µs/row", "finish ms"]
    header += [f"RSS growth @{c:,} (MB)" for c in checkpoints]
    rows = []
    for o in big:
        label = f"{LABELS[o.tracker]}, {o.figures.get('rows', 0):,} rows"
        if o.error is not None:
            rows.append([LABELS[o.tracker], *(["n/a"] * (len(header) - 1))])
            continue
        f = o.figures
        growth = f.get("rss_growth_at", {})

        def cell(key: str, text: str, value: float, o: Outcome = o) -> str:
            # nbrun's cells carry the targets (finish's target is for 20k rows only).
            if o.tracker != "nbrun":
                return text
            return text + (" ✓" if _meets(key, value) else " ✗")

        rows.append(
            [
                label,
                cell("rows_per_s", f"{f['rows_per_s']:,.0f}", f["rows_per_s"]),
                cell("median_us", f"{f['median_us']:.2f}", f["median_us"]),
                cell("p99_us", f"{f['p99_us']:.2f}", f["p99_us"]),
                cell("cpu_us_per_row", f"{f['cpu_us_per_row']:.1f}", f["cpu_us_per_row"]),
                f"{f['finish_ms']:.0f}",
                *(
                    cell("rss_growth_mb", f"{growth[str(c)]:+.1f}", growth[str(c)])
                    if str(c) in growth
                    else "–"
                    for c in checkpoints
                ),
            ]
        )
    errors = [f"{LABELS[o.tracker]} failed: `{o.error}`" for o in big if o.error is not None]
    return "\n\n".join([markdown_table(header, rows), *errors])


def build_report(
    outcomes: list[Outcome], big: list[Outcome], noop: Outcome | None, args: argparse.Namespace
) -> str:
    names = [o.tracker for o in outcomes]
    by = {o.tracker: o for o in outcomes}
    notes: list[str] = []
    footnote_of: dict[str, int] = {}
    for o in outcomes:
        if o.error is not None:
            notes.append(f"{LABELS[o.tracker]} failed: `{o.error}`")
            footnote_of[o.tracker] = len(notes)

    has_nbrun = "nbrun" in by
    header = [f"figure ({args.rows:,} rows)"]
    if has_nbrun:
        header.append("target")
    header += [LABELS[n] + (f" [{footnote_of[n]}]" if n in footnote_of else "") for n in names]
    table_rows: list[list[str]] = []
    for key, label, fmt in ROWS_SPEC:
        cells = [label]
        if has_nbrun:
            cells.append(_target_text(key))
        for n in names:
            o = by[n]
            if o.error is not None:
                cells.append("n/a")
                continue
            value = o.figures.get(key)
            text = _fmt(fmt, value)
            if n == "nbrun" and key in TARGETS and value is not None:
                text += " ✓" if _meets(key, float(value)) else " ✗"
            cells.append(text)
        table_rows.append(cells)
    parts = [markdown_table(header, table_rows, right_from=1)]

    # Ratios nbrun/peer.
    nb = by.get("nbrun")
    peers = [o for o in outcomes if o.tracker != "nbrun" and o.error is None]
    if nb is not None and nb.error is None and peers:
        ratio_rows = []
        for key, label in [
            ("median_us", "log median latency (lower is better)"),
            ("p99_us", "log p99 latency (lower is better)"),
            ("rows_per_s", "end-to-end rows/s (higher is better)"),
            ("cpu_us_per_row", "CPU per row (lower is better)"),
        ]:
            cells = [label]
            for p in peers:
                a, b = nb.figures.get(key), p.figures.get(key)
                cells.append(ratio_text(a / b) if a and b else "–")
            ratio_rows.append(cells)
        parts.append(
            "Ratios nbrun / peer:\n\n"
            + markdown_table(
                ["ratio nbrun / peer", *[LABELS[p.tracker] for p in peers]], ratio_rows
            )
        )

    if big:
        parts.append(scaling_table(big))
    if noop is not None and noop.error is None:
        f = noop.figures
        parts.append(
            "Harness overhead (same loop with a no-op log function; included in every "
            f"tracker's rows/s and CPU figures, not in its latency): {f['cpu_us_per_row']:.2f} µs "
            f"CPU per row, {f['rows_per_s']:,.0f} rows/s, {f['median_us']:.2f} µs median for "
            "the timed call itself."
        )
    if notes:
        parts.append("\n".join(f"[{i}] {n}" for i, n in enumerate(notes, 1)))
    return "\n\n".join(parts)


def environment_lines(load_before: tuple[float, float, float]) -> list[str]:
    versions = ", ".join(
        f"{LABELS.get(n, n).split(' ')[0]} {version_of(DISTRIBUTIONS[n])}" for n in TRACKERS
    )
    return [
        f"- command: `{command_line(__file__)}` (from the repo root)",
        f"- date: {dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- machine: nproc {os.cpu_count()}, {platform.machine()}, "
        f"{platform.system()} {platform.release()}",
        f"- python: {platform.python_version()} ({platform.python_implementation()})",
        # Other work on a 2-core machine skews every figure: the load average says how quiet it was.
        f"- load average (1/5/15 min) before: {load_text(load_before)}, "
        f"after: {load_text(os.getloadavg())}",
        f"- versions: {versions}, psutil {version_of('psutil')}",
    ]


METHOD = f"""\
Method: every tracker runs in its own fresh subprocess, with its files, HOME and caches in a
fresh temp dir and network features off (wandb `mode="offline"`; trackio local sqlite, no
Space; mlflow `log_metrics(..., synchronous=False)` against `sqlite:///<tmp>/mlflow.db`;
telemetry disabled). Each call logs a new dict of 10 float keys; latency is
`time.perf_counter_ns` around the call alone. Import time is the median of {IMPORT_REPEATS}
fresh-process imports after one warm-up; every other 20k-row figure is the median of
{RUN_REPEATS} fresh-process runs (1 for mlflow, whose run takes minutes); the longer runs
are single runs. Init is the first run in a fresh directory (it includes creating mlflow's
and trackio's sqlite databases). Finish is `run.finish()` / `wandb.finish()` /
`trackio.finish()` / `mlflow.flush_async_logging(); mlflow.end_run()`. Rows/s is rows
divided by the time from the first log call until finish returns. CPU is user+system time of
the process, its threads and its helper processes (wandb-core) from just before the first
log call until finish returns, per row. RSS figures sum the process and its helpers; growth
is measured at the last row (before finish) against the RSS right after import+init; peak
sums each process's own peak. Trackers' default background samplers (wandb system metrics,
trackio CPU logging) are left as a user would get them. "Durable" means what each tracker
guarantees when its finish call returns; "rows read back" re-reads the stored history after
finish where the tracker offers a cheap way to (nbrun's Api, trackio's and mlflow's sqlite).
The longer runs are separate processes with RSS sampled at the listed rows; mlflow is left
out of them (at its rate 100,000 rows would take over 10 minutes). ✓/✗ compare nbrun with
the targets of the issue."""


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--rows", type=int, default=20_000, help="log calls per tracker (20000)")
    p.add_argument(
        "--big-rows",
        type=int,
        default=1_000_000,
        help="rows for nbrun's separate RSS-flatness run (1000000; 0 skips it)",
    )
    p.add_argument(
        "--peer-rows",
        type=int,
        default=100_000,
        help=f"rows for the peers' longer run ({', '.join(PEERS_AT_LONGER_RUN)} only; 0 skips it)",
    )
    p.add_argument("--only", default="", help=f"comma-separated subset of {','.join(TRACKERS)}")
    p.add_argument("--no-write", action="store_true", help="do not touch bench/RESULTS.md")
    # Internal: the subprocess modes.
    p.add_argument("--worker", choices=sorted(ADAPTERS), help=argparse.SUPPRESS)
    p.add_argument("--import-only", choices=sorted(ADAPTERS), help=argparse.SUPPRESS)
    p.add_argument("--checkpoints", default="", help=argparse.SUPPRESS)
    p.add_argument("--tmp", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.rows < 1 or args.big_rows < 0 or args.peer_rows < 0:
        p.error("--rows must be >= 1, --big-rows and --peer-rows >= 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.import_only:
        import_only(args.import_only, args.out)
        return 0
    if args.worker:
        cps = [int(c) for c in args.checkpoints.split(",") if c]
        worker(args.worker, args.rows, cps, args.tmp, args.out)
        return 0

    chosen = [t for t in TRACKERS if not args.only or t in args.only.split(",")]
    unknown = [t for t in args.only.split(",") if t and t not in TRACKERS]
    if unknown:
        print(f"unknown tracker(s): {', '.join(unknown)}", file=sys.stderr)
        return 2
    t_start = time.monotonic()
    load_before = os.getloadavg()
    outcomes = []
    for tracker in chosen:
        print(f"measuring {LABELS[tracker]} ({args.rows:,} rows)...", file=sys.stderr, flush=True)
        repeats = 1 if tracker in SINGLE_RUN else RUN_REPEATS
        outcomes.append(measure(tracker, args.rows, [args.rows], imports=True, repeats=repeats))
    big = []
    ok = {o.tracker for o in outcomes if o.error is None}
    for tracker, rows in [("nbrun", args.big_rows)] + [
        (p, args.peer_rows) for p in PEERS_AT_LONGER_RUN
    ]:
        if tracker not in ok or rows <= 0:
            continue
        print(f"measuring {LABELS[tracker]} at {rows:,} rows...", file=sys.stderr, flush=True)
        cps = sorted({c for c in (20_000, 100_000, rows) if c <= rows})
        big.append(measure(tracker, rows, cps, imports=False))
    noop = measure("noop", args.rows, [args.rows], imports=False, repeats=RUN_REPEATS)

    body = "\n\n".join(
        ["\n".join(environment_lines(load_before)), build_report(outcomes, big, noop, args), METHOD]
    )
    publish(SECTION, body, t_start, write=not args.no_write)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
