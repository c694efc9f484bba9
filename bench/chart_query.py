"""Chart-query benchmark: one series of 1,000,000 points, downsampled to 2,000 by the server.

nbrun: a real ``python -m nbrun.server`` subprocess (SQLite, then PostgreSQL); a fresh client
subprocess stores one run whose history has a single key ``loss`` at ``--points`` steps (record
batches posted with ``nbrun.sync.client.BackendClient.post_records``, as the sender posts
them), then asks ``GET /api/v1/runs/{e}/{p}/{id}/history?keys=loss&samples=2000`` ``--queries``
times. Reported: the server's own time (its ``Server-Timing: app;dur=...`` header) and the
client's wall time, median and p95, for msgpack answers (what ``nbrun.Api`` asks for) and JSON
answers (what a browser gets); and whether the answer keeps the first, last, global minimum and
global maximum points, with at most 2,000 points.

MLflow: its tracking server (SQLite backend store) with the same series logged by
``MlflowClient().log_batch``; ``MlflowClient().get_metric_history(run_id, "loss")`` (every
point: MLflow's client has no downsampled read) and the sampled read its web UI's charts use,
``GET /ajax-api/2.0/mlflow/metrics/get-history-bulk-interval?max_results=2000`` (evenly spaced
points, no min/max keeping), timed from the client.

Usage (from the repo root, after ``bash bench/setup.sh``)::

    bench/.venv/bin/python bench/chart_query.py [--points N] [--queries N] [--only a,b] [--no-write]

The table is printed and, unless ``--no-write``, written to ``bench/RESULTS.md`` under
"## chart_query" (other sections of that file are kept). PostgreSQL runs need the local
cluster, as for ``bench/online_ingest.py``.
"""

# mypy: disable-error-code="import-not-found,import-untyped"
from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from _measure import server_memory, server_timing_ms, spread, timed_ms, tree_cpu_s
from _report import Section, Target, outcome_notes, prose, ratios, spec_table
from _servers import Postgres, on_servers, running_server
from _trackers import mlflow_store_series, nbrun_post_series
from _workers import Outcome, bench_env, bench_parser, chosen, fresh_dir, run_worker, work

SECTION = "## chart_query"
SAMPLES = 2_000
TARGET = Target(100.0)  # server time (ms)
WORKER_TIMEOUT_S = 480.0  # hard bound on any one client subprocess
INGEST_BATCH = 20_000  # records per POST (the sender's batch size)
MLFLOW_METRICS_PER_CALL = 10_000  # per log_batch call; MLflow's client sends 1,000 per request
# MLflow's load stops at MLFLOW_PROBE_POINTS when loading every point would take longer than
# MLFLOW_LOAD_BUDGET_S at the rate measured so far (the table then says how many were loaded).
MLFLOW_PROBE_POINTS = 100_000
MLFLOW_LOAD_BUDGET_S = 240.0
# get_metric_history of every point is repeated up to this many times within this budget.
MLFLOW_FULL_REPEATS = 3
MLFLOW_FULL_BUDGET_S = 150.0
MLFLOW_BULK_BUDGET_S = 90.0  # the sampled reads stop early (after 3 at least) past this
MIN_AT, MAX_AT = 0.876_543, 0.123_457  # where the global extremes sit, as a fraction of the run
RUN_PATH = ("bench", "chart", "loss1m")  # the run that holds the series: entity, project, id

LABELS = {
    "nbrun-sqlite": "nbrun (SQLite)",
    "nbrun-postgres": "nbrun (PostgreSQL)",
    "mlflow": "MLflow (SQLite)",
}
CONFIGS = tuple(LABELS)


# --------------------------------------------------------------------------------------------
# The series.
# --------------------------------------------------------------------------------------------


def series(points: int) -> list[float]:
    """A noisy decaying loss with one global maximum and one global minimum inside the run, at
    steps that are no bucket's first or last point (a stride sampler would miss them)."""
    rng = random.Random(20_240_601)
    values = [2.0 * math.exp(-i / (points / 5)) + 0.1 + rng.gauss(0.0, 0.05) for i in range(points)]
    if points >= 10:
        values[int(points * MAX_AT)] = 50.0
        values[int(points * MIN_AT)] = -50.0
    return values


def check_answer(xs: list[int], ys: list[float], values: list[float], limit: int) -> dict[str, Any]:
    """Whether a downsampled answer keeps what a chart needs, and is true to the data."""
    n = len(values)
    lo = min(range(n), key=values.__getitem__)
    hi = max(range(n), key=values.__getitem__)
    pairs = dict(zip(xs, ys, strict=True))
    return {
        "answer_points": len(xs),
        "within_limit": len(xs) <= limit,
        "keeps_first": pairs.get(0) == values[0],
        "keeps_last": pairs.get(n - 1) == values[-1],
        "keeps_min": pairs.get(lo) == values[lo],
        "keeps_max": pairs.get(hi) == values[hi],
        "points_true": all(0 <= x < n and values[x] == y for x, y in pairs.items()),
        "steps_sorted": xs == sorted(xs),
    }


# --------------------------------------------------------------------------------------------
# Client workers (fresh subprocesses).
# --------------------------------------------------------------------------------------------


def worker_nbrun(args: argparse.Namespace) -> dict[str, Any]:
    import msgpack
    import requests

    from nbrun.protocol import http as http_api

    points, queries, server_pid = args.points, args.queries, args.server_pid
    url, key = os.environ["NBRUN_BASE_URL"], os.environ["NBRUN_API_KEY"]
    values = series(points)
    figures: dict[str, Any] = {"points": points}
    figures |= nbrun_post_series(url, key, RUN_PATH, "loss", values, INGEST_BATCH)

    path = http_api.run_path(*RUN_PATH) + "/history"
    params = {"keys": "loss", "samples": SAMPLES}
    session = requests.Session()
    session.headers[http_api.AUTH_HEADER] = f"Bearer {key}"
    for fmt, accept in (("msgpack", http_api.MSGPACK_CONTENT_TYPE), ("json", "application/json")):

        def query(accept: str = accept) -> tuple[Any, dict[str, Any]]:
            """One request, and its answer decoded (both timed)."""
            response = session.get(
                url + path, params=params, headers={"Accept": accept}, timeout=120
            )
            response.raise_for_status()
            if accept == "application/json":
                return response, response.json()
            return response, msgpack.unpackb(response.content, raw=False)

        # The first query is the cold one, reported on its own.
        cold_ms, (response, _) = timed_ms(query)
        figures[f"{fmt}_cold_server_ms"] = server_timing_ms(response)
        figures[f"{fmt}_cold_wall_ms"] = cold_ms
        cpu0 = tree_cpu_s(server_pid)
        warm = [timed_ms(query) for _ in range(queries)]
        cpu = tree_cpu_s(server_pid) - cpu0
        response, answer = warm[-1][1]
        figures.update(spread(f"{fmt}_server_ms", [server_timing_ms(r) for _, (r, _) in warm]))
        figures.update(spread(f"{fmt}_wall_ms", [ms for ms, _ in warm]))
        figures[f"{fmt}_server_cpu_ms_per_query"] = cpu / queries * 1e3
        figures[f"{fmt}_bytes"] = len(response.content)
        got = answer["series"]["loss"]
        figures.update(
            {f"{fmt}_{k}": v for k, v in check_answer(got["x"], got["y"], values, SAMPLES).items()}
        )
    figures.update(server_memory(server_pid), queries=queries)
    return figures


def worker_mlflow_load(args: argparse.Namespace) -> dict[str, Any]:
    """Store the series in MLflow's SQLite database through its own store, in process (as its
    server stores a log_batch request, without the HTTP round trips: 3-4 times faster to set
    up), before the server starts on that database."""
    values = series(args.points)
    budget = (MLFLOW_METRICS_PER_CALL, MLFLOW_PROBE_POINTS, MLFLOW_LOAD_BUDGET_S)
    return mlflow_store_series(args.tmp, RUN_PATH, "loss", values, *budget)


def worker_mlflow(args: argparse.Namespace) -> dict[str, Any]:
    import requests
    from mlflow import MlflowClient

    points, queries, url, run_id = args.points, args.queries, args.url, args.run_id

    values = series(points)
    client = MlflowClient(tracking_uri=url)
    figures: dict[str, Any] = {}

    # The UI's sampled read: evenly spaced points chosen in SQL (first and last kept).
    bulk = f"{url}/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval"
    params = {"run_ids": run_id, "metric_key": "loss", "max_results": SAMPLES}
    session = requests.Session()

    def query() -> Any:
        response = session.get(bulk, params=params, timeout=300)
        response.raise_for_status()
        return response, response.json()

    started = time.perf_counter()
    figures["bulk_cold_wall_ms"], _ = timed_ms(query)
    warm: list[tuple[float, Any]] = []
    while len(warm) < queries:
        if len(warm) >= 3 and time.perf_counter() - started > MLFLOW_BULK_BUDGET_S:
            break  # bounded: fewer queries, and the table says how many
        warm.append(timed_ms(query))
    response, answer = warm[-1][1]
    got = sorted((int(m["step"]), float(m["value"])) for m in answer.get("metrics", []))
    checks = check_answer([s for s, _ in got], [v for _, v in got], values, SAMPLES)
    figures.update(spread("bulk_wall_ms", [ms for ms, _ in warm]))
    figures.update(bulk_queries=len(warm), bulk_bytes=len(response.content))
    figures.update({f"bulk_{k}": v for k, v in checks.items()})

    # Every point, as MlflowClient gives it.
    full_ms: list[float] = []
    started = time.perf_counter()
    count = 0
    while len(full_ms) < MLFLOW_FULL_REPEATS and (
        not full_ms or time.perf_counter() - started + full_ms[-1] / 1e3 < MLFLOW_FULL_BUDGET_S
    ):
        ms, count = timed_ms(lambda: len(client.get_metric_history(run_id, "loss")))
        full_ms.append(ms)
    figures.update(
        full_wall_ms_median=statistics.median(full_ms),
        full_repeats=len(full_ms),
        full_points=count,
    )
    figures.update(server_memory(args.server_pid), queries=queries)
    return figures


WORKERS: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {
    "nbrun": worker_nbrun,
    "mlflow-load": worker_mlflow_load,
    "mlflow": worker_mlflow,
}


# --------------------------------------------------------------------------------------------
# Driver.
# --------------------------------------------------------------------------------------------


def measure(config: str, points: int, queries: int, pg: Postgres) -> Outcome:
    try:
        with fresh_dir(f"bench-chart-{config}-") as tmp:
            loaded: dict[str, Any] = {}
            if config == "mlflow":  # its database is filled before its server starts
                load = ["--worker", "mlflow-load", "--points", str(points)]
                loaded = run_worker(__file__, load, tmp, bench_env(tmp), WORKER_TIMEOUT_S)
                points = int(loaded["points"])
            with running_server(config, tmp, pg) as (server, env, _):
                mode = ["--worker", "nbrun"]
                if config == "mlflow":
                    mode = ["--worker", "mlflow", "--url", server.url, "--run-id", loaded["run_id"]]
                mode += ["--points", str(points), "--queries", str(queries)]
                mode += ["--server-pid", str(server.pid)]
                figures = loaded | run_worker(__file__, mode, tmp, env, WORKER_TIMEOUT_S)
                figures["server_tracebacks"] = server.tracebacks()
    except Exception as exc:
        return Outcome(config, error=f"{type(exc).__name__}: {exc}")
    return Outcome(config, figures)


# --------------------------------------------------------------------------------------------
# Report.
# --------------------------------------------------------------------------------------------

TARGETS = {"msgpack_server_ms_median": TARGET, "json_server_ms_median": TARGET}
MS = "{:,.1f}"  # milliseconds


def _median_p95(prefix: str) -> str:
    return f"{prefix}_median / {prefix}_p95"


NBRUN_SPEC = [  # (key, label, format); "a / b" shows two figures
    ("points", "points in the series", "{:,}"),
    ("ingest_points_per_s", "setup: points stored per second", "{:,.0f}"),
    (_median_p95("msgpack_server_ms"), "server time, median / p95 (ms)", MS),
    (_median_p95("msgpack_wall_ms"), "client wall, median / p95 (ms)", MS),
    ("msgpack_cold_server_ms / msgpack_cold_wall_ms", "first (cold) query: server / wall (ms)", MS),
    ("msgpack_server_cpu_ms_per_query", "server CPU per query (ms)", MS),
    ("msgpack_answer", "answer", "{}"),
    ("msgpack_bytes", "answer size (bytes)", "{:,}"),
    (_median_p95("json_server_ms"), "JSON answer: server time, median / p95 (ms)", MS),
    (_median_p95("json_wall_ms"), "JSON answer: client wall, median / p95 (ms)", MS),
    ("json_bytes", "JSON answer size (bytes)", "{:,}"),
    ("server_rss_mb", "server RSS after the queries (MB)", "{:,.0f}"),
    ("server_peak_rss_mb", "server peak RSS (MB)", "{:,.0f}"),
]

MLFLOW_SPEC = [
    ("points", "points in the series", "{:,}"),
    ("ingest_points_per_s", "setup: points stored per second", "{:,.0f}"),
    (
        _median_p95("bulk_wall_ms"),
        "sampled read (web UI, max_results=2000): wall, median / p95 (ms)",
        MS,
    ),
    ("bulk_cold_wall_ms", "  first (cold) query wall (ms)", MS),
    ("bulk_queries", "  queries timed", "{}"),
    ("bulk_answer", "  answer", "{}"),
    ("bulk_bytes", "  answer size (bytes, JSON)", "{:,}"),
    ("full_wall_ms_median", "get_metric_history, every point: wall, median (ms)", MS),
    ("full_points / full_repeats", "  points returned / runs", "{:,} / {}"),
    ("server_processes", "server processes", "{}"),
    ("server_rss_mb", "server RSS after the queries (MB)", "{:,.0f}"),
    ("server_peak_rss_mb", "server peak RSS (MB)", "{:,.0f}"),
]

RATIOS = [  # (nbrun's key / MLflow's key, label)
    (
        "msgpack_wall_ms_median / bulk_wall_ms_median",
        "client wall: nbrun downsampled / MLflow sampled read",
    ),
    (
        "msgpack_wall_ms_median / full_wall_ms_median",
        "client wall: nbrun downsampled / MLflow get_metric_history",
    ),
    ("server_peak_rss_mb", "server peak RSS"),
]

ANSWER_CHECKS = [("within_limit", "≤ 2,000"), ("keeps_first", "first"), ("keeps_last", "last")]
ANSWER_CHECKS += [("keeps_min", "min"), ("keeps_max", "max"), ("points_true", "true values")]
ANSWER_CHECKS += [("steps_sorted", "step order")]


def _answers(o: Outcome) -> Outcome:
    """``o`` with its answers' checks in words: "N points; keeps first, last, min, max" or
    "N points; misses min, max"."""
    f = dict(o.figures)
    for prefix in ("msgpack", "bulk"):
        missing = [label for key, label in ANSWER_CHECKS if not f.get(f"{prefix}_{key}")]
        verdict = f"misses {', '.join(missing)}" if missing else "keeps first, last, min, max"
        f[f"{prefix}_answer"] = f"{f.get(f'{prefix}_answer_points', 0):,} points; {verdict}"
    return Outcome(o.name, f, o.error)


def _notes(o: Outcome) -> list[str]:
    f, label, notes = o.figures, LABELS[o.name], []
    if f.get("stopped_early_of"):
        notes.append(
            f"{label}: {f['points']:,} points loaded, not {f['stopped_early_of']:,}: at its "
            f"rate loading them all would have taken over {MLFLOW_LOAD_BUDGET_S / 60:.0f} "
            f"minutes; its figures are for {f['points']:,}."
        )
    if o.name != "mlflow" and not f.get("stored"):
        notes.append(f"{label}: the server did not acknowledge every point!")
    return notes


def build_report(outcomes: list[Outcome]) -> str:
    mine = [_answers(o) for o in outcomes if o.name != "mlflow"]
    theirs = [_answers(o) for o in outcomes if o.name == "mlflow"]
    parts = []
    if mine:
        parts.append(
            f"nbrun, `GET .../history?keys=loss&samples={SAMPLES}` (msgpack unless marked "
            "JSON):\n\n" + spec_table(mine, LABELS, NBRUN_SPEC, TARGETS)
        )
    if theirs:
        parts.append("MLflow tracking server:\n\n" + spec_table(theirs, LABELS, MLFLOW_SPEC))
    ml_f = theirs[0].figures if theirs and not theirs[0].error else None
    ok = [o for o in mine if not o.error]
    if ml_f and ok:
        columns = [(LABELS[o.name], o.figures, ml_f) for o in ok]
        parts.append(ratios("ratio nbrun / MLflow (lower is better)", RATIOS, columns))
    notes = outcome_notes(outcomes, LABELS, _notes)
    return "\n\n".join([*parts, notes] if notes else parts)


OPTIONS = [  # (flag, default, help)
    ("--points", 1_000_000, "points in the series (1000000)"),
    ("--queries", 20, "timed queries after a cold one (20)"),
]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = bench_parser(__doc__, OPTIONS, CONFIGS, list(WORKERS), server=True, hidden=["--run-id"])
    args = p.parse_args(argv)
    if args.points < 10 or not 1 <= args.queries <= 1000:
        p.error("--points must be >= 10 and --queries between 1 and 1000")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        return work(args, WORKERS)

    def measure_config(config: str, pg: Postgres) -> Outcome:
        print(
            f"measuring {LABELS[config]} ({args.points:,} points)...", file=sys.stderr, flush=True
        )
        return measure(config, args.points, args.queries, pg)

    configs = chosen(args.only, CONFIGS, "config")
    section = Section(SECTION, __file__)
    outcomes, versions = on_servers(configs, CONFIGS, measure_config)
    text = prose("chart_query")
    method = text["method"].format(
        max_at=MAX_AT,
        min_at=MIN_AT,
        ingest_batch=INGEST_BATCH,
        samples=SAMPLES,
        full_repeats=MLFLOW_FULL_REPEATS,
        full_budget_s=MLFLOW_FULL_BUDGET_S,
        probe_points=MLFLOW_PROBE_POINTS,
        load_budget_min=MLFLOW_LOAD_BUDGET_S / 60,
        target_ms=TARGET.bound,
    )
    report = [build_report(outcomes), text["design"], method]
    section.publish(versions, report, write=not args.no_write)
    return 0 if all(o.error is None for o in outcomes) else 1


if __name__ == "__main__":
    raise SystemExit(main())
