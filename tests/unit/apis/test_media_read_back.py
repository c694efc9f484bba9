"""Every media type an offline run logs reads back through ``nbrun.Api`` from the run's folder:
the payload as logged, and files of equal content listed by ``files()``
(the cases are in ``tests/media_cases.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import nbrun
from nbrun.apis.local_run import LocalRun
from tests.media_cases import (
    CASES,
    MediaCase,
    assert_reads_back,
    assert_sampled_history_keeps_media,
    log_media_steps,
    log_one_row,
)


@pytest.mark.parametrize("case", [pytest.param(case, id=case.name) for case in CASES])
def test_each_media_type_of_an_offline_run_reads_back_equal(
    case: MediaCase, offline_settings: dict[str, Any], tmp_path: Path
) -> None:
    logged = case.values(tmp_path / "inputs")
    run = log_one_row(logged, **offline_settings)

    read = nbrun.Api().run(run.path)

    assert isinstance(read, LocalRun)
    assert_reads_back(read, tmp_path / "downloads", [case], logged)


def test_sampled_history_of_an_offline_run_keeps_its_media(
    offline_settings: dict[str, Any], tmp_path: Path
) -> None:
    run, images = log_media_steps(5, **offline_settings)

    read = nbrun.Api().run(run.path)

    assert isinstance(read, LocalRun)
    assert_sampled_history_keeps_media(read, tmp_path / "downloads", images)
