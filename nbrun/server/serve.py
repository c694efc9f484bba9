"""Running the server process: bind, announce the address, write the state file, serve."""

from __future__ import annotations

import contextlib
import gc
import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import uvicorn

from nbrun.server.app import create_app
from nbrun.server.config import ServerConfig, is_loopback
from nbrun.server.liveness import start_writer_watch

GRACEFUL_SHUTDOWN_SECONDS = 2


def bind(host: str, port: int) -> socket.socket:
    """A listening-ready socket on ``host:port`` (port 0: a free one)."""
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    if family == socket.AF_INET and host not in ("", "0.0.0.0"):
        with contextlib.suppress(OSError):
            info = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            family = info[0][0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host.strip("[]"), port))
    sock.set_inheritable(True)
    return sock


def url_for(host: str, port: int) -> str:
    host = host.strip("[]")
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def write_state_file(path: Path, state: dict[str, Any]) -> None:
    """Write ``state`` as JSON readable by this user only (it holds the token)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(orjson.dumps(state, option=orjson.OPT_INDENT_2))
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def remove_state_file(path: Path) -> None:
    """Remove the state file if it still describes this process."""
    with contextlib.suppress(OSError, ValueError):
        if orjson.loads(path.read_bytes()).get("pid") == os.getpid():
            path.unlink()


class _Server(uvicorn.Server):
    """uvicorn's server, announcing itself once it accepts connections and cleaning up after
    a graceful shutdown (then exiting 0 rather than re-raising SIGTERM/SIGINT)."""

    def __init__(self, config: uvicorn.Config, announce: Any, cleanup: Any) -> None:
        super().__init__(config)
        self._announce = announce
        self._cleanup = cleanup

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        # The modules and app built so far live as long as the process: kept out of the cyclic
        # collector, its full passes no longer walk them while a batch allocates many rows.
        gc.freeze()
        if not self.should_exit:
            self._announce()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        await super().shutdown(sockets=sockets)
        self._cleanup()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        with super().capture_signals():
            yield
            captured = getattr(self, "_captured_signals", None)
            if isinstance(captured, list):
                captured.clear()  # the shutdown was graceful: exit normally


def serve(config: ServerConfig, state_file: Path | None = None) -> int:
    """Serve until SIGINT/SIGTERM; returns the process exit code."""
    try:
        app = create_app(config)
        sock = bind(config.host, config.port)
    except (ValueError, OSError, RuntimeError) as e:
        print(f"nbrun server: {e}", file=sys.stderr, flush=True)
        return 2
    port = sock.getsockname()[1]
    url = url_for(config.host, port)
    if is_loopback(config.host):
        # Its clients run on this machine: a dead writer is noticed within seconds.
        start_writer_watch(app.state.services.engine)

    def announce() -> None:
        if state_file is not None:
            state = {
                "url": url,
                "pid": os.getpid(),
                "token": config.token,
                "db_url": config.db_url,
                "storage": config.storage,
            }
            write_state_file(state_file, state)
        print(f"nbrun server listening on {url}", flush=True)

    uv_config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_keep_alive=75,
        # Event streams (an open dashboard) never end by themselves: without a bound, a stop
        # would wait for every browser tab to close.
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )

    def cleanup() -> None:
        if state_file is not None:
            remove_state_file(state_file)

    server = _Server(uv_config, announce, cleanup)
    try:
        server.run(sockets=[sock])
    finally:
        cleanup()
        sock.close()
    return 0
