"""save_code=True in a notebook: the session's executed cells are saved with the run as one
Python file and uploaded with its files. Run in a real kernel (nbclient)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
import requests
from nbclient import NotebookClient

from nbrun.sync.embedded import running_server

QUIET = "settings={'silent': True, 'console': 'off', 'show_widget': False}"


def execute(tmp_path: Path, *sources: str) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    NotebookClient(
        notebook, timeout=90, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()


def saved_code(tmp_path: Path) -> dict[str, str]:
    return {
        path.name: path.read_text()
        for path in tmp_path.glob("nbrun/*run-2*/files/code/*")  # not latest-run
        if path.is_file()
    }


def test_the_sessions_cells_are_saved_in_order_and_uploaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JPY_SESSION_NAME", "/home/ann/My Experiment.ipynb")  # as Jupyter sets it
    execute(
        tmp_path,
        "x = 1",
        "%time y = 2",
        f"import nbrun\nrun = nbrun.init(project='code', save_code=True, {QUIET})",
        "z = x + y",
        "run.finish()",
    )
    code = saved_code(tmp_path)
    assert list(code) == ["My Experiment.py"]
    source = code["My Experiment.py"]
    compile(source, "My Experiment.py", "exec")  # magics became calls: valid Python
    positions = [
        source.index(piece)
        for piece in ("# In[1]:\nx = 1", "run_line_magic('time', 'y = 2')", "z = x + y")
    ]
    assert positions == sorted(positions)  # the cells after init are there too, in order
    assert "run.finish()" in source

    server = running_server()
    assert server is not None
    run_dir = next(tmp_path.glob("nbrun/run-*"))
    run_id = run_dir.name.rsplit("-", 1)[1]
    uploaded = requests.get(
        f"{server.url}/api/v1/runs/{_any_entity(server.url, server.token)}/code/{run_id}/files/"
        "code/My%20Experiment.py",
        headers={"Authorization": f"Bearer {server.token}"},
        timeout=10,
    )
    assert uploaded.status_code == 200 and uploaded.text == source


def _any_entity(url: str, token: str | None) -> str:
    projects = requests.get(
        f"{url}/api/v1/projects", headers={"Authorization": f"Bearer {token}"}, timeout=10
    ).json()["projects"]
    return str(next(p["entity"] for p in projects if p["project"] == "code"))


def test_without_a_notebook_name_the_file_is_notebook_py(tmp_path: Path) -> None:
    execute(
        tmp_path,
        f"import nbrun\nrun = nbrun.init(mode='offline', save_code=True, {QUIET})\nrun.finish()",
    )
    assert list(saved_code(tmp_path)) == ["notebook.py"]


def test_without_save_code_no_code_is_saved(tmp_path: Path) -> None:
    execute(tmp_path, f"import nbrun\nnbrun.init(mode='offline', {QUIET}).finish()")
    assert saved_code(tmp_path) == {}
