"""A full disk under a run's folder: said at once, bounded in memory and time, counted at
finish, and the log stays readable up to its last good frame. Runs on a small tmpfs (CI runs
as root, which may mount one)."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import nbrun
from nbrun.jupyter.live_view import _header as live_header
from nbrun.jupyter.snapshot import header_html
from nbrun.record.writer import MAX_BUFFERED_ON_ERROR

QUIET: dict[str, Any] = {"silent": True, "console": "off"}


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs, unmounted afterwards."""
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        if os.environ.get("NBRUN_TEST_REQUIRE_TMPFS"):
            pytest.fail(f"cannot mount a tmpfs: {mounted.stderr}")
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_a_full_disk_is_said_at_once_and_finish_counts_what_was_not_saved(
    small_disk: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    run = nbrun.init(mode="offline", dir=str(small_disk), settings=QUIET)
    rows = 400_000
    warned_at = None
    for step in range(rows):
        run.log({"loss": 1 / (step + 1), "acc": step / rows, "epoch": step // 1000})
        if warned_at is None and step % 1000 == 0 and "No space left" in capfd.readouterr().err:
            warned_at = step
    assert warned_at is not None and warned_at < rows, "no warning while logging"
    status = run.status()
    assert "No space left on device" in (status.last_error or "")
    assert status.records_not_saved > 0  # the buffer filled up: rows past it were dropped
    # The live widget's header says it in red beside the state badge.
    header = header_html(live_header(run, run.step - 1))
    assert "class='nbrun-alert'" in header and "No space left on device" in header

    started = time.monotonic()
    run.finish()
    took = time.monotonic() - started

    err = capfd.readouterr().err
    not_saved = run.status().records_not_saved
    assert f"{not_saved} record(s) of run {run.name} ({run.id}) were not saved" in err
    assert "were dropped while the disk refused writes" in err
    assert str(run.status().log_path) in err
    assert took < 15, f"finish took {took:.1f}s"
    # The log reads back up to its last good frame: what it holds plus what was not saved is
    # everything that was logged (and a few records of the run's own, like its exit).
    kept = nbrun.Api().run(str(Path(run.status().log_path or "").parent)).history(pandas=False)
    assert 0 < len(kept) < rows
    assert [row["_step"] for row in kept] == list(range(len(kept)))
    assert rows <= len(kept) + not_saved <= rows + 10


def test_writing_resumes_when_space_returns_before_finish(
    small_disk: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    filler = small_disk / "filler"
    run = nbrun.init(mode="offline", dir=str(small_disk), settings=QUIET)
    with open(filler, "wb") as f:  # take the rest of the disk
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
    for step in range(10_000):
        run.log({"loss": 1 / (step + 1)})
    deadline = time.monotonic() + 10
    while "No space left" not in (run.status().last_error or ""):
        assert time.monotonic() < deadline, "the writer never met the full disk"
        time.sleep(0.05)
    assert "No space left on device" in capfd.readouterr().err

    filler.unlink()
    for step in range(10_000, 15_000):
        run.log({"loss": 1 / (step + 1)})
    run.finish()

    assert "the record log is writable again" in capfd.readouterr().err
    assert run.status().records_not_saved == 0 and run.status().last_error is None
    assert MAX_BUFFERED_ON_ERROR > 15_000  # nothing had to be dropped
    history = nbrun.Api().run(str(Path(run.status().log_path or "").parent)).history(pandas=False)
    assert [row["_step"] for row in history] == list(range(15_000))
