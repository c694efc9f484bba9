"""Where nbrun runs, judged in the process itself: a real kernel run by nbclient (where the
reference's connection-file heuristic fails), a real terminal IPython, a plain process."""

from __future__ import annotations

import json
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import nbformat
import pytest
from jupyter_client import MultiKernelManager
from nbclient import NotebookClient

import nbrun
from nbrun.environment import (
    Frontend,
    frontend,
    in_colab,
    in_notebook,
    jupyter_base_url,
    kernel_id,
)
from nbrun.record.replay import replay_log
from nbrun.record.run_dir import find_run_dir


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


def test_a_plain_process_is_a_script_not_a_notebook() -> None:
    assert in_notebook() is False
    assert frontend() is Frontend.SCRIPT


def test_colab_is_recognised_by_its_module(monkeypatch: pytest.MonkeyPatch) -> None:
    assert in_colab() is False
    google = types.ModuleType("google")
    colab = types.ModuleType("google.colab")
    monkeypatch.setitem(sys.modules, "google", google)
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    assert in_colab() is True
    assert frontend() is Frontend.COLAB


def test_kaggle_is_recognised_by_its_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAGGLE_KERNEL_RUN_TYPE", "Interactive")
    assert frontend() is Frontend.KAGGLE


def test_vscode_pid_alone_does_not_make_a_script_a_notebook(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VSCODE_PID", "1234")
    assert frontend() is Frontend.SCRIPT


def test_the_jupyter_base_url_comes_from_the_server_or_the_hub(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("JUPYTERHUB_SERVICE_PREFIX", raising=False)
    assert jupyter_base_url() == "/"
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", "/user/ann")
    assert jupyter_base_url() == "/user/ann/"
    monkeypatch.setenv("NBRUN_JUPYTER_BASE_URL", "/lab-behind-proxy/")
    assert jupyter_base_url() == "/lab-behind-proxy/"


def test_terminal_ipython_is_ipython_not_a_notebook() -> None:
    ipython = Path(sys.executable).with_name("ipython")
    code = "from nbrun.environment import frontend, in_notebook\n"
    code += "print('RESULT', frontend().value, in_notebook())"
    done = subprocess.run(
        [str(ipython), "--quick", "--no-banner", "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "RESULT ipython False" in done.stdout, done.stderr


def test_a_kernel_tells_each_front_end_apart(tmp_path: Path) -> None:
    outputs = run_cells(
        tmp_path,
        "import json, os\n"
        "from nbrun.environment import frontend, in_notebook\n"
        "for name in ('JPY_SESSION_NAME', 'JUPYTERHUB_SERVICE_PREFIX', 'VSCODE_PID'):\n"
        "    os.environ.pop(name, None)\n"
        "seen = {'headless': frontend().value, 'notebook': in_notebook()}\n"
        "os.environ['JPY_SESSION_NAME'] = '/home/ann/train.ipynb'\n"
        "seen['jupyter'] = frontend().value\n"
        "os.environ['JUPYTERHUB_SERVICE_PREFIX'] = '/user/ann/'\n"
        "seen['hub'] = frontend().value\n"
        "__vsc_ipynb_file__ = '/home/ann/train.ipynb'\n"
        "seen['vscode'] = frontend().value\n"
        "print(json.dumps(seen))\n",
    )
    seen = json.loads(outputs[0].strip().splitlines()[-1])
    assert seen == {
        "headless": "headless",
        "notebook": True,
        "jupyter": "jupyter",
        "hub": "jupyterhub",
        "vscode": "vscode",
    }


def test_a_kernel_run_by_nbclient_is_a_notebook_and_gets_notebook_defaults(
    tmp_path: Path,
) -> None:
    outputs = run_cells(
        tmp_path,
        "import json, nbrun\n"
        "from nbrun.environment import in_notebook\n"
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


def test_a_kernel_knows_the_id_its_jupyter_server_calls_it_by_and_its_runs_record_it(
    tmp_path: Path,
) -> None:
    # jupyter_server starts kernels through a MultiKernelManager: the id it hands out is the
    # one the REST API (and Lab's kernel list) uses.
    kernels = MultiKernelManager(connection_dir=str(tmp_path))
    kernel = kernels.start_kernel(kernel_name="python3", cwd=str(tmp_path))
    try:
        client = kernels.get_kernel(kernel).client()
        client.start_channels()
        client.wait_for_ready(timeout=60)
        printed: list[str] = []

        def stream(message: dict[str, Any]) -> None:
            if message["msg_type"] == "stream":
                printed.append(message["content"]["text"])

        code = (
            "import json, nbrun\n"
            "from nbrun.environment import kernel_id\n"
            f"run = nbrun.init(mode='offline', dir={str(tmp_path)!r},\n"
            "                 settings={'silent': True})\n"
            "run.finish()\n"
            "print(json.dumps({'kernel_id': kernel_id(), 'run': run.id}))\n"
        )
        reply = client.execute_interactive(code, output_hook=stream, timeout=60)
        assert reply["content"]["status"] == "ok", reply["content"]
        client.stop_channels()
    finally:
        kernels.shutdown_kernel(kernel, now=True)
    seen = json.loads("".join(printed).strip().splitlines()[-1])
    assert seen["kernel_id"] == kernel
    run_dir = find_run_dir(tmp_path, seen["run"])
    assert run_dir is not None
    assert replay_log(run_dir.log_path).run["kernel_id"] == kernel


def test_outside_a_kernel_there_is_no_kernel_id_and_runs_record_none(tmp_path: Path) -> None:
    assert kernel_id() is None
    run = nbrun.init(mode="offline", dir=str(tmp_path), settings={"silent": True})
    run.finish()
    run_dir = find_run_dir(tmp_path, run.id)
    assert run_dir is not None
    assert replay_log(run_dir.log_path).run["kernel_id"] is None
