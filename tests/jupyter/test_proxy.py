"""Through a real Jupyter server: ``<base_url>nbrun/...`` reaches the nbrun backend behind
Jupyter's login, streams the live SSE stream, adds the backend's key itself and refuses writes."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import requests

import nbrun
from nbrun.sync.embedded import running_server, stop_embedded_server
from tests.server.conftest import Server

from .conftest import JUPYTER_TOKEN, JupyterServer

QUIET: dict[str, Any] = {"silent": True, "console": "off", "show_widget": False}


def test_the_proxy_starts_the_embedded_backend_and_answers_with_jupyters_token(
    jupyter_server: JupyterServer,
) -> None:
    assert running_server() is None
    health = jupyter_server.get("nbrun/api/v1/health")
    assert health.status_code == 200, health.text
    assert running_server() is not None  # started by the extension, reused by runs
    run = nbrun.init(project="proxied", name="far-hill", settings=QUIET)
    run.log({"loss": 0.5})
    run.finish()

    got = jupyter_server.get(f"nbrun/api/v1/runs/{run.entity}/proxied/{run.id}")
    assert got.status_code == 200 and got.json()["name"] == "far-hill"
    key = running_server().token  # type: ignore[union-attr]
    assert key is not None and key not in got.text and key not in str(got.headers)

    anonymous = jupyter_server.get(f"nbrun/api/v1/runs/{run.entity}/proxied/{run.id}", token=False)
    assert anonymous.status_code in (302, 403)
    assert "far-hill" not in anonymous.text


def test_the_embed_page_is_served_under_the_proxy_prefix(jupyter_server: JupyterServer) -> None:
    run = nbrun.init(project="proxied", settings=QUIET)
    page = jupyter_server.get(f"nbrun/{run.entity}/proxied/runs/{run.id}?embed=1")
    assert page.status_code == 200, page.text
    assert '<base href="/user/ann/nbrun/">' in page.text  # from X-Forwarded-Prefix


def test_only_reads_pass_the_proxy_and_writes_are_refused_naming_the_method(
    jupyter_server: JupyterServer,
) -> None:
    run = nbrun.init(project="proxied", settings=QUIET)
    login = {"Authorization": f"token {JUPYTER_TOKEN}"}
    health = requests.head(jupyter_server.url + "nbrun/api/v1/health", headers=login, timeout=30)
    assert health.headers.get("Server") == "uvicorn"  # HEAD is forwarded: the backend answers
    path = f"nbrun/api/v1/runs/{run.entity}/proxied/{run.id}/tokens"
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        refused = requests.request(method, jupyter_server.url + path, headers=login, timeout=30)
        assert refused.status_code == 405
        assert f"read-only: {method} is not forwarded" in refused.text


def wait_until_backend_has_rows(server: JupyterServer, run: str, rows: int) -> None:
    """Wait for the uploader (a background thread) to deliver ``rows`` history rows."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        got = server.get(f"nbrun/api/v1/runs/{run}")
        if got.status_code == 200 and got.json()["history_rows"] >= rows:
            return
        time.sleep(0.05)
    raise AssertionError(f"the backend never got {rows} rows of {run}")


def _events(response: requests.Response) -> Iterator[tuple[str, Any]]:
    name = ""
    for line in response.iter_lines(decode_unicode=True):
        if line.startswith("event:"):
            name = line.split(":", 1)[1].strip()
        elif line.startswith("data:"):
            yield name, json.loads(line.split(":", 1)[1])


def test_the_sse_stream_passes_through_live(jupyter_server: JupyterServer) -> None:
    run = nbrun.init(project="live", settings=QUIET)
    run.log({"loss": 1.0})  # step 0
    wait_until_backend_has_rows(jupyter_server, f"{run.entity}/live/{run.id}", 1)
    stream = jupyter_server.get(
        f"nbrun/api/v1/runs/{run.entity}/live/{run.id}/stream?poll=0.05",
        accept="text/event-stream",
        stream=True,
    )
    assert stream.status_code == 200
    assert stream.headers["Content-Type"].startswith("text/event-stream")
    events = _events(stream)
    seen_steps: list[int] = []
    logged_more = False
    for name, data in events:
        if name == "rows":
            seen_steps += [row["_step"] for row in data["rows"]]
        if 0 in seen_steps and not logged_more:
            # The stream is open and has delivered step 0: only now log step 1, so step 1
            # can only arrive through a stream that is forwarded live, not buffered.
            logged_more = True
            run.log({"loss": 0.5})
            run.finish()
        if name == "end":
            break
    stream.close()
    assert seen_steps == [0, 1]


def test_after_the_embedded_backend_stops_the_proxy_starts_it_again(
    jupyter_server: JupyterServer,
) -> None:
    run = nbrun.init(project="restart", name="steady-oak", settings=QUIET)
    run.finish()
    path = f"nbrun/api/v1/runs/{run.entity}/restart/{run.id}"
    assert jupyter_server.get(path).status_code == 200
    before = running_server()
    assert before is not None and stop_embedded_server()

    again = jupyter_server.get(path)
    assert again.status_code == 200 and again.json()["name"] == "steady-oak"
    after = running_server()
    assert after is not None and after.url != before.url


def test_a_configured_backend_on_postgresql_is_proxied_with_its_key(
    postgres_backend: Server, jupyter_server: JupyterServer
) -> None:
    run = nbrun.init(project="team", name="wide-field", settings=QUIET)
    run.log({"loss": 0.5})
    run.finish()
    got = jupyter_server.get(f"nbrun/api/v1/runs/{run.entity}/team/{run.id}")
    assert got.status_code == 200 and got.json()["name"] == "wide-field"
    assert postgres_backend.token not in got.text
    assert running_server() is None  # no embedded daemon when a backend is configured
