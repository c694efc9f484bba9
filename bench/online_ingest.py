"""Online-ingest benchmark: ``log`` -> sender thread -> nbrun's server, against MLflow's server.

nbrun: a real ``python -m nbrun.server`` subprocess (SQLite, then PostgreSQL) and, in a fresh
client subprocess with ``NBRUN_BASE_URL``/``NBRUN_API_KEY`` set, ``nbrun.init(project="bench")``,
``--rows`` rows of 10 float scalars and ``run.finish()``. MLflow: its tracking server
(``mlflow server``, SQLite backend store) and, in a fresh client subprocess, the same rows with
``MlflowClient().log_batch`` (1,000 rows per call) and then ``set_terminated``; a second, shorter
pass logs row by row with ``mlflow.log_metrics(..., synchronous=False)``.

Per tracker: end-to-end rows/s (first log call until finish returns, with the rows stored on the
server by then), the log loop's time, finish time after the last log call, client CPU per row,
server CPU per row (every server process, psutil, from just before the first log call until
finish returns), server RSS; then the stored rows are read back through each tracker's own API
and compared with what was logged.

Usage (from the repo root, after ``bash bench/setup.sh``)::

    bench/.venv/bin/python bench/online_ingest.py [--rows N] [--repeats N] [--only a,b] [--no-write]

The table is printed and, unless ``--no-write``, written to ``bench/RESULTS.md`` under
"## online_ingest" (other sections of that file are kept). PostgreSQL runs need the local
cluster (``pg_ctlcluster 15 main start`` is tried) and root or the postgres user; each run gets a
database of its own that is dropped afterwards.

This module also holds the machinery that ``bench/chart_query.py`` imports: starting and
stopping servers, throwaway PostgreSQL databases, process-tree CPU/RSS, RESULTS.md sections.
"""

# mypy: disable-error-code="import-not-found,import-untyped"
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _measure import (
    command_line,
    last_error_line,
    load_text,
    markdown_table,
    publish,
    ratio_text,
    self_cpu_s,
    tree_cpu_s,
    tree_memory,
    version_of,
)
from _servers import (
    TOKEN,
    Postgres,
    bench_env,
    pg_backend_cpu,
    settle,
    start_mlflow_server,
    start_nbrun_server,
    stop_all_servers,
)

SECTION = "## online_ingest"

N_KEYS = 10
WORKER_TIMEOUT_S = 480.0  # hard bound on any one client subprocess
MLFLOW_BATCH_ROWS = 1_000  # rows per log_batch call (MLflow's client sends 1,000 metrics/request)
# MLflow's log_batch pass stops at this many rows when the full count would take longer than
# MLFLOW_BUDGET_S at the rate measured so far; the table then says how many rows were measured.
MLFLOW_PROBE_ROWS = 10_000
MLFLOW_BUDGET_S = 300.0
MAX_BATCH_TEXT = "4 MiB"  # nbrun.sync.sender.MAX_BATCH_BYTES, whole frames

LABELS = {
    "nbrun-sqlite": "nbrun (SQLite)",
    "nbrun-postgres": "nbrun (PostgreSQL)",
    "mlflow-batch": "MLflow log_batch (SQLite)",
    "mlflow-async": "MLflow log_metrics async (SQLite)",
    # The server alone: the same record log, encoded beforehand and posted back to back.
    "replay-sqlite": "nbrun server alone (SQLite)",
    "replay-postgres": "nbrun server alone (PostgreSQL)",
}
CONFIGS = tuple(LABELS)
# Measured in this order: each nbrun pass next to its server-alone pass, MLflow (slow) last.
RUN_ORDER = (
    "nbrun-sqlite",
    "replay-sqlite",
    "nbrun-postgres",
    "replay-postgres",
    "mlflow-batch",
    "mlflow-async",
)


# --------------------------------------------------------------------------------------------
# Client workers: each runs in a fresh subprocess.
# --------------------------------------------------------------------------------------------


def row_values(i: int) -> dict[str, float]:
    """The 10 scalars of row ``i`` (as in bench/log_overhead.py)."""
    x = i * 1e-3
    return {
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


@dataclass
class Window:
    """CPU and wall clock of the client and the server from the first log call to finish."""

    server_pid: int
    pg_database: str | None = None  # PostgreSQL backends' CPU is counted too, when given
    t0: float = 0.0
    t_last_log: float = 0.0
    t_end: float = 0.0
    cpu0: float = 0.0
    cpu1: float = 0.0
    server_cpu0: float = 0.0
    server_cpu1: float = 0.0
    db_cpu0: dict[int, float] = field(default_factory=dict)
    db_cpu1: dict[int, float] = field(default_factory=dict)

    def start(self) -> None:
        if self.pg_database:
            self.db_cpu0 = pg_backend_cpu(self.pg_database)
        self.server_cpu0 = tree_cpu_s(self.server_pid)
        self.cpu0 = self_cpu_s()
        self.t0 = time.perf_counter()

    def logged(self) -> None:
        self.t_last_log = time.perf_counter()

    def end(self) -> None:
        self.t_end = time.perf_counter()
        self.cpu1 = self_cpu_s()
        self.server_cpu1 = tree_cpu_s(self.server_pid)
        if self.pg_database:
            self.db_cpu1 = pg_backend_cpu(self.pg_database)

    def figures(self, rows: int) -> dict[str, Any]:
        rss, peak, count = tree_memory(self.server_pid)
        db_cpu = None
        if self.pg_database:
            # Backends that ended inside the window are lost (the server's pool keeps its
            # connections, so there are none in practice).
            spent = sum(t - self.db_cpu0.get(pid, 0.0) for pid, t in self.db_cpu1.items())
            db_cpu = spent / rows * 1e6
        return {
            "db_cpu_us_per_row": db_cpu,
            "rows": rows,
            "rows_per_s": rows / (self.t_end - self.t0),
            "log_loop_s": self.t_last_log - self.t0,
            "finish_ms": (self.t_end - self.t_last_log) * 1e3,
            "total_s": self.t_end - self.t0,
            "client_cpu_us_per_row": (self.cpu1 - self.cpu0) / rows * 1e6,
            "server_cpu_us_per_row": (self.server_cpu1 - self.server_cpu0) / rows * 1e6,
            "server_rss_mb": rss / 2**20,
            "server_peak_rss_mb": peak / 2**20,
            "server_processes": count,
        }


def worker_nbrun(rows: int, server_pid: int, tmp: Path, pg_database: str | None) -> dict[str, Any]:
    import nbrun

    run = nbrun.init(project="bench", dir=str(tmp), settings={"silent": True, "console": "off"})
    window = Window(server_pid, pg_database)
    log = run.log
    window.start()
    for i in range(rows):
        log(row_values(i))
    window.logged()
    run.finish()
    window.end()
    status = run.status()
    figures = window.figures(rows)
    figures["synced"] = bool(status.synced)
    figures["client_error"] = status.last_error

    # Read back through the public Api: the last step, then every stored value of every key
    # (with samples >= the row count the server sends each series whole; it allows up to
    # 100,000, past that the rows are paged through instead).
    api = nbrun.Api(os.environ["NBRUN_BASE_URL"], os.environ["NBRUN_API_KEY"])
    stored = api.run(run.path)
    keys = [f"m{k}" for k in range(N_KEYS)]
    if rows <= 100_000:
        history = stored.history(keys=keys, samples=rows, pandas=False)
    else:
        history = list(stored.scan_history(keys=keys))
    exact = len(history) == rows and all(
        row.get("_step") == i and all(row.get(k) == v for k, v in row_values(i).items())
        for i, row in enumerate(history)
    )
    figures.update(
        rows_read_back=len(history),
        read_back_exact=exact,
        last_step=stored.last_step,
        state=stored.state,
    )
    return figures


def worker_replay(rows: int, server_pid: int, tmp: Path, pg_database: str | None) -> dict[str, Any]:
    """The server alone: the record log of an offline run with the same rows, cut into batches
    as the sender cuts it and encoded as it encodes them beforehand, posted back to back."""
    import msgpack
    import requests

    import nbrun
    from nbrun.record import http_api
    from nbrun.record.framing import HEADER_SIZE, decode_body
    from nbrun.record.reader import RecordLogReader
    from nbrun.sync.sender import MAX_BATCH_BYTES

    settings = {"silent": True, "console": "off"}
    run = nbrun.init(project="bench", dir=str(tmp), mode="offline", settings=settings)
    for i in range(rows):
        run.log(row_values(i))
    run.finish()
    log_path = run.status().log_path
    assert log_path is not None
    batches: list[list[bytes]] = [[]]
    size = 0
    for _, body in RecordLogReader(log_path, HEADER_SIZE).frame_bodies():
        if size >= MAX_BATCH_BYTES:
            batches.append([])
            size = 0
        batches[-1].append(body)
        size += len(body)
    # The sender posts frames as the log holds them, uncompressed to a loopback server.
    bodies = [msgpack.packb({"records": [], "frames": b}, use_bin_type=True) for b in batches]
    last_seq = decode_body(batches[-1][-1])[-1][0]
    url = os.environ["NBRUN_BASE_URL"] + http_api.run_path(*run.path.split("/")) + "/records"
    session = requests.Session()
    session.headers.update(
        {
            http_api.AUTH_HEADER: f"Bearer {os.environ['NBRUN_API_KEY']}",
            "Content-Type": http_api.MSGPACK_CONTENT_TYPE,
        }
    )
    window = Window(server_pid, pg_database)
    acked = 0
    window.start()
    for body in bodies:
        response = session.post(url, data=body, timeout=120)
        response.raise_for_status()
        acked = int(response.json()["acked_seq"])
    window.logged()
    window.end()
    figures = window.figures(rows)
    figures["synced"] = acked == last_seq
    figures["batches"] = len(bodies)
    stored = nbrun.Api(os.environ["NBRUN_BASE_URL"], os.environ["NBRUN_API_KEY"]).run(run.path)
    figures["last_step"] = stored.last_step
    figures["rows_read_back"] = stored.last_step + 1 if stored.last_step is not None else 0
    return figures


def worker_mlflow_batch(rows: int, server_pid: int, url: str) -> dict[str, Any]:
    from mlflow import MlflowClient
    from mlflow.entities import Metric

    client = MlflowClient(tracking_uri=url)
    experiment = client.create_experiment("bench")
    run_id = client.create_run(experiment).info.run_id
    window = Window(server_pid)
    done = 0
    stopped_early = False
    window.start()
    while done < rows:
        stamp = int(time.time() * 1000)
        end = min(rows, done + MLFLOW_BATCH_ROWS)
        metrics = [
            Metric(key, value, stamp, i)
            for i in range(done, end)
            for key, value in row_values(i).items()
        ]
        client.log_batch(run_id, metrics=metrics)
        done = end
        if done == MLFLOW_PROBE_ROWS < rows:
            elapsed = time.perf_counter() - window.t0
            if elapsed * rows / done > MLFLOW_BUDGET_S:
                stopped_early = True
                break
    window.logged()
    client.set_terminated(run_id)
    window.end()
    figures = window.figures(done)
    figures["stopped_early_of"] = rows if stopped_early else None
    figures.update(_mlflow_read_back(client, run_id, done))
    return figures


def worker_mlflow_async(rows: int, server_pid: int, url: str) -> dict[str, Any]:
    import mlflow

    mlflow.set_tracking_uri(url)
    mlflow.set_experiment("bench")
    active = mlflow.start_run()
    log_metrics = mlflow.log_metrics
    window = Window(server_pid)
    window.start()
    for i in range(rows):
        log_metrics(row_values(i), step=i, synchronous=False)
    window.logged()
    mlflow.flush_async_logging()
    mlflow.end_run()
    window.end()
    figures = window.figures(rows)
    figures.update(_mlflow_read_back(mlflow.MlflowClient(), active.info.run_id, rows))
    return figures


def _mlflow_read_back(client: Any, run_id: str, rows: int) -> dict[str, Any]:
    """Two keys' stored histories through MLflow's API, compared value by value with what was
    logged (reading all 10 would take over a minute at 100,000 rows; the driver counts every
    key's rows in MLflow's database afterwards)."""
    exact = True
    last_step = None
    for key in ("m0", f"m{N_KEYS - 1}"):
        got = sorted((m.step, m.value) for m in client.get_metric_history(run_id, key))
        exact = exact and got == [(i, row_values(i)[key]) for i in range(rows)]
        last_step = got[-1][0] if got else None
    return {
        "read_back_exact": exact,
        "last_step": last_step,
        "state": client.get_run(run_id).info.status,
    }


def mlflow_rows_per_key(db: Path) -> int:
    """The fewest rows stored for any metric key in an MLflow SQLite database."""
    import sqlite3

    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        counts = con.execute("SELECT key, COUNT(*) FROM metrics GROUP BY key").fetchall()
    finally:
        con.close()
    return min((int(n) for _, n in counts), default=0) if len(counts) == N_KEYS else 0


def worker_main(args: argparse.Namespace) -> int:
    if args.worker == "nbrun":
        figures = worker_nbrun(args.rows, args.server_pid, args.tmp, args.pg_database)
    elif args.worker == "replay":
        figures = worker_replay(args.rows, args.server_pid, args.tmp, args.pg_database)
    elif args.worker == "mlflow-batch":
        figures = worker_mlflow_batch(args.rows, args.server_pid, args.url)
    else:
        figures = worker_mlflow_async(args.rows, args.server_pid, args.url)
    args.out.write_text(json.dumps(figures))
    return 0


# --------------------------------------------------------------------------------------------
# Driver.
# --------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    config: str
    runs: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None

    @property
    def figures(self) -> dict[str, Any]:
        return merge_runs(self.runs) if self.runs else {}


def merge_runs(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median of every float figure over the repeats; the worst of every check."""
    merged = dict(runs[-1])
    for key, value in runs[-1].items():
        if isinstance(value, float):
            merged[key] = statistics.median(float(r[key]) for r in runs)
    for key in ("rows_read_back",):
        merged[key] = min(int(r[key]) for r in runs)
    for key in ("synced", "read_back_exact"):
        if key in merged:
            merged[key] = all(bool(r[key]) for r in runs)
    merged["server_tracebacks"] = sum(int(r.get("server_tracebacks", 0)) for r in runs)
    merged["repeats"] = len(runs)
    return merged


def run_worker(
    mode: list[str], tmp: Path, env: dict[str, str], script: Path = Path(__file__)
) -> dict[str, Any]:
    """``script`` (this one by default) in a fresh interpreter, in ``tmp``; returns the figures
    it wrote or raises with its last error line."""
    out = tmp / "result.json"
    argv = [sys.executable, str(script.resolve()), *mode, "--tmp", str(tmp)]
    argv += ["--out", str(out)]
    try:
        proc = subprocess.run(
            argv,
            cwd=tmp,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=WORKER_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(f"client timed out after {WORKER_TIMEOUT_S:.0f} s") from exc
    if proc.returncode != 0 or not out.exists():
        raise RuntimeError(last_error_line(proc.stderr or proc.stdout))
    figures: dict[str, Any] = json.loads(out.read_text())
    return figures


def measure_once(config: str, rows: int, pg: Postgres | None) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix=f"bench-{config}-"))
    try:
        with contextlib.ExitStack() as stack:
            if config.startswith(("nbrun", "replay")):
                mode = ["--worker", "nbrun" if config.startswith("nbrun") else "replay"]
                if config.endswith("postgres"):
                    assert pg is not None
                    database = stack.enter_context(pg.database())
                    db_url = pg.url(database)
                    mode += ["--pg-database", database]
                else:
                    db_url = f"sqlite:///{tmp / 'nbrun.db'}"
                server = start_nbrun_server(tmp, db_url)
                env = bench_env(tmp, NBRUN_BASE_URL=server.url, NBRUN_API_KEY=TOKEN)
            else:
                server = start_mlflow_server(tmp)
                env = bench_env(tmp, MLFLOW_TRACKING_URI=server.url)
                mode = ["--worker", config, "--url", server.url]
            stack.callback(server.stop)
            settle(server)
            idle_rss, _, _ = tree_memory(server.pid)
            mode += ["--rows", str(rows), "--server-pid", str(server.pid)]
            figures = run_worker(mode, tmp, env)
            figures["server_idle_rss_mb"] = idle_rss / 2**20
            figures["server_tracebacks"] = server.tracebacks()
            if server.kind == "mlflow":
                figures["rows_read_back"] = mlflow_rows_per_key(tmp / "mlflow.db")
            return figures
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def measure(config: str, rows: int, repeats: int, pg: Postgres | None) -> Outcome:
    outcome = Outcome(config)
    for i in range(repeats):
        print(f"  {LABELS[config]}: run {i + 1}/{repeats}", file=sys.stderr, flush=True)
        try:
            outcome.runs.append(measure_once(config, rows, pg))
        except Exception as exc:
            outcome.error = f"{type(exc).__name__}: {exc}"
            break
    return outcome


# --------------------------------------------------------------------------------------------
# Report.
# --------------------------------------------------------------------------------------------


def mark(ok: bool) -> str:
    return " ✓" if ok else " ✗"


def environment_lines(load_before: tuple[float, float, float], pg_version: str) -> list[str]:
    versions = [f"nbrun {version_of('nbrun')}", f"mlflow {version_of('mlflow')}"]
    versions += [f"{d} {version_of(d)}" for d in ("fastapi", "uvicorn", "sqlalchemy", "psycopg")]
    versions += [f"psutil {version_of('psutil')}"]
    if pg_version:
        versions.append(f"PostgreSQL {pg_version}")
    return [
        f"- command: `{command_line(__file__)}` (from the repo root)",
        f"- date: {dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- machine: nproc {os.cpu_count()}, {platform.machine()}, "
        f"{platform.system()} {platform.release()}",
        f"- python: {platform.python_version()} ({platform.python_implementation()})",
        # Other work on a 2-core machine skews every figure: the load average says how quiet it was.
        f"- load average (1/5/15 min) before: {load_text(load_before)}, "
        f"after: {load_text(os.getloadavg())}",
        f"- versions: {', '.join(versions)}",
    ]


TARGET_ROWS_PER_S = 50_000.0
TARGET_FINISH_MS = 1_000.0

MAIN = ("nbrun-sqlite", "nbrun-postgres", "mlflow-batch", "mlflow-async")
REPLAY = ("replay-sqlite", "replay-postgres")

ROWS_SPEC: list[tuple[str, str, str]] = [
    ("rows", "rows logged (10 scalars each)", "{:,}"),
    ("rows_per_s", "end-to-end rows/s (first log → finish)", "{:,.0f}"),
    ("log_loop_s", "log loop (s)", "{:.2f}"),
    ("finish_ms", "finish after the last log (ms)", "{:,.0f}"),
    ("client_cpu_us_per_row", "client CPU per row (µs)", "{:.1f}"),
    ("server_cpu_us_per_row", "server CPU per row (µs)", "{:.1f}"),
    ("db_cpu_us_per_row", "PostgreSQL backend CPU per row (µs)", "{:.1f}"),
    ("server_idle_rss_mb", "server RSS when idle (MB)", "{:,.0f}"),
    ("server_peak_rss_mb", "server peak RSS (MB)", "{:,.0f}"),
    ("server_processes", "server processes", "{}"),
    ("rows_read_back", "rows stored, every key", "{:,}"),
    ("read_back_exact", "stored values exact", "{}"),
    ("last_step", "last step stored", "{:,}"),
    ("repeats", "runs (median quoted)", "{}"),
]

REPLAY_SPEC: list[tuple[str, str, str]] = [
    ("rows", "rows (10 scalars each)", "{:,}"),
    ("batches", "batches posted", "{}"),
    ("rows_per_s", "rows/s applied and acknowledged", "{:,.0f}"),
    ("server_cpu_us_per_row", "server CPU per row (µs)", "{:.1f}"),
    ("db_cpu_us_per_row", "PostgreSQL backend CPU per row (µs)", "{:.1f}"),
    ("server_peak_rss_mb", "server peak RSS (MB)", "{:,.0f}"),
    ("last_step", "last step stored", "{:,}"),
    ("repeats", "runs (median quoted)", "{}"),
]

TARGETS = {"rows_per_s": "≥ 50,000", "finish_ms": "≤ 1,000"}


def cell(config: str, key: str, value: Any, fmt: str) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    text = fmt.format(value)
    if config.startswith("nbrun"):
        if key == "rows_per_s":
            text += mark(value >= TARGET_ROWS_PER_S)
        elif key == "finish_ms":
            text += mark(value <= TARGET_FINISH_MS)
    return text


def figure_table(
    outcomes: list[Outcome], spec: list[tuple[str, str, str]], targets: dict[str, str]
) -> str:
    header = ["figure"] + (["target"] if targets else []) + [LABELS[o.config] for o in outcomes]
    rows = []
    for key, label, fmt in spec:
        cells = [label] + ([targets.get(key, "")] if targets else [])
        for o in outcomes:
            cells.append("n/a" if o.error else cell(o.config, key, o.figures.get(key), fmt))
        rows.append(cells)
    return markdown_table(header, rows)


def build_report(outcomes: list[Outcome]) -> str:
    main_outcomes = [o for o in outcomes if o.config in MAIN]
    replay_outcomes = [o for o in outcomes if o.config in REPLAY]
    parts = []
    if main_outcomes:
        parts.append(figure_table(main_outcomes, ROWS_SPEC, TARGETS))

    ok = {o.config: o.figures for o in outcomes if not o.error}
    pairs = [(m, "mlflow-batch") for m in ("nbrun-sqlite", "nbrun-postgres")]
    pairs = [(m, p) for m, p in pairs if m in ok and p in ok]
    if pairs:
        ratio_rows = []
        for key, label in [
            ("rows_per_s", "end-to-end rows/s (higher is better)"),
            ("client_cpu_us_per_row", "client CPU per row (lower is better)"),
            ("server_cpu_us_per_row", "server CPU per row (lower is better)"),
            ("server_peak_rss_mb", "server peak RSS (lower is better)"),
        ]:
            cells = [label]
            for m, p in pairs:
                a, b = ok[m].get(key), ok[p].get(key)
                cells.append(ratio_text(a / b) if a and b else "–")
            ratio_rows.append(cells)
        header = ["ratio nbrun / MLflow log_batch"] + [LABELS[m] for m, _ in pairs]
        parts.append(markdown_table(header, ratio_rows))

    if replay_outcomes:
        parts.append(
            "The server alone (what bounds the upload): the record log of an offline nbrun run "
            "with the same rows, cut into batches as the sender cuts it (record-log frames as "
            "they are, in a msgpack map) and encoded beforehand, posted back to back on one "
            "keep-alive connection:\n\n" + figure_table(replay_outcomes, REPLAY_SPEC, {})
        )

    notes = []
    for o in outcomes:
        f = o.figures
        if o.error:
            notes.append(f"{LABELS[o.config]} failed: `{o.error}`")
            continue
        if f.get("stopped_early_of"):
            notes.append(
                f"{LABELS[o.config]}: {f['rows']:,} rows measured, not "
                f"{f['stopped_early_of']:,}: at its rate the full count would have taken over "
                f"{MLFLOW_BUDGET_S / 60:.0f} minutes (the figures are for the rows measured)."
            )
        if o.config.startswith(("nbrun", "replay")) and not f.get("synced"):
            notes.append(f"{LABELS[o.config]}: not every record was acknowledged after finish!")
        if f.get("server_tracebacks"):
            notes.append(f"{LABELS[o.config]}: the server log holds tracebacks.")
    if notes:
        parts.append("\n".join(f"- {n}" for n in notes))
    return "\n\n".join(parts)


# What closed the gap to the targets (kept with the figures, so a rerun keeps it too).
CHANGES = """\
How the targets were reached (from 40,296 rows/s and a 2,007 ms finish on SQLite, 29,695 and
2,824 ms on PostgreSQL, profiled with py-spy): the sender posts record-log frames as the log
holds them (no decoding and re-encoding in the training process) and checks the log every 50 ms
instead of sleeping 200 ms when idle; loopback posts are not gzip'd; the server checks a plain
batch at C speed, folds consecutive history rows in one call, and stores whole rows in chunks of
512 per table row (`history_chunks`) instead of one table row per logged row; it freezes its
start-up objects out of the cyclic garbage collector (full collections walked them on every
batch; alone this took the finish from 1.65 s to 1.0 s); on PostgreSQL, blocks and chunks are
stored uncompressed (pglz compression cost the database 11.5 µs per row, now 1.5). Pipelining
the sender (two batches in flight) was not needed: one server process applies one run's batches
one after the other under the GIL, so a second batch in flight would only wait.

The machine is shared with other engineers' builds and tests (see the load average): every
nbrun figure is the median of the runs listed, each with a fresh server, database and client."""


METHOD = f"""\
Method: each server runs as its own subprocess (a new process group, ended with it) on a free
loopback port, with its database and files in a fresh temp dir: `python -m nbrun.server --host
127.0.0.1 --port 0 --db-url ... --storage ... --token ... --state-file ...` (the URL read from
the state file), or `mlflow server --backend-store-uri sqlite:///<tmp>/mlflow.db --host
127.0.0.1 --port P` with its defaults (4 uvicorn workers and its job-runner processes, all
counted as "server"). On PostgreSQL every nbrun run gets a database of its own, created for it
and dropped after it. The client is a fresh subprocess with HOME in the temp dir:
`nbrun.init(project="bench", settings={{"silent": True, "console": "off"}})` with
`NBRUN_BASE_URL`/`NBRUN_API_KEY` set, `run.log(row)` per row, `run.finish()`; MLflow:
`MlflowClient(url).log_batch(run_id, metrics=[...])` with {MLFLOW_BATCH_ROWS:,} rows
({MLFLOW_BATCH_ROWS * N_KEYS:,} metrics) per call, which MLflow's client sends as requests of
1,000 metrics (its limit), then `set_terminated(run_id)`; or `mlflow.log_metrics(row, step=i,
synchronous=False)` per row, then `flush_async_logging()` and `end_run()`. Each row is a new
dict of 10 floats, the same values for every tracker. End-to-end rows/s is rows over the time
from the first log call until finish returns; nbrun's sender thread uploads while the loop
runs, and after finish `run.status().synced` must be True (every record acknowledged by the
server, i.e. committed). "Finish after the last log" is the finish call alone (MLflow's
log_batch is synchronous: its loop is the upload). Client CPU is the client process's
user+system time (all threads) over the same window; server CPU that of every server process
(psutil, read by the client just before its first log call and just after finish); on
PostgreSQL the CPU of the database's own backend processes serving the run's database
(pg_stat_activity) is shown separately. Server RSS is the sum over the server's processes of
each one's peak (VmHWM); "idle" is after start-up, once its process tree has settled. Read-back:
nbrun's `Api(url, key).run(path).history(keys=all 10, samples=rows, pandas=False)` (the server
sends every point when samples ≥ the count), compared value by value with what was logged;
MLflow's `get_metric_history` for m0 and m9, compared value by value, and every key's row count
from its SQLite database (all 10 keys through its API would take minutes). "The server alone"
replays the record log of an offline nbrun run of the same rows (run, config, metadata, history,
exit records), cut into batches of {MAX_BATCH_TEXT} of frames at frame boundaries like the
sender, encoded as the sender encodes them (the frames as the log holds them, in a msgpack map,
not compressed: the sender compresses only for non-loopback servers) before the clock starts,
and posted one after the other (each waits for its acknowledgement, like the sender); rows/s is
rows over the time from the first post until the last acknowledgement. nbrun figures are medians
over the runs listed (each with a fresh server, database and client); MLflow runs once per mode.
MLflow's log_batch pass stops at {MLFLOW_PROBE_ROWS:,} rows if the full count would take over
{MLFLOW_BUDGET_S / 60:.0f} minutes at the rate measured so far; the async pass logs fewer rows
by default as it is much slower. ✓/✗ compare nbrun with the targets of the issue.
"""


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--rows", type=int, default=100_000, help="rows per nbrun run (100000)")
    p.add_argument("--repeats", type=int, default=3, help="nbrun runs per database (3)")
    p.add_argument(
        "--mlflow-rows", type=int, default=100_000, help="rows for MLflow log_batch (100000)"
    )
    p.add_argument(
        "--mlflow-async-rows",
        type=int,
        default=10_000,
        help="rows for MLflow's per-row async log_metrics (10000; 0 skips it)",
    )
    p.add_argument("--only", default="", help=f"comma-separated subset of {','.join(CONFIGS)}")
    p.add_argument("--no-write", action="store_true", help="do not touch bench/RESULTS.md")
    # Internal: the client subprocess.
    p.add_argument(
        "--worker",
        choices=["nbrun", "replay", "mlflow-batch", "mlflow-async"],
        help=argparse.SUPPRESS,
    )
    p.add_argument("--server-pid", type=int, help=argparse.SUPPRESS)
    p.add_argument("--pg-database", help=argparse.SUPPRESS)
    p.add_argument("--url", help=argparse.SUPPRESS)
    p.add_argument("--tmp", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.rows < 1 or args.repeats < 1 or args.mlflow_rows < 0 or args.mlflow_async_rows < 0:
        p.error("--rows and --repeats must be >= 1, the MLflow row counts >= 0")
    return args


def install_signal_handlers() -> None:
    """SIGTERM/SIGHUP end the run through the ``finally`` blocks (servers, databases)."""

    def stop(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        return worker_main(args)
    chosen = [c for c in RUN_ORDER if not args.only or c in args.only.split(",")]
    unknown = [c for c in args.only.split(",") if c and c not in CONFIGS]
    if unknown:
        print(f"unknown config(s): {', '.join(unknown)}", file=sys.stderr)
        return 2
    install_signal_handlers()
    t_start = time.monotonic()
    load_before = os.getloadavg()
    pg = Postgres()
    outcomes: list[Outcome] = []
    try:
        needs_pg = [c for c in chosen if c.endswith("postgres")]
        if needs_pg and not pg.up():
            for config in needs_pg:
                outcomes.append(Outcome(config, error=pg.error))
                chosen.remove(config)
        for config in chosen:
            rows, repeats = args.rows, args.repeats
            if config == "mlflow-batch":
                rows, repeats = args.mlflow_rows, 1
            elif config == "mlflow-async":
                rows, repeats = args.mlflow_async_rows, 1
            if rows == 0:
                continue
            print(f"measuring {LABELS[config]} ({rows:,} rows)...", file=sys.stderr, flush=True)
            outcomes.append(measure(config, rows, repeats, pg))
    finally:
        stop_all_servers()
        pg.close()
    outcomes.sort(key=lambda o: CONFIGS.index(o.config))
    body = "\n\n".join(
        [
            "\n".join(environment_lines(load_before, pg.version)),
            build_report(outcomes),
            CHANGES,
            METHOD,
        ]
    )
    publish(SECTION, body, t_start, write=not args.no_write)
    return 0 if all(o.error is None for o in outcomes) else 1


if __name__ == "__main__":
    raise SystemExit(main())
