"""The server process: startup line, state file, refusing unsafe binds, OpenAPI, the CLI."""

from __future__ import annotations

import argparse
import http.client
import os
import stat
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from nbrun.server.cli import add_server_commands


def test_a_non_loopback_bind_without_api_keys_refuses_to_start(tmp_path: Path) -> None:
    argv = [sys.executable, "-m", "nbrun.server", "--host", "0.0.0.0", "--port", "0"]
    argv += ["--db-url", f"sqlite:///{tmp_path / 'db.sqlite'}", "--storage", str(tmp_path / "s")]
    env = {k: v for k, v in os.environ.items() if k != "NBRUN_SERVER_API_KEYS"}
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 2
    assert "refusing to listen on 0.0.0.0" in done.stderr and "--api-key" in done.stderr
    assert "listening" not in done.stdout


def test_the_state_file_is_private_and_describes_the_server(
    server_factory: Any, tmp_path: Path
) -> None:
    state_file = tmp_path / "state" / "server.json"
    server = server_factory("--state-file", str(state_file))
    assert stat.S_IMODE(state_file.stat().st_mode) == 0o600
    state = orjson.loads(state_file.read_bytes())
    assert state["url"] == server.url and state["pid"] == server.proc.pid
    assert state["token"] == server.token and state["db_url"].startswith("sqlite:///")
    assert state["storage"] == str(server.tmp / "storage")
    assert int(server.url.rsplit(":", 1)[1]) > 0
    server.stop()
    assert server.proc.returncode == 0 and not state_file.exists()


def test_a_generated_token_is_the_loopback_key(tmp_path: Path) -> None:
    state_file = tmp_path / "server.json"
    argv = [sys.executable, "-m", "nbrun.server", "--port", "0", "--state-file", str(state_file)]
    argv += ["--db-url", f"sqlite:///{tmp_path / 'db.sqlite'}", "--storage", str(tmp_path / "s")]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and "listening" in proc.stdout.readline()
        token = orjson.loads(state_file.read_bytes())["token"]
        assert len(token) >= 32
        import requests

        url = orjson.loads(state_file.read_bytes())["url"]
        ok = requests.get(f"{url}/api/v1/projects", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200
    finally:
        proc.terminate()
        proc.wait(10)


def test_the_openapi_schema_is_served(server: Any) -> None:
    schema = server.get("/openapi.json", token=None).json()
    paths = schema["paths"]
    assert "/api/v1/runs/{entity}/{project}/{run_id}/records" in paths
    assert "/api/v1/runs/{entity}/{project}/{run_id}/history" in paths
    assert "RunInfo" in schema["components"]["schemas"]


def _cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="nbrun")
    add_server_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    return int(args.handler(args))


def test_server_start_detached_status_and_stop(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "server.json"
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    assert _cli("server", "status", "--state-file", str(state)) == 1
    code = _cli(
        "server", "start", "--detach", "--port", "0", "--state-file", str(state),
        "--db-url", db, "--storage", str(tmp_path / "s"),
    )  # fmt: skip
    assert code == 0, capsys.readouterr()
    pid = orjson.loads(state.read_bytes())["pid"]
    try:
        assert _cli("server", "status", "--state-file", str(state)) == 0
        assert "healthy" in capsys.readouterr().out
        assert _cli("server", "stop", "--state-file", str(state)) == 0
        assert not state.exists()
        assert _cli("server", "status", "--state-file", str(state)) == 1
    finally:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        else:
            os.kill(pid, 9)
            pytest.fail("the detached server outlived `server stop`")


def test_a_server_with_an_open_event_stream_stops_on_sigterm(
    server_factory: Callable[..., Any],
) -> None:
    server = server_factory()
    address = urllib.parse.urlsplit(server.url)
    listener = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    listener.request("GET", "/api/v1/events?poll=0.05", headers=server.headers())
    assert listener.getresponse().status == 200  # a dashboard page listening

    server.proc.terminate()

    # Bounded by the graceful-shutdown timeout, not by the listener going away.
    assert server.proc.wait(timeout=30) == 0
    listener.close()
