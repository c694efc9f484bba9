"""Authentication: full keys, and read tokens that see one run and nothing else."""

from __future__ import annotations

import datetime
import hashlib
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from nbrun.server.auth import READ_TOKEN_CACHE_SECONDS

CONFIG = [[1, "config", {"update": {"a": 1}, "remove": []}], [2, "history", {"v": 1.0, "_step": 0}]]


def test_requests_without_or_with_a_wrong_token_are_401(server: Any, run: str) -> None:
    assert server.get("/api/v1/health", token=None).status_code == 200  # the one open path
    missing = server.get("/api/v1/projects", token=None)
    assert missing.status_code == 401 and "missing" in missing.json()["detail"]
    wrong = server.get("/api/v1/projects", token="nope")
    assert wrong.status_code == 401 and "invalid token" in wrong.json()["detail"]
    scheme = server.session.get(
        f"{server.url}/api/v1/projects", headers={"Authorization": f"Basic {server.token}"}
    )
    assert scheme.status_code == 401 and "Bearer" in scheme.json()["detail"]
    assert server.post_records(run, CONFIG, token=None).status_code == 401
    assert server.post_records(run, CONFIG, token="nope").status_code == 401
    assert server.run_get(run).status_code == 404  # nothing was written


def test_a_read_token_reads_its_run_and_nothing_else(server: Any, run: str) -> None:
    other = run[:-1] + ("0" if run[-1] != "0" else "1")
    for path in (run, other):
        assert server.post_records(path, CONFIG).ok
        put = server.session.put(
            f"{server.url}/api/v1/runs/{path}/files/f.txt", b"hi", headers=server.headers()
        )
        assert put.ok
    created = server.session.post(
        f"{server.url}/api/v1/runs/{run}/tokens", headers=server.headers()
    )
    assert created.status_code == 200, created.text
    token = created.json()["token"]
    assert created.json()["run"] == run
    for suffix in (
        "",
        "/history",
        "/history/rows",
        "/files",
        "/files/f.txt",
        "/alerts",
        "/console",
    ):
        assert server.run_get(run, suffix, token=token).status_code == 200, suffix
        refused = server.run_get(other, suffix, token=token)
        assert refused.status_code == 403 and "another run" in refused.json()["detail"], suffix
    assert server.run_get(run[:-1] + "zz", token=token).status_code == 403  # no probing for 404
    project = "/".join(run.split("/")[:2])
    for path in ("/api/v1/projects", f"/api/v1/runs/{project}"):
        assert server.get(path, token=token).status_code == 403
    assert server.post_records(run, [[3, "history", {"_step": 1}]], token=token).status_code == 403
    again = server.session.post(
        f"{server.url}/api/v1/runs/{run}/tokens", headers=server.headers(token)
    )
    assert again.status_code == 403
    upload = server.session.put(
        f"{server.url}/api/v1/runs/{run}/files/x", b"x", headers=server.headers(token)
    )
    assert upload.status_code == 403
    assert server.run_get(run).json()["acked_seq"] == 2


def test_a_token_for_an_unknown_run_is_404(server: Any, run: str) -> None:
    reply = server.session.post(f"{server.url}/api/v1/runs/{run}/tokens", headers=server.headers())
    assert reply.status_code == 404


KEY_1, KEY_2, KEY_3 = "first-key-0123456789", "second-key-0123456789", "third-key-0123456789"


@pytest.mark.parametrize("key", [KEY_1, KEY_2])
def test_every_configured_api_key_has_full_access(server_factory: Any, key: str) -> None:
    server = server_factory("--api-key", KEY_1, "--api-key", KEY_2)
    assert server.get("/api/v1/projects", token=key).status_code == 200
    assert server.get("/api/v1/projects").status_code == 200  # the --token still works
    assert server.get("/api/v1/projects", token=KEY_3).status_code == 401


def tokens_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``nbrun server tokens ...`` as a user runs it."""
    argv = [sys.executable, "-m", "nbrun.cli", "server", "tokens", *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env, check=False)


def new_read_token(server: Any, run: str) -> str:
    assert server.post_records(run, CONFIG).ok
    created = server.session.post(
        f"{server.url}/api/v1/runs/{run}/tokens", headers=server.headers()
    )
    assert created.status_code == 200, created.text
    token: str = created.json()["token"]
    return token


def wait_for_401(server: Any, run: str, token: str, within: float) -> tuple[str, float]:
    """Poll the run with ``token`` until it is refused; the detail and how long it took."""
    started = time.monotonic()
    while True:
        answer = server.run_get(run, token=token)
        waited = time.monotonic() - started
        if answer.status_code == 401:
            return str(answer.json()["detail"]), waited
        assert answer.status_code == 200, answer.text
        assert waited < within, f"the token still works after {waited:.1f} s"
        time.sleep(0.1)


def listed(db_url: str, token: str) -> str:
    """The `tokens list` line of ``token``."""
    done = tokens_cli("list", "--db-url", db_url)
    assert done.returncode == 0, done.stderr
    header = done.stdout.splitlines()[0].split()
    assert header == ["id", "run", "created", "expires", "state"]
    ident = hashlib.sha256(token.encode()).hexdigest()[:12]
    lines = [line for line in done.stdout.splitlines() if line.startswith(ident)]
    assert len(lines) == 1, done.stdout
    return lines[0]


def test_a_read_token_expires_with_a_clear_401(server_factory: Any, run: str) -> None:
    server = server_factory("--read-token-days", str(2 / 86400))  # two seconds
    token = new_read_token(server, run)
    assert server.run_get(run, token=token).status_code == 200
    detail, _ = wait_for_401(server, run, token, within=15)
    assert detail.startswith("read token expired on ") and "new one" in detail
    assert server.run_get(run).status_code == 200  # the full key is not affected


def test_read_tokens_last_90_days_by_default(server_factory: Any, run: str) -> None:
    server = server_factory()
    token = new_read_token(server, run)
    line = listed(f"sqlite:///{server.tmp / 'nbrun.db'}", token).split()
    # id, run, created (date time), expires (date time), state
    created = datetime.datetime.strptime(" ".join(line[2:4]), "%Y-%m-%d %H:%M")
    expires = datetime.datetime.strptime(" ".join(line[4:6]), "%Y-%m-%d %H:%M")
    assert line[1] == run and line[6] == "active"
    assert abs((expires - created) - datetime.timedelta(days=90)) <= datetime.timedelta(hours=1)


def test_a_revoked_token_stops_working_on_the_running_server(
    server: Any, run: str, request: pytest.FixtureRequest
) -> None:
    if request.node.callspec.params["server"] == "postgres":
        db_url = request.getfixturevalue("postgres_url")
    else:
        db_url = f"sqlite:///{server.tmp / 'nbrun.db'}"
    first, second = new_read_token(server, run), new_read_token(server, run)
    for token in (first, second):
        assert server.run_get(run, token=token).status_code == 200  # now cached by the server
        assert listed(db_url, token).split()[-1] == "active"
    ident = listed(db_url, first).split()[0]
    done = tokens_cli("revoke", ident[:8], "--db-url", db_url)
    assert done.returncode == 0 and "revoked 1 read token" in done.stdout, done.stderr
    detail, waited = wait_for_401(server, run, first, within=15)
    assert detail.startswith("read token was revoked") and waited < READ_TOKEN_CACHE_SECONDS + 3
    assert server.run_get(run, token=second).status_code == 200
    done = tokens_cli("revoke", "--run", run, "--db-url", db_url)
    assert done.returncode == 0 and "revoked 1 read token" in done.stdout, done.stderr
    wait_for_401(server, run, second, within=15)
    assert [listed(db_url, t).split()[-1] for t in (first, second)] == ["revoked", "revoked"]


def test_tokens_revoke_all_and_its_errors(server_factory: Any, run: str, tmp_path: Path) -> None:
    server = server_factory()
    db_url = f"sqlite:///{server.tmp / 'nbrun.db'}"
    tokens = [new_read_token(server, run) for _ in range(3)]
    done = tokens_cli("revoke", "--all", "--db-url", db_url)
    assert done.returncode == 0 and "revoked 3 read tokens" in done.stdout, done.stderr
    for token in tokens:
        wait_for_401(server, run, token, within=15)
    errors = [
        (["revoke", "--db-url", db_url], 2, "exactly one of ID, --run or --all"),
        (["revoke", "0123456789ab", "--db-url", db_url], 1, "no read token with id"),
        (["revoke", "not-hex", "--db-url", db_url], 1, "is not an id"),
        (["revoke", "--run", "e/p/none", "--db-url", db_url], 1, "no run e/p/none"),
        (["list", "--db-url", f"sqlite:///{tmp_path / 'none.db'}"], 2, "no nbrun database at"),
    ]
    for args, code, message in errors:
        done = tokens_cli(*args)
        assert done.returncode == code and message in done.stderr, (args, done.stderr)
    assert not (tmp_path / "none.db").exists()


DOCS = ("/docs", "/redoc", "/openapi.json")


@pytest.mark.parametrize(
    ("args", "served"),
    [
        ([], True),
        (["--no-docs"], False),
        (["--host", "0.0.0.0", "--api-key", KEY_1], False),
        (["--host", "0.0.0.0", "--api-key", KEY_1, "--docs"], True),
    ],
)
def test_api_docs_are_off_by_default_off_loopback(
    server_factory: Any, args: list[str], served: bool
) -> None:
    server = server_factory(*args)
    for path in DOCS:
        assert server.get(path, token=None).status_code == (200 if served else 404), path
    assert server.get("/api/v1/health", token=None).status_code == 200


def test_an_open_stream_ends_once_its_read_token_is_revoked(server_factory: Any, run: str) -> None:
    from nbrun.server.routes.stream import REAUTH_SECONDS

    server = server_factory()
    token = new_read_token(server, run)  # the run is running: its stream stays open
    stream = requests.get(
        f"{server.url}/api/v1/runs/{run}/stream", params={"token": token}, stream=True, timeout=30
    )
    assert stream.status_code == 200
    ended = threading.Event()

    def read_to_the_end() -> None:
        for _ in stream.iter_content(chunk_size=None):
            pass
        ended.set()

    threading.Thread(target=read_to_the_end, daemon=True).start()
    assert not ended.wait(1.0)  # open while the token is good
    db_url = f"sqlite:///{server.tmp / 'nbrun.db'}"
    ident = listed(db_url, token).split()[0]
    assert tokens_cli("revoke", ident, "--db-url", db_url).returncode == 0
    assert ended.wait(REAUTH_SECONDS + READ_TOKEN_CACHE_SECONDS + 5), (
        "the stream outlived its token"
    )
