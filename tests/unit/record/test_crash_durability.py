"""A process killed with SIGKILL mid-run leaves a readable log holding every row older than the
fsync interval."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from nbrun.record import types as kinds
from nbrun.record.reader import RecordLogReader

FSYNC_INTERVAL = 0.5

CHILD = """
import sys, time, nbrun
run = nbrun.init(project="crash", mode="offline",
                 settings=nbrun.Settings(silent=True, console="off", fsync_interval={fsync}))
print(run.status().log_path, flush=True)
i = 0
while True:
    run.log({{"i": i, "loss": 1.0 / (i + 1), "tag": "x" * (i % 7)}})
    if i % 200 == 0:
        print(i, time.time(), flush=True)
    i += 1
"""


def start_logging_child(cwd: Path) -> tuple[subprocess.Popen[str], Path]:
    """A process logging as fast as it can; returns it and its record log's path."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD.format(fsync=FSYNC_INTERVAL)],
        cwd=cwd,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    return child, Path(child.stdout.readline().strip())


def test_sigkill_loses_nothing_older_than_the_fsync_interval(tmp_path: Path) -> None:
    child, log_path = start_logging_child(tmp_path)
    assert child.stdout is not None
    reported: list[tuple[int, float]] = []
    deadline = time.time() + 30
    while time.time() < deadline:
        step, stamp = child.stdout.readline().split()
        reported.append((int(step), float(stamp)))
        if float(stamp) - reported[0][1] > 2.0:
            break
    os.kill(child.pid, signal.SIGKILL)
    killed_at = time.time()
    child.wait()

    reader = RecordLogReader(log_path)
    steps = [payload["_step"] for _seq, kind, payload in reader if kind == kinds.HISTORY]
    assert steps == list(range(len(steps))), "history must be contiguous from step 0"
    old_enough = [step for step, stamp in reported if stamp < killed_at - FSYNC_INTERVAL]
    assert old_enough, "the child ran long enough to report rows older than the interval"
    assert steps[-1] >= max(old_enough)


def test_the_query_api_reads_a_killed_run_as_crashed(tmp_path: Path) -> None:
    import nbrun

    child, log_path = start_logging_child(tmp_path)
    deadline = time.time() + 30
    while time.time() < deadline and not any(
        kind == kinds.HISTORY for _seq, kind, _payload in RecordLogReader(log_path)
    ):
        time.sleep(0.02)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    run = nbrun.Api().run(str(log_path.parent))
    assert run.state == "crashed"
    assert run.summary["i"] == run.last_step
    assert len(run.history(pandas=False)) == run.last_step + 1
