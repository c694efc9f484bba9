"""Dashboard load benchmark: a run with 10 metrics of 1,000,000 points each, from page load to
every chart drawn, in headless Chromium.

A real ``python -m nbrun.server`` subprocess (SQLite) stores one run whose 1,000,000 history
rows each hold 10 scalar keys (record batches posted with ``BackendClient.post_records``, as the
sender posts them). Debian's Chromium (``/usr/bin/chromium``, driven by Playwright; never a
downloaded browser) signs in once, then opens the run page ``--loads`` times, each in a new
tab. Measured per load, in the page's own clock (``performance.now()``, from navigation start):
until every chart panel has drawn its series (the app marks a panel ``data-drawn`` once plotly
has drawn it). The first load has a cold browser cache (it fetches the app's ~1.6 MB of
JavaScript); later loads have it cached, as any returning user does. Also reported: the points
each chart holds (at most 2,000 per trace: the server downsamples), the bytes of history the
page fetched, and the server's time summed over those requests (``Server-Timing`` headers).
The issue's target: all charts drawn within 1.5 s of page load. No peer is compared: wandb
offline has no local web UI, and MLflow's and trackio's UIs draw other things (the chart-query
benchmark compares the data path with MLflow's).

Usage (from the repo root; needs the project's .venv, which has Playwright, and a built
dashboard: ``labextension/build.sh``)::

    .venv/bin/python bench/dashboard_load.py [--points N] [--loads N] [--no-write]

The table is printed and, unless ``--no-write``, written to ``bench/RESULTS.md`` under
"## dashboard_load" (other sections are kept).
"""

# mypy: disable-error-code="import-not-found,import-untyped"
from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _report import REPO_ROOT, command_line, load_text, markdown_table, version_of, write_results
from _servers import TOKEN, start_nbrun_server, stop_all_servers

sys.path.insert(0, str(REPO_ROOT))  # the browser tests' Chromium launch, one definition
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

SECTION = "## dashboard_load"
KEYS = 10
TARGET_MS = 1500.0
BATCH_ROWS = 5_000  # rows per POST (10 points each)
ALL_DRAWN = """(count) => {
  const drawn = document.querySelectorAll('.chart[data-drawn="1"]').length;
  return drawn >= count ? performance.now() : false;
}"""


def row(step: int, points: int) -> dict[str, Any]:
    """One history row: 10 metrics of different shapes (so each chart has something to show)."""
    t = step / points
    values: dict[str, Any] = {"_step": step}
    for k in range(KEYS):
        section = "train" if k < 5 else "val"
        wave = 0.05 * math.sin(step / (7 + k))
        values[f"{section}/metric_{k}"] = math.exp(-t * (k + 1)) + wave + 0.01 * k
    return values


def store_run(url: str, points: int) -> tuple[str, float]:
    """Post the run's rows; returns its path and the points stored per second."""
    from nbrun.sync.client import Backend, BackendClient

    entity, project, run_id = "bench", "dashboard", f"load{points}"
    client = BackendClient(Backend(url, TOKEN), timeout=600)
    started = time.perf_counter()
    for start in range(0, points, BATCH_ROWS):
        stop = min(points, start + BATCH_ROWS)
        records = [[i + 1, "history", row(i, points)] for i in range(start, stop)]
        client.post_records(entity, project, run_id, records)
        if start // BATCH_ROWS % 20 == 0:
            print(f"  stored {stop:,} / {points:,} rows", file=sys.stderr, flush=True)
    rate = points * KEYS / (time.perf_counter() - started)
    last = points + 1
    exit_record = {"exit_code": 0, "time": time.time(), "runtime": 1.0, "summary": {}}
    client.post_records(entity, project, run_id, [[last, "exit", exit_record]])
    client.close()
    return f"{entity}/{project}/runs/{run_id}", rate


def measure_loads(url: str, run_page: str, loads: int) -> list[dict[str, Any]]:
    from playwright.sync_api import sync_playwright

    results = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.set_default_timeout(120_000)
        signin = context.new_page()
        signin.goto(f"{url}/login#token={TOKEN}")
        signin.wait_for_selector("main.page h1:text('Projects')")
        signin.close()
        for _ in range(loads):
            page = context.new_page()
            timings: list[float] = []
            sizes: list[int] = []

            def on_response(response: Any, timings: list[float] = timings) -> None:
                if "/history" in response.url:
                    server = response.headers.get("server-timing", "")
                    if "dur=" in server:
                        timings.append(float(server.split("dur=")[1]))

            def on_finished(request: Any, sizes: list[int] = sizes) -> None:
                if "/history" in request.url:
                    sizes.append(request.sizes()["responseBodySize"])

            page.on("response", on_response)
            page.on("requestfinished", on_finished)
            page.goto(f"{url}/{run_page}", wait_until="commit")
            drawn = page.wait_for_function(ALL_DRAWN, arg=KEYS, polling="raf").json_value()
            charts = page.locator(".chart")
            points = [int(charts.nth(i).get_attribute("data-points") or 0) for i in range(KEYS)]
            results.append(
                {
                    "drawn_ms": float(drawn),
                    "charts": charts.count(),
                    "max_points": max(points),
                    "history_bytes": sum(sizes),
                    "server_ms": sum(timings),
                    "requests": len(timings),
                }
            )
            page.close()
        browser.close()
    return results


def report(points: int, rate: float, loads: list[dict[str, Any]], load_before: Any) -> str:
    cold, warm = loads[0], loads[1:] or loads
    warm_ms = [r["drawn_ms"] for r in warm]
    median = statistics.median(warm_ms)

    def mark(ms: float) -> str:
        return "✓" if ms <= TARGET_MS else "✗"

    rows = [
        ["charts on the page", "", f"{cold['charts']}"],
        ["points per metric stored", "", f"{points:,}"],
        ["setup: points stored per second", "", f"{rate:,.0f}"],
        [
            "first load (cold cache): all charts drawn (ms)",
            f"≤ {TARGET_MS:,.0f}",
            f"{cold['drawn_ms']:,.0f} {mark(cold['drawn_ms'])}",
        ],
        [
            f"later loads (n={len(warm)}): median / max (ms)",
            f"≤ {TARGET_MS:,.0f}",
            f"{median:,.0f} / {max(warm_ms):,.0f} {mark(median)}",
        ],
        ["most points held by one chart", "≤ 2,000", f"{cold['max_points']:,}"],
        ["history fetched per load (bytes)", "", f"{cold['history_bytes']:,}"],
        ["history requests per load (in parallel)", "", f"{cold['requests']}"],
        [
            "server time, summed over those requests (ms)",
            "",
            f"{statistics.median(r['server_ms'] for r in loads):,.1f}",
        ],
    ]
    lines = [
        f"- command: `{command_line(__file__)}` (from the repo root)",
        f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        f"- machine: nproc {os.cpu_count()}, load average before: {load_text(load_before)}",
        f"- versions: nbrun {version_of('nbrun')}, playwright {version_of('playwright')}, "
        f"chromium: Debian `{CHROMIUM}`",
        "",
        markdown_table(["figure", "target", "nbrun (SQLite)"], rows),
        "",
        "Time is the page's own `performance.now()` when the last of the charts has drawn,",
        "from navigation start. The run page asks `GET .../history?keys=...&samples=2000` for",
        "its metrics in parallel requests while plotly.js loads; the server downsamples each",
        f"{points:,}-point series to at most 2,000 points (first, last, minima and maxima",
        "kept), and each chart draws as its answer lands. The first load also fetches the",
        "app (~1.6 MB of JavaScript, plotly.js included) into an empty browser cache.",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=1_000_000, help="points per metric")
    parser.add_argument("--loads", type=int, default=6, help="page loads (first is cold)")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    if not (REPO_ROOT / "nbrun" / "server" / "static" / "dashboard.js").is_file():
        print("the dashboard is not built: run labextension/build.sh first", file=sys.stderr)
        return 2
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} is missing: apt-get install chromium", file=sys.stderr)
        return 2
    load_before = os.getloadavg()
    tmp = Path(tempfile.mkdtemp(prefix="nbrun-dashboard-bench-"))
    try:
        server = start_nbrun_server(tmp, f"sqlite:///{tmp / 'nbrun.db'}")
        run_page, rate = store_run(server.url, args.points)
        loads = measure_loads(server.url, run_page, max(2, args.loads))
    finally:
        stop_all_servers()
        shutil.rmtree(tmp, ignore_errors=True)
    text = report(args.points, rate, loads, load_before)
    print(text)
    if not args.no_write:
        write_results(SECTION, text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
