"""NaN and ±Inf read back the same through every path: the offline Api (the run's own record
log) and the HTTP Api, whether the backend's answer arrives as msgpack or as JSON (where they
travel as the strings "NaN", "Infinity", "-Infinity")."""

from __future__ import annotations

import http.client
import http.server
import math
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

import nbrun
from tests.sync.conftest import TOKEN, ServerProcess

NAN, INF = float("nan"), float("inf")
_HOP = {"connection", "keep-alive", "transfer-encoding", "host", "accept"}


class _JsonOnlyProxy(http.server.BaseHTTPRequestHandler):
    """A gateway in front of the backend that negotiates JSON only: every request goes on with
    ``Accept: application/json``, whatever the client asked for."""

    protocol_version = "HTTP/1.0"
    target = ""
    content_types: list[str] = []  # noqa: RUF012 (what went back, for the test to check)

    def do_GET(self) -> None:
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
        headers["Accept"] = "application/json"
        where = urlsplit(self.target)
        upstream = http.client.HTTPConnection(where.hostname, where.port, timeout=30)
        try:
            upstream.request("GET", self.path, headers=headers)
            answer = upstream.getresponse()
            body = answer.read()
            _JsonOnlyProxy.content_types.append(answer.getheader("Content-Type", ""))
            self.send_response(answer.status)
            for name, value in answer.getheaders():
                if name.lower() not in _HOP and name.lower() != "content-length":
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        finally:
            upstream.close()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def json_only(server: ServerProcess) -> Iterator[str]:
    _JsonOnlyProxy.target = server.url
    _JsonOnlyProxy.content_types = []
    proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _JsonOnlyProxy)
    proxy.daemon_threads = True
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{proxy.server_address[1]}"
    proxy.shutdown()
    proxy.server_close()


def same(a: Any, b: Any) -> bool:
    """Deep equality where NaN equals NaN (and a float is never None or a string)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    return type(a) is type(b) and a == b


def test_the_http_api_reads_nan_and_infinities_as_the_offline_api_does(
    server: ServerProcess, json_only: str, tmp_path: Path
) -> None:
    run = nbrun.init(
        entity="faults", project="nonfinite", mode="offline", settings={"silent": True}
    )
    for step in range(6):
        run.log(
            {
                "a": NAN if step % 2 else step / 2,
                "b": INF,
                "c": -INF if step != 3 else -1.0,
                "n": {"x": NAN},
            }
        )
    run.summary["best"] = -INF
    run.config["clip"] = INF
    path, run_dir = run.path, Path(run.dir).parent
    run.finish()

    offline = nbrun.Api(dirs=[tmp_path]).run(str(run_dir))
    assert type(offline).__name__ == "LocalRun"
    expected_rows = list(offline.scan_history())
    assert math.isnan(expected_rows[1]["a"]) and expected_rows[0]["b"] == INF

    synced = subprocess.run(
        [sys.executable, "-m", "nbrun.cli", "sync", str(run_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        env=os.environ | {"NBRUN_BASE_URL": server.url, "NBRUN_API_KEY": TOKEN},
    )
    assert synced.returncode == 0, synced.stdout + synced.stderr

    for url in (server.url, json_only):
        remote = nbrun.Api(base_url=url, api_key=TOKEN, dirs=[]).run(path)
        assert type(remote).__name__ == "RemoteRun", url
        rows = list(remote.scan_history())
        assert same(rows, expected_rows), (url, rows)
        frame, want = remote.history(), offline.history()
        assert list(frame.columns) == list(want.columns), url
        for column in want.columns:
            assert same(frame[column].tolist(), want[column].tolist()), (url, column)
        assert same(remote.summary, offline.summary), (url, remote.summary)
        assert same(remote.config, offline.config), (url, remote.config)
        sampled = remote.history(keys=["a", "b", "c"], samples=100, pandas=False)
        assert same(
            sampled, [{"_step": r["_step"], **{k: r[k] for k in "abc"}} for r in expected_rows]
        ), (url, sampled)
    listed = nbrun.Api(base_url=json_only, api_key=TOKEN, dirs=[]).runs("faults/nonfinite")
    assert same(listed[0].summary["b"], INF) and same(listed[0].config, offline.config)
    assert len(_JsonOnlyProxy.content_types) >= 5  # the run, rows, series, list went this way
    assert all(t.startswith("application/json") for t in _JsonOnlyProxy.content_types)
