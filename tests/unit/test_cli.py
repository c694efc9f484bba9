"""The nbrun command line, run as a user runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import nbrun


def nbrun_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nbrun.cli", *args], cwd=cwd, capture_output=True, text=True
    )


def test_ls_lists_local_runs_with_state_and_steps(
    offline_settings: dict[str, Any], isolated_env: Path
) -> None:
    done = nbrun.init(project="cli", name="first-run", **offline_settings)
    for i in range(3):
        done.log({"i": i})
    done.finish()
    nbrun.init(project="other", **offline_settings).finish(exit_code=2)
    listed = nbrun_cli("ls", "cli", cwd=isolated_env)
    assert listed.returncode == 0
    assert done.path in listed.stdout and "first-run" in listed.stdout
    assert "finished" in listed.stdout and "      3  " in listed.stdout
    assert "other" not in listed.stdout
    assert "failed" in nbrun_cli("ls", cwd=isolated_env).stdout


def test_ls_without_runs_says_so_and_fails(tmp_path: Path) -> None:
    listed = nbrun_cli("ls", cwd=tmp_path)
    assert listed.returncode == 1 and "no runs found" in listed.stderr


def test_version_is_printed() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "nbrun.cli", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == f"nbrun {nbrun.__version__}"


def test_ls_lists_this_machines_runs_from_any_folder(
    offline_settings: dict[str, Any], isolated_env: Path, tmp_path: Path
) -> None:
    run = nbrun.init(project="anywhere", name="far-run", **offline_settings)
    run.finish()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    listed = nbrun_cli("ls", cwd=elsewhere)
    assert listed.returncode == 0 and run.path in listed.stdout and "far-run" in listed.stdout
    only_there = nbrun_cli("ls", "--dir", str(elsewhere), cwd=isolated_env)
    assert only_there.returncode == 1 and "no runs found" in only_there.stderr
    only_here = nbrun_cli("ls", "--dir", str(isolated_env), cwd=elsewhere)
    assert run.path in only_here.stdout


def test_ls_lists_the_embedded_servers_runs_too(isolated_env: Path, tmp_path: Path) -> None:
    import shutil

    run = nbrun.init(project="served", name="served-run", settings={"silent": True})
    run.log({"loss": 1.0})
    run.finish()
    assert run.status().synced
    shutil.rmtree(Path(run.dir).parent)  # its local folder is gone; the server has it

    listed = nbrun_cli("ls", "served", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert run.path in listed.stdout and "served-run" in listed.stdout
