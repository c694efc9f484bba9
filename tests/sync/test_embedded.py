"""The embedded default backend: started by the first online run, reused, replaced when stale."""

from __future__ import annotations

import getpass
import json
import subprocess
import sys
from pathlib import Path

import orjson

import nbrun
from nbrun.sync.embedded import running_server, state_file, stop_embedded_server

SCRIPT = """
import nbrun
run = nbrun.init(project="emb", settings={"silent": True, "console": "off"})
run.log({"a": 1})
run.finish()
print(run.url)
"""


def run_script(cwd: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return done.stdout.strip()


def test_the_first_online_run_starts_a_server_that_later_processes_reuse(
    isolated_env: Path,
) -> None:
    assert running_server() is None
    first_url = run_script(isolated_env)
    backend = running_server()
    assert backend is not None and first_url.startswith(backend.url)
    assert backend.url.startswith("http://127.0.0.1:")
    state = state_file()
    assert state.stat().st_mode & 0o777 == 0o600
    pid = json.loads(state.read_text())["pid"]
    second_url = run_script(isolated_env)
    assert second_url.startswith(backend.url)
    assert json.loads(state.read_text())["pid"] == pid
    runs = nbrun.Api().runs(f"{getpass.getuser()}/emb")
    assert len(runs) == 2 and {type(r).__name__ for r in runs} == {"RemoteRun"}


def test_a_stale_state_file_is_replaced(isolated_env: Path) -> None:
    state = state_file()
    state.parent.mkdir(parents=True, exist_ok=True)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    state.write_bytes(
        orjson.dumps({"url": "http://127.0.0.1:9", "pid": int(dead.stdout), "token": "stale"})
    )
    url = run_script(isolated_env)
    backend = running_server()
    assert backend is not None and backend.token != "stale" and url.startswith(backend.url)


def test_nbrun_server_status_and_stop_see_the_embedded_server(isolated_env: Path) -> None:
    run_script(isolated_env)
    status = subprocess.run(
        [sys.executable, "-m", "nbrun.cli", "server", "status"], capture_output=True, text=True
    )
    assert status.returncode == 0 and "healthy" in status.stdout
    assert stop_embedded_server()
    assert running_server() is None


def test_the_run_status_reports_the_backend_and_sync_progress(isolated_env: Path) -> None:
    run = nbrun.init(settings={"silent": True, "console": "off"})
    run.log({"a": 1})
    status = run.status()
    assert status.backend_url is not None and status.backend_url.startswith("http://127.0.0.1:")
    run.finish()
    status = run.status()
    assert status.synced and status.upload_pending_bytes == 0 and status.acked_seq
    assert run.get_project_url() is not None


def test_without_server_packages_the_run_goes_offline_and_names_them(isolated_env: Path) -> None:
    script = (
        "import sys; sys.modules['fastapi'] = None\n"
        "import importlib.util as u\n"
        "real = u.find_spec\n"
        "u.find_spec = lambda name, *a: None if name == 'fastapi' else real(name, *a)\n" + SCRIPT
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=isolated_env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert "pip install 'nbrun[server]'" in done.stderr
    assert done.stdout.strip() == "None"
