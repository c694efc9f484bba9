"""A real `nbrun server` process on loopback that tests can kill and restart on the same port,
and a real HTTP proxy to put in front of it."""

from __future__ import annotations

import dataclasses
import gzip
import http.client
import http.server
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msgpack
import pytest
import requests

from nbrun.sdk import registry
from tests.processes import stop_process

TOKEN = "test-token-for-sync"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ServerProcess:
    """One server's database and port; start/kill/restart keep both."""

    def __init__(self, root: Path, extra_args: tuple[str, ...] = ()) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db_url = f"sqlite:///{root / 'server.db'}"
        self.storage = root / "storage"
        self.log = root / "server.log"
        self.extra_args = extra_args
        self.token = TOKEN
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20.0) -> None:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "nbrun.server",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--db-url",
                    self.db_url,
                    "--storage",
                    str(self.storage),
                    "--token",
                    TOKEN,
                    *self.extra_args,
                ],
                stdout=log,
                stderr=log,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                if requests.get(f"{self.url}/api/v1/health", timeout=1).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.05)
        raise AssertionError(f"server did not start: {self.log.read_text()}")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        stop_process(self.process)


@pytest.fixture
def server_process(tmp_path: Path) -> Iterator[ServerProcess]:
    """A server that is not started yet (tests start it when they want)."""
    server = ServerProcess(tmp_path / "server")
    (tmp_path / "server").mkdir()
    yield server
    for run in list(registry._open_runs):  # finish while their backend is still up
        run.finish(quiet=True)
    server.stop()


@pytest.fixture
def server(server_process: ServerProcess, monkeypatch: pytest.MonkeyPatch) -> ServerProcess:
    """A running server that new runs log to (NBRUN_BASE_URL / NBRUN_API_KEY set)."""
    server_process.start()
    monkeypatch.setenv("NBRUN_BASE_URL", server_process.url)
    monkeypatch.setenv("NBRUN_API_KEY", TOKEN)
    return server_process


@dataclasses.dataclass
class ProxiedRequest:
    """One request as the proxy received it from the client."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


Rewrite = Callable[[ProxiedRequest], ProxiedRequest]


class ForwardingProxy:
    """A real HTTP proxy (a thread on loopback) in front of a backend: forwards each request,
    after ``rewrite`` when given, and keeps every request as the client sent it in ``seen``.
    Stands for a gateway or an older server version between the client and ``nbrun server``."""

    def __init__(self, upstream_port: int, rewrite: Rewrite | None = None) -> None:
        self.seen: list[ProxiedRequest] = []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the client's session expects

            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
                request = ProxiedRequest(self.command, self.path, headers, body)
                proxy.seen.append(request)
                if rewrite is not None:
                    request = rewrite(request)
                upstream = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=30)
                try:
                    upstream.request(request.method, request.path, request.body, request.headers)
                    answer = upstream.getresponse()
                    status, answer_headers, data = answer.status, answer.getheaders(), answer.read()
                except OSError:
                    status, answer_headers, data = 502, [], b'{"detail": "upstream is down"}'
                finally:
                    upstream.close()
                self.send_response(status)
                for name, value in answer_headers:
                    if name.lower() not in _HOP:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _forward

            def log_message(self, *args: Any) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def batches(self) -> list[dict[str, Any]]:
        """The record batches the client posted (decoded msgpack), in order."""
        out = []
        for request in self.seen:
            if request.method == "POST" and request.path.endswith("/records"):
                out.append(decode_batch_body(request))
        return out

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


# Headers that belong to one connection, not to the request or answer the proxy passes on.
_HOP = frozenset({"host", "connection", "keep-alive", "content-length", "transfer-encoding"})


def decode_batch_body(request: ProxiedRequest) -> dict[str, Any]:
    """A posted ``RecordBatch``, inflated when the client gzipped it."""
    body = request.body
    if request.headers.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    batch: dict[str, Any] = msgpack.unpackb(body, raw=False)
    return batch


@pytest.fixture
def proxy_factory() -> Iterator[Callable[..., ForwardingProxy]]:
    """Makes :class:`ForwardingProxy` instances, closed after the test."""
    made: list[ForwardingProxy] = []

    def make(upstream_port: int, rewrite: Rewrite | None = None) -> ForwardingProxy:
        made.append(ForwardingProxy(upstream_port, rewrite))
        return made[-1]

    yield make
    for proxy in made:
        proxy.close()
