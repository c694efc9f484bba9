"""run.to_html() / run.display() / the rich repr: the iframe points where the browser in front of
each place can load the run, and no HTML ever carries the backend's key. Online runs talk to the
real embedded ``nbrun server`` daemon; notebook places run in a real kernel (nbclient)."""

from __future__ import annotations

import html
import json
import re
import sys
import types
from pathlib import Path
from typing import Any

import nbformat
import pytest
import requests
from nbclient import NotebookClient

import nbrun
from nbrun.protocol.mime import RUN_MIME_TYPE
from nbrun.sync.embedded import running_server

QUIET: dict[str, Any] = {"silent": True, "console": "off", "show_widget": False}


def backend_key() -> str:
    server = running_server()
    assert server is not None and server.token
    return server.token


def iframe_src(page: str) -> str:
    found = re.search(r'<iframe src="([^"]+)"', page)
    assert found, page
    return html.unescape(found.group(1))


def notebook_outputs(tmp_path: Path, source: str) -> list[dict[str, Any]]:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source)]
    NotebookClient(
        notebook, timeout=90, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    outputs: list[dict[str, Any]] = notebook.cells[0].outputs
    errors = [o for o in outputs if o["output_type"] == "error"]
    assert not errors, errors
    return outputs


def test_an_offline_run_shows_a_static_view_in_srcdoc_never_a_broken_src() -> None:
    run = nbrun.init(mode="offline", name="calm-lake", settings=QUIET)
    run.log({"loss": 0.25, "acc": 0.9})
    page = run.to_html(height=300)
    # One iframe whose only content is srcdoc: no src the browser would fail to load.
    assert re.fullmatch(
        r'<iframe srcdoc="[^"]*" sandbox="allow-scripts" style="[^"]*" title="[^"]*"></iframe>',
        page,
    )
    doc = html.unescape(re.search(r'srcdoc="([^"]*)"', page).group(1))  # type: ignore[union-attr]
    assert "calm-lake" in doc and "loss" in doc and "0.25" in doc
    assert "this run is offline" in doc
    assert "height:300px" in page


def test_hidden_adds_the_toggle_button_and_hides_the_iframe() -> None:
    run = nbrun.init(mode="offline", settings=QUIET)
    page = run.to_html(hidden=True)
    assert page.startswith("<button onClick=")
    assert "Display nbrun run</button><iframe" in page  # the button's nextSibling is the frame
    assert "display:none;" in page
    assert "display:none" not in run.to_html(hidden=False)


def test_a_bad_height_is_refused_naming_it() -> None:
    run = nbrun.init(mode="offline", settings=QUIET)
    with pytest.raises(ValueError, match="height must be a positive number of pixels; got -5"):
        run.to_html(height=-5)


def test_display_outside_a_notebook_shows_nothing_and_says_so() -> None:
    run = nbrun.init(mode="offline", settings=QUIET)
    assert run.display() is False


def test_a_script_embeds_the_backend_url_with_a_read_token_for_that_run_only() -> None:
    run = nbrun.init(project="display", name="bright-sun", settings=QUIET)
    run.log({"loss": 1.0})
    page = run.to_html()
    src = iframe_src(page)
    server = running_server()
    assert server is not None
    assert src.startswith(f"{server.url}/{run.entity}/display/runs/{run.id}?embed=1&token=nbrr_")
    assert backend_key() not in page
    token = src.split("token=", 1)[1]
    reads = requests.get(
        f"{server.url}/api/v1/runs/{run.entity}/display/{run.id}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert reads.status_code == 200 and reads.json()["id"] == run.id
    lists = requests.get(
        f"{server.url}/api/v1/projects", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert lists.status_code == 403  # scoped to the one run
    assert iframe_src(run.to_html()) == src  # one token per run and process


def test_the_repr_bundle_carries_the_typed_payload_and_an_html_fallback() -> None:
    run = nbrun.init(mode="offline", project="repr", name="quiet-owl", settings=QUIET)
    run.log({"loss": 0.5, "note": "ok", "nested": {"a": 1}})
    bundle = run._repr_mimebundle_()
    assert set(bundle) == {RUN_MIME_TYPE, "text/html", "text/plain"}
    payload = bundle[RUN_MIME_TYPE]
    assert payload == {
        "version": 1,
        "entity": run.entity,
        "project": "repr",
        "id": run.id,
        "name": "quiet-owl",
        "state": "running",
        "step": 1,
        "url": None,
        "embed_path": f"{run.entity}/repr/runs/{run.id}?embed=1",
        "embed_url": None,
        "summary": {"loss": 0.5, "note": "ok"},
    }
    json.dumps(payload)  # plain JSON, as the notebook stores it
    assert "<iframe srcdoc=" in bundle["text/html"]


def test_kaggle_gets_the_static_view_even_when_online(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAGGLE_KERNEL_RUN_TYPE", "Interactive")
    run = nbrun.init(settings=QUIET)
    page = run.to_html()
    assert "<iframe srcdoc=" in page and "Kaggle" in html.unescape(page)


def test_colab_asks_the_kernel_port_proxy_and_the_html_holds_no_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    callbacks: dict[str, Any] = {}
    output = types.ModuleType("google.colab.output")
    output.register_callback = callbacks.__setitem__  # type: ignore[attr-defined]
    colab = types.ModuleType("google.colab")
    colab.output = output  # type: ignore[attr-defined]
    google = types.ModuleType("google")
    google.colab = colab  # type: ignore[attr-defined]
    for name, module in (("google", google), ("google.colab", colab)):
        monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.setitem(sys.modules, "google.colab.output", output)

    run = nbrun.init(project="colab", settings=QUIET)
    page = run.to_html(hidden=True)
    server = running_server()
    assert server is not None
    port = server.url.rsplit(":", 1)[1]
    assert "google.colab.kernel.proxyPort(o.port, {cache: true})" in page
    options = json.loads(re.search(r"\}\)\((\{.*\})\);", page).group(1))  # type: ignore[union-attr]
    assert options["port"] == int(port)
    assert options["path"] == f"{run.entity}/colab/runs/{run.id}?embed=1"
    assert options["hidden"] is True
    assert "nbrr_" not in page and backend_key() not in page
    # The browser gets its read token from the kernel when it shows the output.
    reply = callbacks[options["callback"]]()
    token = reply.data["token"]
    assert token.startswith("nbrr_")
    reads = requests.get(
        f"{server.url}/api/v1/runs/{run.entity}/colab/{run.id}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert reads.status_code == 200


def test_in_a_jupyter_kernel_the_iframe_is_the_server_extension_proxy_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What nbrun's server extension exports to the kernels its server starts.
    monkeypatch.setenv("NBRUN_JUPYTER_BASE_URL", "/user/ann/")
    outputs = notebook_outputs(
        tmp_path,
        "import nbrun\n"
        "run = nbrun.init(project='nb', settings={'silent': True, 'show_widget': False})\n"
        "run.log({'loss': 0.1})\n"
        "print(run.display(height=250))\n"
        "run\n",
    )
    shown = [o for o in outputs if o["output_type"] == "display_data"]
    src = iframe_src(shown[-1]["data"]["text/html"])
    assert re.fullmatch(r"/user/ann/nbrun/[^/]+/nb/runs/[a-z0-9]+\?embed=1", src), src
    assert "height:250px" in shown[-1]["data"]["text/html"]
    assert any(o.get("text", "").strip() == "True" for o in outputs if o["output_type"] == "stream")
    result = next(o for o in outputs if o["output_type"] == "execute_result")
    payload = result["data"][RUN_MIME_TYPE]
    assert payload["embed_url"] == src and payload["url"] == src.removesuffix("?embed=1")
    assert iframe_src(result["data"]["text/html"]) == src
    key = backend_key()
    assert all(key not in json.dumps(o) for o in outputs)


def displayed_src_in_kernel(tmp_path: Path, project: str, before: str = "") -> str:
    """Run ``init`` + ``display()`` in a real kernel; the iframe URL it showed. The outputs
    never hold the backend's key."""
    outputs = notebook_outputs(
        tmp_path,
        f"{before}import nbrun\n"
        f"run = nbrun.init(project={project!r}, settings={QUIET!r})\n"
        "run.display()\n",
    )
    assert backend_key() not in json.dumps(outputs)
    shown = [o for o in outputs if o["output_type"] == "display_data"]
    return iframe_src(shown[-1]["data"]["text/html"])


def assert_backend_embed(src: str, project: str) -> None:
    server = running_server()
    assert server is not None
    assert src.startswith(f"{server.url}/") and f"/{project}/runs/" in src
    assert "&token=nbrr_" in src


def test_vscode_embeds_the_backend_url(tmp_path: Path) -> None:
    vscode = "__vsc_ipynb_file__ = '/home/ann/train.ipynb'\n"
    assert_backend_embed(displayed_src_in_kernel(tmp_path, "vsc", before=vscode), "vsc")


def test_a_jupyter_server_without_the_extension_gets_the_backend_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JPY_SESSION_NAME", "/home/ann/train.ipynb")  # started by a server...
    monkeypatch.delenv("NBRUN_JUPYTER_BASE_URL", raising=False)  # ...that has no nbrun proxy
    assert_backend_embed(displayed_src_in_kernel(tmp_path, "plain"), "plain")
