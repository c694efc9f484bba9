"""Notebook detection judged by the kernel itself, checked in a real kernel run by nbclient
(where the reference's connection-file heuristic fails)."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from nbrun.jupyter.environment import in_notebook


def run_cells(tmp_path: Path, *sources: str) -> list[str]:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    NotebookClient(
        notebook, timeout=60, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    texts = []
    for cell in notebook.cells:
        texts.append("".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream"))
    return texts


def test_a_plain_process_is_not_a_notebook() -> None:
    assert in_notebook() is False


def test_a_kernel_run_by_nbclient_is_a_notebook_and_gets_notebook_defaults(
    tmp_path: Path,
) -> None:
    outputs = run_cells(
        tmp_path,
        "import json, nbrun\n"
        "from nbrun.jupyter.environment import in_notebook\n"
        "first = nbrun.init(mode='offline', config={'lr': 0.1}, settings={'silent': True})\n"
        "first.config.update({'lr': 0.2})  # notebooks allow changed values (cells re-run)\n"
        "second = nbrun.init(mode='offline', settings={'silent': True})\n"
        "print(json.dumps({'in_notebook': in_notebook(), 'first': first.status().state,\n"
        "                  'active_is_second': nbrun.run is second,\n"
        "                  'lr': first.config['lr'], 'shown': second.display()}))\n"
        "second.finish()\n",
    )
    result = json.loads(outputs[0].strip().splitlines()[-1])
    assert result == {
        "in_notebook": True,
        "first": "finished",
        "active_is_second": True,
        "lr": 0.2,
        "shown": True,
    }
