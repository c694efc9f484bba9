"""The foreground `nbrun server` keeps its data owner-only (issue 11, item 5).

Its database holds every logged value and the read tokens: the data dir must be 0700 and the
SQLite database (with its -wal/-shm files) 0600, as for the embedded server. The default
database is also where `nbrun server tokens` looks.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
import requests

from tests.processes import stop_process

RECORDS = b"\x81\xa7records\x91\x93\x01\xa6config\x82\xa6update\x81\xa1a\x01\xa6remove\x90"


class Foreground:
    """`nbrun server` in the foreground with its data under ``data``."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self.env = os.environ | {"NBRUN_DATA_DIR": str(data)}
        for name in ("NBRUN_SERVER_API_KEYS", "NBRUN_SERVER_TOKEN"):
            self.env.pop(name, None)
        argv = [sys.executable, "-m", "nbrun.cli", "server", "--port", "0"]
        # The usual umask, under which they came out 0755 and 0644.
        self.proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=self.env,
            umask=0o022,
        )  # fmt: skip
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # the server announces itself once it accepts
        assert line.startswith("nbrun server listening on "), line
        self.url = line.split(" on ", 1)[1].strip()
        state = orjson.loads((data / "server.json").read_bytes())
        self.headers = {"Authorization": f"Bearer {state['token']}"}


@pytest.fixture
def foreground(tmp_path: Path) -> Iterator[Foreground]:
    server = Foreground(tmp_path / "data")  # does not exist yet: the server makes it
    yield server
    stop_process(server.proc)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_foreground_server_creates_its_data_owner_only(foreground: Foreground) -> None:
    data = foreground.data
    posted = requests.post(
        f"{foreground.url}/api/v1/runs/e/p/r/records",
        RECORDS,
        headers=foreground.headers | {"Content-Type": "application/msgpack"},
        timeout=30,
    )
    assert posted.status_code == 200, posted.text
    assert mode(data) == 0o700
    assert mode(data / "storage") == 0o700
    database = data / "nbrun.db"
    assert mode(database) == 0o600
    side_files = [data / "nbrun.db-wal", data / "nbrun.db-shm"]
    assert any(path.exists() for path in side_files)  # WAL mode: a write made them
    for path in side_files:
        if path.exists():
            assert mode(path) == 0o600, path
    assert mode(data / "server.json") == 0o600


def test_tokens_list_reads_the_default_servers_database(foreground: Foreground) -> None:
    posted = requests.post(
        f"{foreground.url}/api/v1/runs/e/p/r/records",
        RECORDS,
        headers=foreground.headers | {"Content-Type": "application/msgpack"},
        timeout=30,
    )
    assert posted.status_code == 200, posted.text
    made = requests.post(
        f"{foreground.url}/api/v1/runs/e/p/r/tokens", headers=foreground.headers, timeout=30
    )
    assert made.status_code == 200, made.text
    argv = [sys.executable, "-m", "nbrun.cli", "server", "tokens", "list"]
    done = subprocess.run(
        argv, capture_output=True, text=True, timeout=60, env=foreground.env, check=False
    )
    assert done.returncode == 0, done.stderr
    rows = done.stdout.splitlines()[1:]
    assert len(rows) == 1 and rows[0].split()[1] == "e/p/r" and rows[0].endswith("active")
