"""Every media type reads back from a real ``nbrun server`` through ``nbrun.Api``, logged online
or offline and synced later: the payload as logged, and files of equal content listed by
``files()`` (the cases are in ``tests/media_cases.py``)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest

import nbrun
from nbrun.apis.remote_run import RemoteRun
from nbrun.sync.command import run_sync
from tests.media_cases import (
    CASES,
    QUIET,
    MediaCase,
    assert_reads_back,
    assert_sampled_history_keeps_media,
    every_case_values,
    log_media_steps,
    log_one_row,
)


@pytest.mark.parametrize("case", [pytest.param(case, id=case.name) for case in CASES])
def test_each_media_type_of_an_online_run_reads_back_equal_from_the_backend(
    case: MediaCase, server: Any, tmp_path: Path
) -> None:
    logged = case.values(tmp_path / "inputs")
    run = log_one_row(logged, settings=QUIET)

    read = nbrun.Api().run(run.path)

    assert isinstance(read, RemoteRun)
    assert_reads_back(read, tmp_path / "downloads", [case], logged)


def test_every_media_type_of_an_offline_run_reads_back_equal_after_nbrun_sync(
    server: Any, tmp_path: Path
) -> None:
    logged = every_case_values(tmp_path / "inputs")
    run = log_one_row(logged, mode="offline", settings=QUIET)
    sync = argparse.Namespace(paths=[], include_synced=False, base_url=None, api_key=None)
    assert run_sync(sync) == 0

    read = nbrun.Api().run(run.path)

    assert isinstance(read, RemoteRun)
    assert_reads_back(read, tmp_path / "downloads", CASES, logged)


def test_sampled_history_of_an_online_run_keeps_its_media(server: Any, tmp_path: Path) -> None:
    run, images = log_media_steps(5, settings=QUIET)

    read = nbrun.Api().run(run.path)

    assert isinstance(read, RemoteRun)
    assert_sampled_history_keeps_media(read, tmp_path / "downloads", images)
