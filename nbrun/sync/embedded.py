"""The embedded default backend: a ``nbrun server`` daemon on loopback, started on demand by the
first online run and reused by later processes and kernels through its state file."""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import requests

from nbrun.errors import CommError
from nbrun.paths import data_dir
from nbrun.processes import pid_alive
from nbrun.protocol import http as http_api
from nbrun.sync.client import Backend

STATE_FILE = "server.json"
SERVER_MODULES = ("fastapi", "uvicorn", "sqlalchemy")
LOG_FILE = "server.log"


def state_file() -> Path:
    return data_dir() / STATE_FILE


def running_server() -> Backend | None:
    """The embedded server recorded in the state file, if it is alive, ours and answering."""
    path = state_file()
    try:
        if path.stat().st_uid != os.getuid():
            return None  # another user's server (a shared home): never use its token
        state: dict[str, Any] = orjson.loads(path.read_bytes())
        pid, url, token = int(state["pid"]), str(state["url"]), state.get("token")
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not pid_alive(pid, own_only=True):  # another user's process reusing the pid is not ours
        return None
    backend = Backend(url=url.rstrip("/"), token=token)
    return backend if _answers(backend) else None


def ensure_embedded_server(timeout: float = 15.0) -> Backend:
    """The running embedded server, else a newly started one. Raises ``CommError`` naming why
    when none can be started."""
    existing = running_server()
    if existing is not None:
        return existing
    missing = [name for name in SERVER_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise CommError(
            f"the embedded nbrun server needs {', '.join(missing)}: pip install 'nbrun[server]'"
        )
    folder = data_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        with _start_lock(folder):
            existing = running_server()  # another process may have started it meanwhile
            if existing is not None:
                return existing
            return _start(folder, timeout)
    except OSError as exc:
        raise CommError(f"cannot start the embedded nbrun server in {folder}: {exc}") from exc


def _start(folder: Path, timeout: float) -> Backend:
    path = folder / STATE_FILE
    with contextlib.suppress(FileNotFoundError):
        path.unlink()  # stale: its server is gone
    log = open(folder / LOG_FILE, "ab")  # noqa: SIM115 - handed to the daemon
    try:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "nbrun.server",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--state-file",
                str(path),
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,  # outlives the kernel that started it
            close_fds=True,
        )
    finally:
        log.close()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CommError(
                f"the embedded nbrun server exited with code {process.returncode}; "
                f"see {folder / LOG_FILE}"
            )
        backend = running_server()
        if backend is not None:
            return backend
        time.sleep(0.02)
    process.terminate()
    raise CommError(
        f"the embedded nbrun server did not start within {timeout:g}s; see {folder / LOG_FILE}"
    )


def stop_embedded_server(timeout: float = 10.0) -> bool:
    """Stop the embedded server if one runs; True if one was stopped."""
    path = state_file()
    try:
        pid = int(orjson.loads(path.read_bytes())["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return False
    if not pid_alive(pid, own_only=True):
        return False
    os.kill(pid, 15)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and pid_alive(pid, own_only=True):
        time.sleep(0.05)
    return not pid_alive(pid, own_only=True)


@contextlib.contextmanager
def _start_lock(folder: Path) -> Iterator[None]:
    # Two kernels starting at once must not start two servers.
    with open(folder / "server.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _answers(backend: Backend) -> bool:
    headers = {http_api.AUTH_HEADER: f"Bearer {backend.token}"} if backend.token else {}
    try:
        health = requests.get(f"{backend.url}{http_api.API_PREFIX}/health", timeout=2)
        projects = requests.get(
            f"{backend.url}{http_api.API_PREFIX}/projects", headers=headers, timeout=2
        )
    except requests.RequestException:
        return False
    return health.status_code == 200 and projects.status_code == 200
