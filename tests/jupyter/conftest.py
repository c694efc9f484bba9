"""A real ``jupyter server`` process with nbrun's extension enabled by the shipped
jupyter-config json, at a non-root base URL (as on JupyterHub)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.processes import stop_process
from tests.server.conftest import Server, postgres_url, start_server

__all__ = ["postgres_url"]  # a fixture, used by name

REPO = Path(__file__).resolve().parents[2]
JUPYTER_TOKEN = "jupyter-test-token"
BASE_URL = "/user/ann/"


class JupyterServer:
    def __init__(
        self, url: str, process: subprocess.Popen[bytes], log: Path, runtime_dir: Path
    ) -> None:
        self.url = url  # with the base URL, ending in "/"
        self.process = process
        self.log = log
        self.runtime_dir = runtime_dir  # holds the connection files of its kernels

    def get(
        self, path: str, *, token: bool = True, accept: str = "*/*", stream: bool = False
    ) -> requests.Response:
        """GET ``path`` under the base URL, logged in with Jupyter's token (or not)."""
        headers = {"Accept": accept}
        if token:
            headers["Authorization"] = f"token {JUPYTER_TOKEN}"
        return requests.get(
            self.url + path, headers=headers, allow_redirects=False, timeout=30, stream=stream
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def jupyter_server(tmp_path: Path) -> Iterator[JupyterServer]:
    port = _free_port()
    root = tmp_path / "notebooks"
    root.mkdir()
    log = tmp_path / "jupyter.log"
    env = dict(os.environ)  # NBRUN_DATA_DIR is this test's: the daemon it starts is too
    env["JUPYTER_CONFIG_PATH"] = str(REPO / "jupyter-config")  # the json the wheel ships
    env["JUPYTER_CONFIG_DIR"] = str(tmp_path / "jupyter-config-dir")
    env["JUPYTER_RUNTIME_DIR"] = str(tmp_path / "jupyter-runtime")
    argv = [sys.executable, "-m", "jupyter_server", "--no-browser", "--port-retries=0"]
    argv += [f"--port={port}", "--ServerApp.ip=127.0.0.1", f"--ServerApp.token={JUPYTER_TOKEN}"]
    argv += [f"--ServerApp.base_url={BASE_URL}", f"--ServerApp.root_dir={root}", "--allow-root"]
    with open(log, "ab") as out:
        process = subprocess.Popen(argv, stdout=out, stderr=out, env=env)
    server = JupyterServer(
        f"http://127.0.0.1:{port}{BASE_URL}", process, log, Path(env["JUPYTER_RUNTIME_DIR"])
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text()
            try:
                if server.get("api/status").status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        yield server
    finally:
        stop_process(process, timeout=15)


@pytest.fixture
def postgres_backend(tmp_path: Path, postgres_url: str) -> Iterator[Server]:
    """A real ``nbrun server`` on PostgreSQL, configured for this test's processes (and so for
    a Jupyter server started after it) by ``NBRUN_BASE_URL`` and ``NBRUN_API_KEY``."""
    server = start_server(tmp_path / "pg-backend", postgres_url)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NBRUN_BASE_URL", server.url)
        patch.setenv("NBRUN_API_KEY", server.token)
        yield server
    server.stop()
