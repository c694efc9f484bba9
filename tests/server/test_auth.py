"""Authentication: full keys, and read tokens that see one run and nothing else."""

from __future__ import annotations

from typing import Any

import pytest

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


@pytest.mark.parametrize("key", ["k1", "k2"])
def test_every_configured_api_key_has_full_access(server_factory: Any, key: str) -> None:
    server = server_factory("--api-key", "k1", "--api-key", "k2")
    assert server.get("/api/v1/projects", token=key).status_code == 200
    assert server.get("/api/v1/projects").status_code == 200  # the --token still works
    assert server.get("/api/v1/projects", token="k3").status_code == 401
