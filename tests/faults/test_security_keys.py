"""A server never starts with an empty, blank or short key (issue 11, item 4).

`--api-key "$UNSET_VAR"` used to start a server that took an empty Bearer key (and signed
session cookies with an empty HMAC key), even off loopback. Each way of giving a key is tried on
a real `nbrun.server` process: it must exit non-zero, say what is wrong on stderr, and never
announce that it listens.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import orjson
import pytest

from tests.processes import stop_process

GOOD_KEY = "a-good-key-0123456789"
_ENV_NAMES = ("NBRUN_SERVER_API_KEYS", "NBRUN_SERVER_TOKEN")


def run_server(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None, command: str = "server"
) -> subprocess.CompletedProcess[str]:
    """Run the server command until it exits (a refused start exits at once) or announces
    that it listens (then it is stopped, and the caller's assertions fail at once)."""
    base = {k: v for k, v in os.environ.items() if k not in _ENV_NAMES}
    base["NBRUN_DATA_DIR"] = str(tmp_path / "data")
    module = ["-m", "nbrun.server"] if command == "server" else ["-m", "nbrun.cli", "server"]
    argv = [sys.executable, *module, "--port", "0", *args]
    argv += ["--db-url", f"sqlite:///{tmp_path / 'db.sqlite'}", "--storage", str(tmp_path / "s")]
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=base | (env or {})
    )
    watchdog = threading.Timer(60, proc.kill)  # neither exits nor announces: fail, bounded
    watchdog.start()
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()  # "listening ..." from a server that started, or EOF
        if "listening" in first:
            stop_process(proc)
        out, err = proc.communicate(timeout=60)
    finally:
        watchdog.cancel()
        stop_process(proc)
    return subprocess.CompletedProcess(argv, proc.returncode, first + out, err)


def assert_refused(done: subprocess.CompletedProcess[str], message: str) -> None:
    assert done.returncode != 0, done.stdout
    assert message in done.stderr, done.stderr
    assert "refusing to start" in done.stderr
    assert "listening" not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--api-key", ""], "--api-key is empty"),
        (["--api-key", "   "], "--api-key is only whitespace"),
        (["--api-key", "short-key"], "--api-key is 9 characters long"),
        (["--host", "0.0.0.0", "--api-key", ""], "--api-key is empty"),
        (["--host", "0.0.0.0", "--api-key", GOOD_KEY, "--api-key", ""], "number 2 is empty"),
        (["--api-key", f" {GOOD_KEY} "], "starts or ends with whitespace"),
        (["--token", ""], "--token is empty"),
        (["--token", "tiny"], "--token is 4 characters long"),
    ],
)
def test_a_bad_key_on_the_command_line_is_refused(
    tmp_path: Path, args: list[str], message: str
) -> None:
    done = run_server(tmp_path, *args)
    assert_refused(done, message)
    assert "at least 16" in done.stderr or "empty" in message or "whitespace" in message


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"NBRUN_SERVER_API_KEYS": ""}, "entry 1 of $NBRUN_SERVER_API_KEYS is empty"),
        ({"NBRUN_SERVER_API_KEYS": f"{GOOD_KEY},"}, "entry 2 of $NBRUN_SERVER_API_KEYS is empty"),
        ({"NBRUN_SERVER_API_KEYS": " , "}, "entry 1 of $NBRUN_SERVER_API_KEYS is empty"),
        ({"NBRUN_SERVER_API_KEYS": "abc"}, "$NBRUN_SERVER_API_KEYS is 3 characters long"),
        ({"NBRUN_SERVER_TOKEN": ""}, "$NBRUN_SERVER_TOKEN is empty"),
        ({"NBRUN_SERVER_TOKEN": "   "}, "$NBRUN_SERVER_TOKEN is only whitespace"),
    ],
)
def test_a_bad_key_in_the_environment_is_refused(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    assert_refused(run_server(tmp_path, "--host", "0.0.0.0", env=env), message)
    assert_refused(run_server(tmp_path, env=env), message)


def test_nbrun_server_refuses_before_it_detaches(tmp_path: Path) -> None:
    # The error must reach the terminal that ran the command, not a log file nobody reads.
    state = tmp_path / "data" / "server.json"
    try:
        done = run_server(tmp_path, "--detach", "--api-key", "", command="nbrun")
        assert_refused(done, "--api-key is empty")
        assert not state.exists()
    finally:
        if state.exists():  # it started after all: do not leave a daemon behind
            os.kill(orjson.loads(state.read_bytes())["pid"], signal.SIGTERM)
