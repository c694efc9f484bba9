"""Run files: upload, list, download, and paths confined to their run; blobs on the local disk
and in S3."""

from __future__ import annotations

import hashlib
import http.client
import os
import urllib.parse
from typing import Any

import pytest

from tests.server.conftest import Server


@pytest.fixture
def server(any_store_server: Server) -> Server:
    """Each database, and blobs on the local disk and in S3."""
    return any_store_server


def put(server: Any, run: str, path: str, body: bytes, token: str | None = "default") -> Any:
    url = f"{server.url}/api/v1/runs/{run}/files/{path}"
    return server.session.put(url, body, headers=server.headers(token))


def raw(server: Any, method: str, path: str, body: bytes | None = None) -> int:
    """Send ``path`` exactly as written (clients normalise ``.``/``..`` segments away)."""
    parsed = urllib.parse.urlsplit(server.url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)
    try:
        conn.request(method, path, body, headers=server.headers())
        return conn.getresponse().status
    finally:
        conn.close()


def test_files_round_trip(server: Any, run: str) -> None:
    blob = os.urandom(300_000)
    reply = put(server, run, "model/weights.bin", blob)
    assert reply.status_code == 200, reply.text
    info = reply.json()
    assert info["path"] == "model/weights.bin" and info["size"] == len(blob)
    assert info["sha256"] == hashlib.sha256(blob).hexdigest()
    assert put(server, run, "notes.txt", b"v1").ok and put(server, run, "notes.txt", b"v2").ok
    assert put(server, run, "empty", b"").ok
    listed = server.run_get(run, "/files").json()["files"]
    assert [(f["path"], f["size"]) for f in listed] == [
        ("empty", 0),
        ("model/weights.bin", len(blob)),
        ("notes.txt", 2),
    ]
    assert server.run_get(run, "/files/model/weights.bin").content == blob
    download = server.run_get(run, "/files/notes.txt")
    assert download.content == b"v2" and download.headers["content-security-policy"] == "sandbox"
    assert server.run_get(run, "/files/empty").content == b""
    assert server.run_get(run, "/files/missing.txt").status_code == 404


def test_identical_files_share_one_blob(server: Any, run: str) -> None:
    body = b"same bytes" * 1000
    put(server, run, "a.txt", body)
    put(server, run, "b/a.txt", body)
    digest = hashlib.sha256(body).hexdigest()
    stored = [key for key in server.blob_keys() if key.endswith(digest)]
    assert stored == [f"blobs/{digest[:2]}/{digest}"]


@pytest.mark.parametrize(
    "path",
    [
        "../escape.txt",
        "a/../../b",
        "a/./b",
        "a//b",
        "%2e%2e/x",
        "a/%2e%2e/%2e%2e/x",
        "a\\b",
        "%2Fetc/passwd",
    ],
)
def test_paths_that_escape_the_run_are_refused(server: Any, run: str, path: str) -> None:
    assert put(server, run, "ok.txt", b"fine").ok
    url = f"/api/v1/runs/{run}/files/{path}"
    assert raw(server, "PUT", url, b"evil") in (404, 422), path
    assert raw(server, "GET", url) in (404, 422), path
    listed = [f["path"] for f in server.run_get(run, "/files").json()["files"]]
    assert listed == ["ok.txt"]
    assert not list(server.tmp.parent.rglob("escape.txt"))
