"""A kernel started by a real Jupyter server with nbrun's extension: it knows the server's base
URL, ``run.display()`` points its iframe at the extension's proxy, and that URL serves the run's
embed page to a browser logged in to Jupyter."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import requests
from jupyter_client import BlockingKernelClient

from .conftest import JUPYTER_TOKEN, JupyterServer


def execute_in_server_kernel(server: JupyterServer, code: str) -> list[dict[str, Any]]:
    """Start a kernel through the server's REST API and run ``code`` in it; its outputs."""
    auth = {"Authorization": f"token {JUPYTER_TOKEN}"}
    kernel = requests.post(server.url + "api/kernels", headers=auth, json={}, timeout=60)
    assert kernel.status_code == 201, kernel.text
    connection = Path(server.runtime_dir) / f"kernel-{kernel.json()['id']}.json"
    client = BlockingKernelClient(connection_file=str(connection))
    client.load_connection_file()
    client.start_channels()
    outputs: list[dict[str, Any]] = []
    try:
        client.wait_for_ready(timeout=60)

        def keep(message: dict[str, Any]) -> None:
            if message["msg_type"] in ("stream", "display_data", "execute_result", "error"):
                outputs.append(message["content"])

        client.execute_interactive(code, output_hook=keep, timeout=120)
    finally:
        client.stop_channels()
        requests.delete(f"{server.url}api/kernels/{kernel.json()['id']}", headers=auth, timeout=30)
    assert not [o for o in outputs if "ename" in o], outputs
    return outputs


def test_display_in_a_server_kernel_loads_the_run_through_the_proxy(
    jupyter_server: JupyterServer,
) -> None:
    outputs = execute_in_server_kernel(
        jupyter_server,
        "import json, nbrun\n"
        "from nbrun.environment import frontend\n"
        "run = nbrun.init(project='lab', name='clear-bay',\n"
        "                 settings={'silent': True, 'show_widget': False})\n"
        "run.log({'loss': 0.3})\n"
        "print(json.dumps({'frontend': frontend().value, 'shown': run.display()}))\n"
        "run.finish()  # uploaded: the backend knows its name\n",
    )
    printed = json.loads(next(o["text"] for o in outputs if "text" in o))
    assert printed == {"frontend": "jupyter", "shown": True}
    page = next(o["data"]["text/html"] for o in outputs if "data" in o)
    src = html.unescape(re.search(r'<iframe src="([^"]+)"', page).group(1))  # type: ignore[union-attr]
    assert re.fullmatch(r"/user/ann/nbrun/[^/]+/lab/runs/[a-z0-9]+\?embed=1", src), src

    origin = jupyter_server.url.split("/user/ann/", 1)[0]
    embed = requests.get(
        origin + src, headers={"Authorization": f"token {JUPYTER_TOKEN}"}, timeout=30
    )
    assert embed.status_code == 200, embed.text
    assert '<base href="/user/ann/nbrun/">' in embed.text
    run_path = src.removeprefix("/user/ann/nbrun/").split("?")[0].replace("/runs/", "/")
    info = jupyter_server.get(f"nbrun/api/v1/runs/{run_path}")
    assert info.status_code == 200 and info.json()["name"] == "clear-bay"
