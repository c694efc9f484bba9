"""The dashboard's login session: a signed HttpOnly cookie that authorises reads only."""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import time
import warnings
from base64 import urlsafe_b64encode
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

with warnings.catch_warnings():
    # Starlette's notice that its test client will move from httpx to httpx2 (not installed)
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

from nbrun.server import cli, schema
from nbrun.server.app import create_app
from nbrun.server.auth import SESSION_COOKIE, SESSION_SECONDS
from nbrun.server.config import ServerConfig
from nbrun.server.db import make_engine, read_connection

TOKEN = "unit-test-token-0123"


def make_client(tmp_path: Path, name: str = "db", **config: object) -> TestClient:
    settings = ServerConfig(
        db_url=f"sqlite:///{tmp_path / f'{name}.db'}",
        storage_dir=tmp_path / "storage",
        **config,  # type: ignore[arg-type]
    )
    return TestClient(create_app(settings, dashboard_assets=tmp_path / "no-assets"))


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with make_client(tmp_path, token=TOKEN) as client:
        yield client


def login(client: TestClient, token: str = TOKEN, **headers: str) -> str:
    answer = client.post("/login", json={"token": token}, headers=headers)
    assert answer.status_code == 204, answer.text
    return answer.headers["set-cookie"]


def test_login_sets_an_httponly_strict_cookie_that_reads_the_api(client: TestClient) -> None:
    header = login(client)
    parts = [part.strip().lower() for part in header.split(";")]
    assert "httponly" in parts and "samesite=strict" in parts and "path=/" in parts
    assert f"max-age={SESSION_SECONDS}" in parts
    assert TOKEN not in header  # the key itself never goes into the cookie
    projects = client.get("/api/v1/projects")
    assert projects.status_code == 200 and projects.json() == {"projects": []}


def test_the_cookie_never_authorises_a_write(client: TestClient) -> None:
    login(client)
    write = client.post(
        "/api/v1/runs/e/p/r/records",
        content=b"\x81\xa7records\x90",
        headers={"Content-Type": "application/msgpack"},
    )
    assert write.status_code == 401 and "Authorization" in write.json()["detail"]
    upload = client.put("/api/v1/runs/e/p/r/files/x.txt", content=b"x")
    assert upload.status_code == 401


def test_login_under_a_prefix_scopes_the_cookie_to_it(client: TestClient) -> None:
    header = login(client, **{"X-Forwarded-Prefix": "/user/ana/nbrun"})
    assert "path=/user/ana/nbrun/" in header.lower()


@pytest.mark.parametrize("token", ["wrong", "nbrr_not-a-session-key"])
def test_login_with_anything_but_a_full_key_is_refused(client: TestClient, token: str) -> None:
    answer = client.post("/login", json={"token": token})
    assert answer.status_code == 401 and "invalid token" in answer.json()["detail"]
    assert "set-cookie" not in answer.headers


def test_login_takes_json_only(client: TestClient) -> None:
    # A form on another site can post urlencoded bodies without asking; JSON it cannot.
    answer = client.post("/login", data={"token": TOKEN})
    assert answer.status_code == 422
    assert "set-cookie" not in answer.headers


def test_a_tampered_cookie_is_refused_with_a_clear_message(client: TestClient) -> None:
    login(client)
    value = client.cookies[SESSION_COOKIE]
    client.cookies.set(SESSION_COOKIE, value[:-2] + ("AA" if not value.endswith("AA") else "BB"))
    answer = client.get("/api/v1/projects")
    assert answer.status_code == 401 and "invalid session" in answer.json()["detail"]
    client.cookies.set(SESSION_COOKIE, "garbage")
    assert client.get("/api/v1/projects").status_code == 401


def test_an_expired_cookie_is_refused(client: TestClient) -> None:
    auth = client.app.state.services.auth  # type: ignore[attr-defined]
    old = auth.create_session(TOKEN, now=time.time() - SESSION_SECONDS - 10)
    client.cookies.set(SESSION_COOKIE, old)
    answer = client.get("/api/v1/projects")
    assert answer.status_code == 401 and "expired" in answer.json()["detail"]


TEAM_KEY, OTHER_KEY = "team-key-0123456789", "other-key-0123456789"


def test_servers_sharing_a_database_and_a_key_accept_each_others_sessions(
    tmp_path: Path,
) -> None:
    with (
        make_client(tmp_path, "shared", api_keys=[TEAM_KEY]) as first,
        make_client(tmp_path, "shared", api_keys=[OTHER_KEY, TEAM_KEY]) as second,
        make_client(tmp_path, "shared", api_keys=[OTHER_KEY]) as key_removed,
        make_client(tmp_path, "elsewhere", api_keys=[TEAM_KEY]) as other_database,
    ):
        login(first, TEAM_KEY)
        cookie = first.cookies[SESSION_COOKIE]
        second.cookies.set(SESSION_COOKIE, cookie)
        assert second.get("/api/v1/projects").status_code == 200
        # Removing the key it logged in with ends the session.
        key_removed.cookies.set(SESSION_COOKIE, cookie)
        assert key_removed.get("/api/v1/projects").status_code == 401
        # Another database has another secret: the same key does not make its cookies valid.
        other_database.cookies.set(SESSION_COOKIE, cookie)
        assert other_database.get("/api/v1/projects").status_code == 401


def test_knowing_the_key_is_not_enough_to_forge_a_cookie(client: TestClient) -> None:
    # The cookie used to be HMAC(key, body): with an empty --api-key anyone could sign one.
    for scheme in ("s1", "s2"):
        body = f"{scheme}.{int(time.time()) + 3600}.nonce"
        for key in (TOKEN.encode(), b""):
            mac = hmac.new(key, b"nbrun-session:" + body.encode(), hashlib.sha256).digest()
            forged = f"{body}.{urlsafe_b64encode(mac).rstrip(b'=').decode()}"
            client.cookies.set(SESSION_COOKIE, forged)
            answer = client.get("/api/v1/projects")
            assert answer.status_code == 401 and "invalid session" in answer.json()["detail"]


def test_the_session_secret_is_random_and_made_once_per_database(tmp_path: Path) -> None:
    with make_client(tmp_path, "one", token=TOKEN), make_client(tmp_path, "one", token=TOKEN):
        pass
    with make_client(tmp_path, "two", token=TOKEN):
        pass
    found = []
    for name in ("one", "two"):
        engine = make_engine(f"sqlite:///{tmp_path / f'{name}.db'}")
        with read_connection(engine) as conn:
            rows = conn.execute(select(schema.server_secrets)).all()
        engine.dispose()
        assert [row.name for row in rows] == ["session"]
        found.append(bytes(rows[0].value))
    assert len(found[0]) == 32 and found[0] != found[1]


def test_logout_clears_the_cookie(client: TestClient) -> None:
    login(client)
    assert client.post("/logout").status_code == 204
    assert SESSION_COOKIE not in client.cookies
    assert client.get("/api/v1/projects").status_code == 401


def test_a_bearer_header_wins_over_the_cookie(client: TestClient) -> None:
    login(client)
    answer = client.get("/api/v1/projects", headers={"Authorization": "Bearer wrong"})
    assert answer.status_code == 401 and "invalid token" in answer.json()["detail"]


def test_server_status_prints_a_login_link_with_the_token_in_the_fragment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "server.json"
    state.write_text(json.dumps({"url": "http://127.0.0.1:9", "pid": os.getpid(), "token": "t0k"}))
    parser = argparse.ArgumentParser()
    subparsers = parser.add_subparsers()
    cli.add_server_commands(subparsers)
    args = parser.parse_args(["server", "status", "--state-file", str(state)])
    args.handler(args)
    assert "dashboard: http://127.0.0.1:9/login#token=t0k" in capsys.readouterr().out
