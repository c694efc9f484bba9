"""Content-addressed blobs: asking which are missing, uploading one by its SHA-256, on the local
disk and in S3."""

from __future__ import annotations

import hashlib
import os
from typing import Any

import pytest

from nbrun.protocol.http import MAX_BLOBS_PER_QUERY
from tests.server.conftest import Server


@pytest.fixture
def server(any_store_server: Server) -> Server:
    """Each database, and blobs on the local disk and in S3."""
    return any_store_server


def put_blob(server: Any, sha: str, body: bytes, token: str | None = "default") -> Any:
    url = f"{server.url}/api/v1/blobs/{sha}"
    return server.session.put(url, body, headers=server.headers(token))


def missing(server: Any, shas: list[str], token: str | None = "default") -> Any:
    url = f"{server.url}/api/v1/blobs/missing"
    return server.session.post(url, json={"sha256": shas}, headers=server.headers(token))


def test_an_uploaded_blob_is_no_longer_missing(server: Any) -> None:
    body = os.urandom(200_000)
    sha = hashlib.sha256(body).hexdigest()
    other = hashlib.sha256(os.urandom(16)).hexdigest()
    reply = missing(server, [sha, other, sha])
    assert reply.status_code == 200, reply.text
    assert reply.json() == {"sha256": [sha, other]}  # in the order asked, once each
    reply = put_blob(server, sha, body)
    assert reply.status_code == 200, reply.text
    assert reply.json() == {"sha256": sha, "size": len(body)}
    assert missing(server, [sha, other]).json() == {"sha256": [other]}
    assert put_blob(server, sha, body).json() == {"sha256": sha, "size": len(body)}  # again
    assert server.stored_blob(sha) == body


def test_a_body_that_hashes_to_something_else_is_refused_and_not_kept(server: Any) -> None:
    claimed = hashlib.sha256(os.urandom(32)).hexdigest()
    body = b"not what was claimed"
    real = hashlib.sha256(body).hexdigest()
    reply = put_blob(server, claimed, body)
    assert reply.status_code == 422
    assert reply.json()["detail"] == f"body hashes to {real}, not {claimed}"
    assert missing(server, [claimed]).json() == {"sha256": [claimed]}
    assert server.stored_blob(claimed) is None
    assert server.stored_blob(real) is None


def test_bad_names_and_too_many_are_refused_by_name(server: Any) -> None:
    good = hashlib.sha256(b"x").hexdigest()
    for bad in ("abc", good.upper(), good + "0", "g" * 64):
        reply = missing(server, [good, bad])
        assert reply.status_code == 422 and repr(bad) in reply.json()["detail"], reply.text
    assert put_blob(server, "ABC", b"x").status_code == 422
    reply = missing(server, [good] * (MAX_BLOBS_PER_QUERY + 1))
    assert reply.status_code == 422 and str(MAX_BLOBS_PER_QUERY) in reply.json()["detail"]
    assert missing(server, [good] * MAX_BLOBS_PER_QUERY).status_code == 200
    assert missing(server, "not a list").status_code == 422  # type: ignore[arg-type]


def test_blobs_need_a_full_key(server: Any, run: str) -> None:
    assert server.post_records(run, [[1, "config", {"update": {"a": 1}}]]).ok
    token = server.session.post(
        f"{server.url}/api/v1/runs/{run}/tokens", headers=server.headers()
    ).json()["token"]
    sha = hashlib.sha256(b"secret").hexdigest()
    assert put_blob(server, sha, b"secret", token=token).status_code == 403
    assert missing(server, [sha], token=token).status_code == 403
    assert put_blob(server, sha, b"secret", token=None).status_code == 401
    assert missing(server, [sha]).json() == {"sha256": [sha]}
