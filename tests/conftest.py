"""Shared fixtures: every test runs in its own working directory with a clean environment."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from nbrun import termlog
from nbrun.sdk import registry
from nbrun.sync.embedded import stop_embedded_server

# Helper modules whose asserts report their values, as the tests' own do.
pytest.register_assert_rewrite("tests.media_cases")


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh cwd, no NBRUN_*/WANDB_* variables, and no run left active afterwards."""
    for name in list(os.environ):
        if name.startswith(("NBRUN_", "WANDB_")):
            monkeypatch.delenv(name)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    # An embedded server started by a test lives in this test's folder, never in ~/.nbrun.
    monkeypatch.setenv("NBRUN_DATA_DIR", str(tmp_path / "nbrun-data"))
    yield work
    for run in list(registry._open_runs):
        run.finish(quiet=True)
    termlog.set_silent(False)
    stop_embedded_server()


@pytest.fixture
def offline_settings() -> dict[str, object]:
    """init() arguments for a quiet offline run without console capture."""
    return {"mode": "offline", "settings": {"silent": True, "console": "off"}}
