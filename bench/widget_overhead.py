"""Live-widget overhead: a training loop's throughput in a real kernel with and without the
live run widget shown.

Each measurement executes a fresh notebook with nbclient (a real ipykernel, as a user's
notebook runs): ``nbrun.init(mode="offline")`` then a loop of ``--steps`` training steps (a
small NumPy MLP forward/backward, BLAS pinned to one thread) that logs five scalars per step.
The widget variant shows the live widget (its publisher thread updating twice a second, as
in JupyterLab); the baseline passes ``Settings(show_widget=False)``. Variants alternate,
``--repeats`` times each, and the median steps/s are compared. A second pair logs in a tight
loop with no training work at all: the worst case, where the widget thread's share of the
GIL shows most. Steps per CPU-second of the kernel (all threads) are reported too: on a
shared machine they are steadier than wall-clock steps/s. The per-call ``run.log`` latency
(median) is printed for each variant.

Usage (from the repo root; needs the dev install: nbclient, ipykernel, ipywidgets, numpy)::

    .venv/bin/python bench/widget_overhead.py [--steps N] [--repeats N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
from typing import Any

import nbformat
from nbclient import NotebookClient

TARGET_RATIO = 0.95
RESULT_MARK = "WIDGET-BENCH "

CELL = """
import json, time
import numpy as np
import nbrun

run = nbrun.init(project="bench", mode="offline", settings=nbrun.Settings(
    console="off", show_widget={show_widget}))
rng = np.random.default_rng(0)
x = rng.standard_normal((64, 256)); y = rng.standard_normal((64, 10))
w1 = rng.standard_normal((256, 256)) * 0.05; w2 = rng.standard_normal((256, 10)) * 0.05
log_ns = []
start, cpu_start = time.perf_counter(), time.process_time()
for step in range({steps}):
    if {train}:
        h = np.maximum(x @ w1, 0.0)
        out = h @ w2
        err = out - y
        g2 = h.T @ err / 64
        g1 = x.T @ ((err @ w2.T) * (h > 0)) / 64
        w2 -= 0.01 * g2
        w1 -= 0.01 * g1
        loss = float((err ** 2).mean())
    else:
        loss = 1.0 / (step + 1)
    t0 = time.perf_counter_ns()
    run.log({{"train/loss": loss, "train/acc": 1 - loss, "train/lr": 0.01,
             "train/grad_norm": loss * 2, "epoch": step // 100}})
    log_ns.append(time.perf_counter_ns() - t0)
elapsed = time.perf_counter() - start
cpu = time.process_time() - cpu_start  # every thread of the kernel: the widget's included
run.finish(quiet=True)
log_ns.sort()
print("{mark}" + json.dumps({{"steps_per_s": {steps} / elapsed, "steps_per_cpu_s": {steps} / cpu,
                             "log_median_us": log_ns[len(log_ns) // 2] / 1000}}))
"""


def measure(show_widget: bool, train: bool, steps: int) -> dict[str, float]:
    """One fresh kernel running the loop; its figures."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(
            CELL.format(show_widget=show_widget, train=train, steps=steps, mark=RESULT_MARK)
        )
    ]
    with tempfile.TemporaryDirectory() as work:
        NotebookClient(
            notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": work}}
        ).execute()
    for output in notebook.cells[0].outputs:
        for line in output.get("text", "").splitlines():
            if line.startswith(RESULT_MARK):
                result: dict[str, float] = json.loads(line[len(RESULT_MARK) :])
                return result
    raise RuntimeError(f"no result in the kernel's output: {notebook.cells[0].outputs}")


def compare(train: bool, steps: int, repeats: int) -> dict[str, Any]:
    runs: dict[bool, list[dict[str, float]]] = {False: [], True: []}
    for _ in range(repeats):
        for shown in (False, True):  # alternate, so drifting machine load hits both alike
            runs[shown].append(measure(shown, train, steps))

    def median(shown: bool, field: str) -> float:
        return statistics.median(r[field] for r in runs[shown])

    return {
        "without": median(False, "steps_per_s"),
        "with": median(True, "steps_per_s"),
        "cpu_without": median(False, "steps_per_cpu_s"),
        "cpu_with": median(True, "steps_per_cpu_s"),
        "log_without": median(False, "log_median_us"),
        "log_with": median(True, "log_median_us"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=6000, help="training steps per run (6000)")
    parser.add_argument("--repeats", type=int, default=5, help="runs per variant (5)")
    args = parser.parse_args()
    if args.steps < 1 or args.repeats < 1:
        parser.error("--steps and --repeats must be at least 1")
    os.environ.update({"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})
    os.environ.pop("NBRUN_SILENT", None)

    print(
        f"- command: `.venv/bin/python bench/widget_overhead.py --steps {args.steps} "
        f"--repeats {args.repeats}` (from the repo root)"
    )
    print(
        f"- machine: nproc {os.cpu_count()}, {platform.machine()}, python "
        f"{platform.python_version()}, load average before {os.getloadavg()[0]:.2f}"
    )
    print()
    print(
        "| loop | steps/s without / with widget | ratio | steps per CPU-s without / with | "
        "ratio (CPU) | log median µs without / with |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for label, train in (
        ("training step (NumPy MLP) + 5 scalars", True),
        ("tight loop: 5 scalars, no work", False),
    ):
        f = compare(train, args.steps if train else args.steps * 50, args.repeats)
        ratio, cpu_ratio = f["with"] / f["without"], f["cpu_with"] / f["cpu_without"]
        verdict = ("✓" if cpu_ratio >= TARGET_RATIO else "✗") if train else "(worst case)"
        print(
            f"| {label} | {f['without']:,.0f} / {f['with']:,.0f} | {ratio:.1%} | "
            f"{f['cpu_without']:,.0f} / {f['cpu_with']:,.0f} | {cpu_ratio:.1%} {verdict} | "
            f"{f['log_without']:.2f} / {f['log_with']:.2f} |"
        )
    print()
    print(
        f"Target: with the widget shown, a training loop keeps >= {TARGET_RATIO:.0%} of its "
        "speed. Medians over alternating fresh-kernel runs. Wall-clock steps/s swing with "
        "other load on a shared machine; steps per CPU-second of the kernel process (all its "
        "threads, the widget's included) do not, so the verdict uses them."
    )
    print(f"Load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
