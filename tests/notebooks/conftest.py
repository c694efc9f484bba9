"""A real IPython kernel (jupyter_client) the tests drive cell by cell, reading what a front-end
would receive on iopub: outputs, display updates and widget messages."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

CELL_TIMEOUT = 180.0  # an upper bound for a cell, never a speed check
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"

Message = dict[str, Any]


class Kernel:
    """One kernel started in a test's working directory with the test's environment."""

    def __init__(self, cwd: Path) -> None:
        self.manager = KernelManager(kernel_name="python3")
        self.manager.start_kernel(cwd=str(cwd))
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=60)

    def run(self, code: str, on_message: Callable[[Message], None] | None = None) -> list[Message]:
        """Execute ``code`` as a cell; every iopub message until the kernel is idle again.
        Raises with the traceback when the cell fails."""
        msg_id = self.client.execute(code)
        messages = []
        while True:
            message = self.client.get_iopub_msg(timeout=CELL_TIMEOUT)
            messages.append(message)
            if on_message is not None:
                on_message(message)
            if (
                message["parent_header"].get("msg_id") == msg_id
                and message["msg_type"] == "status"
                and message["content"]["execution_state"] == "idle"
            ):
                break
        reply = self.client.get_shell_msg(timeout=CELL_TIMEOUT)
        if reply["content"]["status"] != "ok":
            raise AssertionError("\n".join(reply["content"].get("traceback", [])))
        return messages

    def stop(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


@pytest.fixture
def kernel(isolated_env: Path) -> Iterator[Kernel]:
    started = Kernel(isolated_env)
    yield started
    started.stop()


class WidgetStates:
    """The widget models a front-end would hold, folded from comm messages."""

    def __init__(self) -> None:
        self.states: dict[str, dict[str, Any]] = {}

    def fold(self, message: Message) -> bool:
        """Apply a comm message; True when it changed a model."""
        content = message["content"]
        if message["msg_type"] == "comm_open":
            self.states[content["comm_id"]] = dict(content["data"]["state"])
            return True
        if message["msg_type"] == "comm_msg" and content["data"].get("method") == "update":
            self.states.setdefault(content["comm_id"], {}).update(content["data"]["state"])
            return True
        return False

    def html_values(self) -> list[str]:
        return [s["value"] for s in self.states.values() if s.get("_model_name") == "HTMLModel"]

    def header(self) -> str | None:
        return next((v for v in self.html_values() if "nbrun-header" in v), None)

    def chart(self, key: str) -> str | None:
        return next((v for v in self.html_values() if f"title='{key}'" in v), None)


def shown_step(html: str | None) -> int | None:
    """The step a header shows."""
    found = re.search(r"class='nbrun-step'>(\d+)<", html or "")
    return int(found.group(1)) if found else None


def point_count(html: str | None) -> int | None:
    """How many points a chart draws."""
    found = re.search(r"data-points='(\d+)'", html or "")
    return int(found.group(1)) if found else None


def badge(html: str | None) -> str | None:
    found = re.search(r"class='nbrun-badge'[^>]*>([^<]+)<", html or "")
    return found.group(1) if found else None


def of_type(messages: list[Message], *types: str) -> list[Message]:
    return [m for m in messages if m["msg_type"] in types]


def stderr_text(messages: list[Message]) -> str:
    return "".join(
        m["content"]["text"]
        for m in of_type(messages, "stream")
        if m["content"]["name"] == "stderr"
    )


def execute_saved(notebook_path: Path, work: Path) -> Any:
    """Run the notebook at ``notebook_path`` with nbclient in ``work``, save it there and read
    it back, as a user reopening the saved file would."""
    notebook = nbformat.read(notebook_path, as_version=4)
    NotebookClient(
        notebook, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(work)}}
    ).execute()
    nbformat.write(notebook, work / notebook_path.name)
    return nbformat.read(work / notebook_path.name, as_version=4)


def snapshot_of(notebook: Any) -> str:
    """The saved HTML output of the first cell (where the run's view was displayed)."""
    (html,) = [
        output["data"]["text/html"]
        for output in notebook.cells[0].outputs
        if output["output_type"] == "display_data"
    ]
    return str(html)
