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
"""

# mypy: disable-error-code="import-not-found,import-untyped"
from __future__ import annotations

import argparse
import functools
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from _measure import Window, tree_memory, within_budget
from _report import Section, Target, outcome_notes, prose, ratios, spec_table
from _servers import Postgres, on_servers, pg_backend_cpu, running_server
from _trackers import (
    N_KEYS,
    Mlflow,
    Nbrun,
    Tracker,
    mlflow_read_back,
    mlflow_rows_per_key,
    nbrun_read_back,
    row_values,
    sender_requests,
)
from _workers import Outcome, bench_parser, chosen, fresh_dir, median_runs, run_worker, work

SECTION = "## online_ingest"

WORKER_TIMEOUT_S = 480.0  # hard bound on any one client subprocess
MLFLOW_BATCH_ROWS = 1_000  # rows per log_batch call (MLflow's client sends 1,000 metrics/request)
# MLflow's log_batch pass stops at this many rows when the full count would take longer than
# MLFLOW_BUDGET_S at the rate measured so far; the table then says how many rows were measured.
MLFLOW_PROBE_ROWS = 10_000
MLFLOW_BUDGET_S = 300.0
MAX_BATCH_TEXT = "4 MiB"  # the sender's request size (SEND_BATCH_BYTES), whole frames
CLIENT_SETTINGS = {"silent": True, "console": "off"}

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


def window(args: argparse.Namespace) -> Window:
    """The server's CPU window, with the PostgreSQL backends' CPU when the run has a database."""
    db = args.pg_database
    return Window(args.server_pid, functools.partial(pg_backend_cpu, db) if db else None)


def log_rows(tracker: Tracker, args: argparse.Namespace) -> dict[str, Any]:
    """``--rows`` rows through ``tracker``, timed from the first log call until finish returns."""
    tracker.import_()
    tracker.start(args.tmp)
    clock = window(args)
    log = tracker.log_fn()
    clock.start()
    for i in range(args.rows):
        log(row_values(i))
    clock.logged()
    tracker.finish()
    clock.end()
    return clock.figures(args.rows)


def worker_nbrun(args: argparse.Namespace) -> dict[str, Any]:
    tracker = Nbrun(mode=None, **CLIENT_SETTINGS)  # online: NBRUN_BASE_URL names the server
    figures = log_rows(tracker, args)
    status = tracker.run.status()
    figures["synced"] = bool(status.synced)
    figures["client_error"] = status.last_error
    api = tracker.module.Api(os.environ["NBRUN_BASE_URL"], os.environ["NBRUN_API_KEY"])
    figures.update(nbrun_read_back(api, tracker.run.path, args.rows))
    return figures


def worker_replay(args: argparse.Namespace) -> dict[str, Any]:
    """The server alone: the record log of an offline run with the same rows, cut into batches
    as the sender cuts it and encoded as it encodes them beforehand, posted back to back."""
    import requests

    from nbrun.protocol import http as http_api

    offline = Nbrun(mode="offline", **CLIENT_SETTINGS)
    offline.import_()
    offline.start(args.tmp)
    for i in range(args.rows):
        offline.run.log(row_values(i))
    offline.finish()
    run = offline.run
    bodies, last_seq = sender_requests(run.status().log_path)
    url = os.environ["NBRUN_BASE_URL"] + http_api.run_path(*run.path.split("/")) + "/records"
    session = requests.Session()
    session.headers.update(
        {
            http_api.AUTH_HEADER: f"Bearer {os.environ['NBRUN_API_KEY']}",
            "Content-Type": http_api.MSGPACK_CONTENT_TYPE,
        }
    )
    clock = window(args)
    acked = 0
    clock.start()
    for body in bodies:
        response = session.post(url, data=body, timeout=120)
        response.raise_for_status()
        acked = int(response.json()["acked_seq"])
    clock.logged()
    clock.end()
    figures = clock.figures(args.rows)
    figures["synced"] = acked == last_seq
    figures["batches"] = len(bodies)
    api = offline.module.Api(os.environ["NBRUN_BASE_URL"], os.environ["NBRUN_API_KEY"])
    stored = api.run(run.path)
    figures["last_step"] = stored.last_step
    figures["rows_read_back"] = stored.last_step + 1 if stored.last_step is not None else 0
    return figures


def worker_mlflow_batch(args: argparse.Namespace) -> dict[str, Any]:
    from mlflow import MlflowClient
    from mlflow.entities import Metric

    rows = args.rows
    client = MlflowClient(tracking_uri=args.url)
    experiment = client.create_experiment("bench")
    run_id = client.create_run(experiment).info.run_id

    def send(start: int, end: int) -> None:
        stamp = int(time.time() * 1000)
        steps = range(start, end)
        metrics = [Metric(k, v, stamp, i) for i in steps for k, v in row_values(i).items()]
        client.log_batch(run_id, metrics=metrics)

    clock = window(args)
    clock.start()
    done = within_budget(rows, MLFLOW_BATCH_ROWS, MLFLOW_PROBE_ROWS, MLFLOW_BUDGET_S, send)
    clock.logged()
    client.set_terminated(run_id)
    clock.end()
    figures = clock.figures(done)
    figures["stopped_early_of"] = rows if done < rows else None
    figures.update(mlflow_read_back(client, run_id, done))
    return figures


def worker_mlflow_async(args: argparse.Namespace) -> dict[str, Any]:
    tracker = Mlflow(tracking_uri=args.url, experiment="bench")
    figures = log_rows(tracker, args)
    client = tracker.module.MlflowClient()
    figures.update(mlflow_read_back(client, tracker.run.info.run_id, args.rows))
    return figures


WORKERS: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {
    "nbrun": worker_nbrun,
    "replay": worker_replay,
    "mlflow-batch": worker_mlflow_batch,
    "mlflow-async": worker_mlflow_async,
}


# --------------------------------------------------------------------------------------------
# Driver.
# --------------------------------------------------------------------------------------------


def measure_once(config: str, rows: int, pg: Postgres) -> dict[str, Any]:
    """A fresh server and database for ``config``, and a fresh client logging ``rows``."""
    kind = "mlflow" if config.startswith("mlflow") else "nbrun-" + config.split("-")[1]
    with fresh_dir(f"bench-{config}-") as tmp, running_server(kind, tmp, pg) as started:
        server, env, database = started
        if server.kind == "mlflow":
            mode = ["--worker", config, "--url", server.url]
        else:
            mode = ["--worker", config.split("-")[0]]
            mode += ["--pg-database", database] if database else []
        idle_rss, _, _ = tree_memory(server.pid)
        mode += ["--rows", str(rows), "--server-pid", str(server.pid)]
        figures = run_worker(__file__, mode, tmp, env, WORKER_TIMEOUT_S)
        figures["server_idle_rss_mb"] = idle_rss / 2**20
        figures["server_tracebacks"] = server.tracebacks()
        if server.kind == "mlflow":
            figures["rows_read_back"] = mlflow_rows_per_key(tmp / "mlflow.db")
        return figures


def measure(config: str, rows: int, repeats: int, pg: Postgres) -> Outcome:
    runs, error = [], None
    for i in range(repeats):
        print(f"  {LABELS[config]}: run {i + 1}/{repeats}", file=sys.stderr, flush=True)
        try:
            runs.append(measure_once(config, rows, pg))
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            break
    if not runs:
        return Outcome(config, error=error)
    every = ["synced", "read_back_exact"]
    merged = median_runs(runs, ["rows_read_back"], every, total=["server_tracebacks"])
    return Outcome(config, merged, error)


# --------------------------------------------------------------------------------------------
# Report.
# --------------------------------------------------------------------------------------------

TARGETS = {"rows_per_s": Target(50_000.0, at_least=True), "finish_ms": Target(1_000.0)}

MAIN = ("nbrun-sqlite", "nbrun-postgres", "mlflow-batch", "mlflow-async")
REPLAY = ("replay-sqlite", "replay-postgres")

ROWS_SPEC = [  # (key, label, format)
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

REPLAY_SPEC = [
    ("rows", "rows (10 scalars each)", "{:,}"),
    ("batches", "batches posted", "{}"),
    ("rows_per_s", "rows/s applied and acknowledged", "{:,.0f}"),
    ("server_cpu_us_per_row", "server CPU per row (µs)", "{:.1f}"),
    ("db_cpu_us_per_row", "PostgreSQL backend CPU per row (µs)", "{:.1f}"),
    ("server_peak_rss_mb", "server peak RSS (MB)", "{:,.0f}"),
    ("last_step", "last step stored", "{:,}"),
    ("repeats", "runs (median quoted)", "{}"),
]

RATIOS = [
    ("rows_per_s", "end-to-end rows/s (higher is better)"),
    ("client_cpu_us_per_row", "client CPU per row (lower is better)"),
    ("server_cpu_us_per_row", "server CPU per row (lower is better)"),
    ("server_peak_rss_mb", "server peak RSS (lower is better)"),
]


def _checks(o: Outcome) -> list[str]:
    f, label, notes = o.figures, LABELS[o.name], []
    if f.get("stopped_early_of"):
        notes.append(
            f"{label}: {f['rows']:,} rows measured, not {f['stopped_early_of']:,}: at its rate "
            f"the full count would have taken over {MLFLOW_BUDGET_S / 60:.0f} minutes (the "
            "figures are for the rows measured)."
        )
    if o.name.startswith(("nbrun", "replay")) and not f.get("synced"):
        notes.append(f"{label}: not every record was acknowledged after finish!")
    return notes


def build_report(outcomes: list[Outcome]) -> str:
    main_outcomes = [o for o in outcomes if o.name in MAIN]
    replay_outcomes = [o for o in outcomes if o.name in REPLAY]
    parts = []
    if main_outcomes:
        parts.append(spec_table(main_outcomes, LABELS, ROWS_SPEC, TARGETS))

    ok = {o.name: o.figures for o in outcomes if not o.error}
    theirs = ok.get("mlflow-batch")
    if theirs is not None and (mine := [m for m in ("nbrun-sqlite", "nbrun-postgres") if m in ok]):
        columns = [(LABELS[m], ok[m], theirs) for m in mine]
        parts.append(ratios("ratio nbrun / MLflow log_batch", RATIOS, columns))
    if replay_outcomes:
        table = spec_table(replay_outcomes, LABELS, REPLAY_SPEC)
        parts.append(prose("online_ingest")["replay"] + "\n\n" + table)
    notes = outcome_notes(outcomes, LABELS, _checks)
    return "\n\n".join([*parts, notes] if notes else parts)


OPTIONS = [  # (flag, default, help)
    ("--rows", 100_000, "rows per nbrun run (100000)"),
    ("--repeats", 3, "nbrun runs per database (3)"),
    ("--mlflow-rows", 100_000, "rows for MLflow log_batch (100000)"),
    (
        "--mlflow-async-rows",
        10_000,
        "rows for MLflow's per-row async log_metrics (10000; 0 skips it)",
    ),
]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = bench_parser(
        __doc__, OPTIONS, CONFIGS, list(WORKERS), server=True, hidden=["--pg-database"]
    )
    args = p.parse_args(argv)
    if args.rows < 1 or args.repeats < 1 or args.mlflow_rows < 0 or args.mlflow_async_rows < 0:
        p.error("--rows and --repeats must be >= 1, the MLflow row counts >= 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        return work(args, WORKERS)

    def measure_config(config: str, pg: Postgres) -> Outcome | None:
        rows, repeats = args.rows, args.repeats
        if config == "mlflow-batch":
            rows, repeats = args.mlflow_rows, 1
        elif config == "mlflow-async":
            rows, repeats = args.mlflow_async_rows, 1
        if rows == 0:
            return None
        print(f"measuring {LABELS[config]} ({rows:,} rows)...", file=sys.stderr, flush=True)
        return measure(config, rows, repeats, pg)

    configs = chosen(args.only, RUN_ORDER, "config")
    section = Section(SECTION, __file__)
    outcomes, versions = on_servers(configs, CONFIGS, measure_config)
    text = prose("online_ingest")
    method = text["method"].format(
        batch_rows=MLFLOW_BATCH_ROWS,
        batch_metrics=MLFLOW_BATCH_ROWS * N_KEYS,
        max_batch=MAX_BATCH_TEXT,
        probe_rows=MLFLOW_PROBE_ROWS,
        budget_min=MLFLOW_BUDGET_S / 60,
    )
    # What closed the gap to the targets is kept with the figures, so a rerun keeps it too.
    report = [build_report(outcomes), text["changes"], method]
    section.publish(versions, report, write=not args.no_write)
    return 0 if all(o.error is None for o in outcomes) else 1


if __name__ == "__main__":
    raise SystemExit(main())
