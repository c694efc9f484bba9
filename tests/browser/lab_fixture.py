"""A real JupyterLab server for browser tests, and what a user does in it: open a notebook, run
its cells with Shift+Enter. Import the ``lab`` fixture into a test module to use it."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
import requests

from tests.browser.conftest import free_port
from tests.processes import stop_process

LAB_TOKEN = "lab-test-token"
START_TIMEOUT = 90.0  # an upper bound for Lab to come up, never a speed check


class Lab:
    """A ``jupyter lab`` process on loopback serving ``root`` (its notebooks folder)."""

    def __init__(self, home: Path, env: dict[str, str] | None = None) -> None:
        """``env``: variables set on top of the clean environment (e.g. the backend to use)."""
        self.root = home / "notebooks"
        self.root.mkdir(parents=True)
        self.log = home / "lab.log"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        settings = home / "lab-settings"
        # No "news" popup over the notebook.
        notification = settings / "@jupyterlab" / "apputils-extension"
        notification.mkdir(parents=True)
        (notification / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false"})
        )
        environ = {k: v for k, v in os.environ.items() if not k.startswith(("NBRUN_", "WANDB_"))}
        environ |= {
            "NBRUN_DATA_DIR": str(home / "nbrun-data"),
            "JUPYTER_CONFIG_DIR": str(home / "jupyter-config"),
            "JUPYTER_RUNTIME_DIR": str(home / "jupyter-runtime"),
        }
        environ |= env or {}
        argv = [sys.executable, "-m", "jupyterlab", "--no-browser", "--port-retries=0"]
        argv += [f"--port={self.port}", "--ServerApp.ip=127.0.0.1", "--allow-root"]
        argv += [f"--ServerApp.token={LAB_TOKEN}", f"--ServerApp.root_dir={self.root}"]
        argv += [f"--LabApp.user_settings_dir={settings}"]
        argv += [f"--LabApp.workspaces_dir={home / 'lab-workspaces'}"]
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                argv, stdout=out, stderr=out, env=environ, cwd=self.root
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()[-5000:]
            with contextlib.suppress(requests.RequestException):
                status = requests.get(
                    f"{self.url}api/status", params={"token": LAB_TOKEN}, timeout=2
                )
                if status.ok:
                    return
            time.sleep(0.2)
        raise AssertionError(f"JupyterLab did not start: {self.log.read_text()[-5000:]}")

    def write_notebook(self, name: str, *cells: str) -> Path:
        notebook = nbformat.v4.new_notebook()
        notebook.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
        path = self.root / name
        nbformat.write(notebook, path)
        return path

    def open_notebook(self, page: Any, name: str) -> None:
        """Open ``name`` in Lab and wait until its kernel is idle."""
        page.goto(f"{self.url}lab/tree/{name}?token={LAB_TOKEN}")
        page.wait_for_selector(".jp-Notebook .jp-Cell")
        # The status bar names the kernel once it is connected: cells run from then on.
        page.get_by_text("Python 3 (ipykernel) | Idle").wait_for()

    def run_cell(self, page: Any, index: int) -> None:
        """Select cell ``index`` as a user does (a click on its prompt), then Shift+Enter."""
        page.locator(".jp-Notebook .jp-Cell .jp-InputPrompt").nth(index).click()
        page.keyboard.press("Shift+Enter")

    def stop(self) -> None:
        stop_process(self.process, timeout=15)
        # Then the embedded nbrun server this Lab's kernels or proxy started in its data dir (a
        # detached daemon that would outlive the test); after Lab, whose proxy could start it
        # again on a late request.
        state_file = self.root.parent / "nbrun-data" / "server.json"
        if state_file.exists():
            nbrun_cli = Path(sys.executable).with_name("nbrun")
            subprocess.run(
                [str(nbrun_cli), "server", "stop", "--state-file", str(state_file)],
                capture_output=True,
                timeout=30,
                check=False,
            )


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    server = Lab(tmp_path_factory.mktemp("jupyterlab"))
    yield server
    server.stop()
