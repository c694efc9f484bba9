"""A real `nbrun server` process on loopback that tests can kill and restart on the same port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from nbrun.sdk import registry
from tests.processes import stop_process

TOKEN = "test-token-for-sync"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ServerProcess:
    """One server's database and port; start/kill/restart keep both."""

    def __init__(self, root: Path, extra_args: tuple[str, ...] = ()) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db_url = f"sqlite:///{root / 'server.db'}"
        self.storage = root / "storage"
        self.log = root / "server.log"
        self.extra_args = extra_args
        self.token = TOKEN
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20.0) -> None:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "nbrun.server",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--db-url",
                    self.db_url,
                    "--storage",
                    str(self.storage),
                    "--token",
                    TOKEN,
                    *self.extra_args,
                ],
                stdout=log,
                stderr=log,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                if requests.get(f"{self.url}/api/v1/health", timeout=1).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.05)
        raise AssertionError(f"server did not start: {self.log.read_text()}")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        stop_process(self.process)


@pytest.fixture
def server_process(tmp_path: Path) -> Iterator[ServerProcess]:
    """A server that is not started yet (tests start it when they want)."""
    server = ServerProcess(tmp_path / "server")
    (tmp_path / "server").mkdir()
    yield server
    for run in list(registry._open_runs):  # finish while their backend is still up
        run.finish(quiet=True)
    server.stop()


@pytest.fixture
def server(server_process: ServerProcess, monkeypatch: pytest.MonkeyPatch) -> ServerProcess:
    """A running server that new runs log to (NBRUN_BASE_URL / NBRUN_API_KEY set)."""
    server_process.start()
    monkeypatch.setenv("NBRUN_BASE_URL", server_process.url)
    monkeypatch.setenv("NBRUN_API_KEY", TOKEN)
    return server_process
