"""``%nbrun`` and ``%%nbrun`` in a real kernel (nbclient) and in a real IPython shell."""

from __future__ import annotations

import html
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from nbclient import NotebookClient

import nbrun

QUIET = "settings={'silent': True, 'console': 'off', 'show_widget': False}"


def execute(tmp_path: Path, *sources: str) -> list[list[dict[str, Any]]]:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    NotebookClient(
        notebook, timeout=90, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    return [cell.outputs for cell in notebook.cells]


def shown_runs(outputs: list[dict[str, Any]]) -> list[str]:
    """The run names in the iframes of a cell's display outputs."""
    names = []
    for output in outputs:
        page = output.get("data", {}).get("text/html", "")
        found = re.findall(r'<iframe [^>]*title="nbrun run ([^"]+)"', page)
        names += [html.unescape(name) for name in found]
    return names


@pytest.fixture
def shell() -> Iterator[InteractiveShell]:
    instance = InteractiveShell.instance()
    yield instance
    InteractiveShell.clear_instance()


def test_init_registers_the_magics_and_they_show_runs_below_the_cell(tmp_path: Path) -> None:
    cells = execute(
        tmp_path,
        f"import nbrun\nfirst = nbrun.init(mode='offline', name='first-run', {QUIET})",
        "%nbrun -h 222",
        "%%nbrun\n"
        f"second = nbrun.init(mode='offline', name='second-run', {QUIET})\n"
        "second.log({'loss': 0.5})\n"
        "second.finish()\n"
        "print('cell ran')",
        "%nbrun {first.path}",
        "%load_ext nbrun",  # the explicit way is harmless after init registered them
    )
    assert shown_runs(cells[1]) == ["first-run"]
    assert "height:222px" in cells[1][0]["data"]["text/html"]
    assert [o.get("text") for o in cells[2] if o["output_type"] == "stream"] == ["cell ran\n"]
    assert shown_runs(cells[2]) == ["second-run"]  # finished in the cell, shown below it
    assert cells[2][-1]["output_type"] == "display_data"  # after the cell's own output
    assert shown_runs(cells[3]) == ["first-run"]
    assert cells[4] == []


def test_load_ext_registers_the_magics(shell: InteractiveShell) -> None:
    shell.run_line_magic("load_ext", "nbrun")
    assert "nbrun" in shell.magics_manager.magics["line"]
    assert "nbrun" in shell.magics_manager.magics["cell"]


def test_no_run_yet_is_a_clear_usage_error() -> None:
    # A fresh terminal IPython: this test process has started runs already.
    ipython = Path(sys.executable).with_name("ipython")
    done = subprocess.run(
        [str(ipython), "--quick", "--no-banner", "-c", "%load_ext nbrun\n%nbrun"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "UsageError: %nbrun: no run yet; call nbrun.init() first" in done.stdout + done.stderr


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("-h", "-h needs a height in pixels"),
        ("-h tall", "height must be a positive integer, got 'tall'"),
        ("-h 0", "height must be a positive integer, got '0'"),
        ("a/b/c d/e/f", "unexpected argument 'd/e/f'"),
        ("--width 3", "unexpected argument '--width'"),
        ("'unclosed", "cannot read"),
    ],
)
def test_bad_arguments_are_named(shell: InteractiveShell, line: str, message: str) -> None:
    nbrun.load_ipython_extension(shell)
    with pytest.raises(UsageError, match=re.escape(message)):
        shell.run_line_magic("nbrun", line)


def test_a_run_of_another_process_is_shown_by_its_path(tmp_path: Path) -> None:
    quiet = {"silent": True, "console": "off", "show_widget": False}
    run = nbrun.init(project="elsewhere", name="old-pine", settings=quiet)
    run.log({"loss": 0.1})
    run.finish()
    cells = execute(
        tmp_path, "%load_ext nbrun", f"%nbrun {run.path} -h 300", f"%nbrun elsewhere/{run.id}"
    )[1:]
    for outputs in cells:
        assert shown_runs(outputs) == ["old-pine"]  # the name, asked from the backend
        page = outputs[-1]["data"]["text/html"]
        src = html.unescape(re.search(r'<iframe src="([^"]+)"', page).group(1))  # type: ignore[union-attr]
        assert src == f"/nbrun/{run.entity}/elsewhere/runs/{run.id}?embed=1"  # the proxy path
    assert "height:300px" in cells[0][-1]["data"]["text/html"]


def test_a_path_the_backend_does_not_know_is_named(shell: InteractiveShell) -> None:
    nbrun.load_ipython_extension(shell)
    with pytest.raises(UsageError, match="no run me/elsewhere/abc on the backend at http://"):
        shell.run_line_magic("nbrun", "me/elsewhere/abc")
    with pytest.raises(UsageError, match="'a/b/c/d' is not a run path"):
        shell.run_line_magic("nbrun", "a/b/c/d")
