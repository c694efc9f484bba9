"""Killed processes and absent backends: a client SIGKILLed mid-batch, a server SIGKILLed
mid-ingest, a backend absent for a whole run. Every row that reached the log arrives exactly
once, and a dead run reads as crashed without waiting out the heartbeat timeout."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import nbrun
from nbrun.sync.command import run_sync
from tests.sync.test_upload import QUIET, assert_history_exact, logged_values


def test_rows_logged_while_the_backend_is_away_arrive_when_it_starts(
    server_process: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NBRUN_BASE_URL", server_process.url)
    monkeypatch.setenv("NBRUN_API_KEY", server_process.token)
    run = nbrun.init(project="e2e", settings={**QUIET, "sync_timeout": 60})
    for step in range(3_000):
        run.log(logged_values(step))
    assert run.status().last_error is not None or run.status().acked_seq == 0
    starter = threading.Timer(1.0, server_process.start)
    starter.start()
    run.finish()
    starter.join()
    assert run.status().synced
    assert_history_exact(run.path, 3_000)


def test_a_server_killed_mid_upload_and_restarted_ends_with_exact_rows(
    server: Any,
) -> None:
    run = nbrun.init(project="e2e", settings={**QUIET, "sync_timeout": 60})
    for step in range(20_000):
        run.log(logged_values(step))
        if step == 8_000:
            time.sleep(0.3)  # let some batches land before the crash
            server.kill()
        if step == 14_000:
            server.start()
    run.finish()
    assert run.status().synced
    assert_history_exact(run.path, 20_000)


CHILD = """
import nbrun, sys, time
run = nbrun.init(project="e2e", settings={"silent": True, "console": "off"})
print(run.path, run.status().log_path, flush=True)
step = 0
while True:
    run.log({"loss": 1 / (step + 1), "acc": (step % 97) / 97, "epoch": step // 1000})
    step += 1
    if step % 100 == 0:
        time.sleep(0.01)  # a training loop's pace, so the test moves thousands of rows, not 10^5
"""


def test_a_killed_client_shows_crashed_and_nbrun_sync_completes_it(
    server_process: Any, isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server_process.extra_args = ("--crash-after", "1")
    server_process.start()
    monkeypatch.setenv("NBRUN_BASE_URL", server_process.url)
    monkeypatch.setenv("NBRUN_API_KEY", server_process.token)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True, cwd=isolated_env
    )
    assert child.stdout is not None
    path, log_path = child.stdout.readline().split()
    time.sleep(1.5)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    # Crashed once a second passes with no heartbeat after the last batch the server took in
    # (one may still be in flight when the client dies).
    deadline = time.monotonic() + 30
    while nbrun.Api().run(path).state != "crashed" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert nbrun.Api().run(path).state == "crashed"

    local = nbrun.Api().run(str(Path(log_path).parent))
    rows = len(local.history(pandas=False))
    assert rows > 0
    assert run_sync(_sync_args([Path(log_path).parent])) == 0
    assert_history_exact(path, rows)
    assert run_sync(_sync_args([Path(log_path).parent])) == 0  # again: nothing changes
    assert_history_exact(path, rows)
    assert nbrun.Api().run(path).state == "crashed"


def _sync_args(paths: list[Path]) -> Any:

    return argparse.Namespace(paths=paths, include_synced=False, base_url=None, api_key=None)


def _start_child(cwd: Path, mode: str) -> tuple[subprocess.Popen[str], str, str]:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD.replace('project="e2e"', f'project="e2e", mode="{mode}"')],
        stdout=subprocess.PIPE,
        text=True,
        cwd=cwd,
    )
    assert child.stdout is not None
    path, log_path = child.stdout.readline().split()
    return child, path, log_path


def _wait_for_rows(log_path: str, rows: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while len(nbrun.Api().run(str(Path(log_path).parent)).history(pandas=False)) < rows:
        assert time.monotonic() < deadline, f"the child never logged {rows} rows"
        time.sleep(0.05)


def test_the_local_server_sees_a_killed_writer_as_crashed_within_seconds(
    server: Any, isolated_env: Path
) -> None:
    # The default heartbeat rule would take 300 s; a server on loopback checks the writer's pid.
    child, path, log_path = _start_child(isolated_env, "online")
    _wait_for_rows(log_path, 500)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    killed = time.monotonic()

    deadline = killed + 12
    while nbrun.Api().run(path).state != "crashed":
        assert time.monotonic() < deadline, "the server still shows the killed run alive"
        time.sleep(0.2)
    assert nbrun.Api().run(path).state == "crashed"
    assert time.monotonic() - killed < 12


def test_nbrun_sync_of_a_killed_offline_run_marks_it_crashed(
    server: Any, isolated_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    child, path, log_path = _start_child(isolated_env, "offline")
    _wait_for_rows(log_path, 500)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    rows = len(nbrun.Api().run(str(Path(log_path).parent)).history(pandas=False))

    assert run_sync(_sync_args([Path(log_path).parent])) == 0

    assert nbrun.Api().run(path).state == "crashed"
    assert "marked crashed" in capsys.readouterr().out
    assert_history_exact(path, rows)
