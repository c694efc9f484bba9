"""Artifacts on a real server: versions committed from records, aliases, uses, downloads,
refusals (blobs on the local disk and in S3), and two server processes on one PostgreSQL
numbering versions of one artifact."""

from __future__ import annotations

import base64
import hashlib
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from nbrun.protocol.artifacts import ManifestEntry, manifest_digest, new_manifest
from nbrun.protocol.http import artifacts_path
from tests.server.conftest import Server, assert_no_server_errors


@pytest.fixture
def server(any_store_server: Server) -> Server:
    """Each database, and blobs on the local disk and in S3."""
    return any_store_server


def put_blob(server: Server, body: bytes) -> str:
    sha = hashlib.sha256(body).hexdigest()
    reply = server.session.put(f"{server.url}/api/v1/blobs/{sha}", body, headers=server.headers())
    assert reply.status_code == 200, reply.text
    return sha


def entry(body: bytes, sha256: str | None = None) -> ManifestEntry:
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    return {"digest": md5, "size": len(body), "sha256": sha256 or hashlib.sha256(body).hexdigest()}


class Logged:
    """An artifact's manifest as uploaded, and the record that logs it."""

    def __init__(self, server: Server, name: str, contents: dict[str, ManifestEntry]) -> None:
        self.manifest = new_manifest(contents)
        self.manifest_sha = put_blob(server, orjson.dumps(self.manifest))
        self.digest = manifest_digest(contents)
        self.name = name
        self.size = sum(e["size"] for e in contents.values())

    def record(self, **fields: Any) -> list[Any]:
        payload = {
            "client_id": uuid.uuid4().hex,
            "name": self.name,
            "type": "dataset",
            "digest": self.digest,
            "manifest": self.manifest_sha,
            "size": self.size,
            "files": len(self.manifest["contents"]),
        }
        return ["artifact", payload | fields]


def log_files(server: Server, name: str, files: dict[str, bytes], upload: bool = True) -> Logged:
    """Upload ``files`` (unless not ``upload``) and their manifest."""
    for body in files.values():
        if upload:
            put_blob(server, body)
    return Logged(server, name, {path: entry(body) for path, body in files.items()})


def post(server: Server, run: str, records: list[list[Any]], first: int = 1) -> dict[str, Any]:
    reply = server.post_records(run, [[first + i, *r] for i, r in enumerate(records)])
    assert reply.status_code in (200, 422), reply.text
    ack: dict[str, Any] = reply.json()
    return ack


def get(server: Server, run: str, suffix: str = "", **kwargs: Any) -> Any:
    """``GET A{suffix}`` of the run's project."""
    entity, project, _ = run.split("/")
    return server.get(artifacts_path(entity, project) + suffix, **kwargs)


def versions(server: Server, run: str, name: str) -> list[tuple[str, list[str]]]:
    reply = get(server, run, f"/{name}")
    assert reply.status_code == 200, reply.text
    return [(v["version"], v["aliases"]) for v in reply.json()["versions"]]


def test_versions_in_commit_order_with_latest_on_the_newest(server: Server, run: str) -> None:
    first = log_files(server, "data", {"a.txt": b"one", "sub/b.bin": os.urandom(5000)})
    second = log_files(server, "data", {"a.txt": b"two"})
    metadata = {"rows": 3, "nested": {"x": [1, 2]}}
    ack = post(
        server,
        run,
        [
            first.record(description="first", metadata=metadata, tags=["raw"]),
            second.record(aliases=["best"]),
        ],
    )
    assert ack == {"acked_seq": 2}
    assert versions(server, run, "data") == [("v1", ["best", "latest"]), ("v0", [])]
    v0 = get(server, run, "/data/v0").json()
    entity, project, _ = run.split("/")
    assert v0 == {
        "entity": entity,
        "project": project,
        "name": "data",
        "type": "dataset",
        "version": "v0",
        "digest": first.digest,
        "size": first.size,
        "files": 2,
        "description": "first",
        "metadata": metadata,
        "aliases": [],
        "tags": ["raw"],
        "created_at": v0["created_at"],
        "logged_by": run,
        "manifest": first.manifest,
    }
    for name in ("latest", "best", "v1", second.digest):
        found = get(server, run, f"/data/{name}").json()
        assert (found["version"], found["digest"]) == ("v1", second.digest), name
    collections = get(server, run).json()["artifacts"]
    assert [(c["name"], c["type"], c["versions"]) for c in collections] == [("data", "dataset", 2)]
    assert get(server, run, type="model").json() == {"artifacts": []}
    logged = server.run_get(run, "/artifacts").json()
    assert [v["version"] for v in logged["logged"]] == ["v0", "v1"] and logged["used"] == []


def test_the_same_digest_again_adds_aliases_and_moving_an_alias(server: Server, run: str) -> None:
    first = log_files(server, "model", {"w.bin": b"weights 0"})
    second = log_files(server, "model", {"w.bin": b"weights 1"})
    post(server, run, [first.record(aliases=["best"]), second.record()])
    assert versions(server, run, "model") == [("v1", ["latest"]), ("v0", ["best"])]
    # The same contents again, from another run of the project: no v2, new aliases on v0.
    entity, project, _ = run.split("/")
    other = f"{entity}/{project}/other-{uuid.uuid4().hex[:6]}"
    assert post(server, other, [first.record(aliases=["prod"], tags=["ok"])]) == {"acked_seq": 1}
    assert versions(server, run, "model") == [("v1", ["latest"]), ("v0", ["best", "prod"])]
    v0 = get(server, run, "/model/v0").json()
    assert v0["logged_by"] == run and v0["tags"] == ["ok"]
    assert [v["version"] for v in server.run_get(other, "/artifacts").json()["logged"]] == ["v0"]
    # Moving "best" to v1; asking for "latest" on an old version moves nothing.
    post(server, other, [second.record(aliases=["best"]), first.record(aliases=["latest"])], 2)
    assert versions(server, run, "model") == [("v1", ["best", "latest"]), ("v0", ["prod"])]


def test_a_replayed_record_makes_nothing_new(server: Server, run: str) -> None:
    first = log_files(server, "data", {"x": b"x0"})
    second = log_files(server, "data", {"x": b"x1"})
    record = first.record(aliases=["a"])
    batch = [["config", {"update": {"lr": 1}}], record]
    assert post(server, run, batch) == {"acked_seq": 2}
    assert post(server, run, batch) == {"acked_seq": 2}  # the same batch again
    assert versions(server, run, "data") == [("v0", ["a", "latest"])]
    post(server, run, [second.record(aliases=["a"])], 3)
    # The record again under a new sequence number (a log replayed into the run): its
    # client_id was applied already, so "a" stays where it was moved since.
    post(server, run, [record], 4)
    assert versions(server, run, "data") == [("v1", ["a", "latest"]), ("v0", [])]
    assert server.run_get(run).json()["acked_seq"] == 4


def test_a_use_before_its_version_exists_resolves_once_it_does(server: Server, run: str) -> None:
    entity, project, _ = run.split("/")
    producer = f"{entity}/{project}/producer-{uuid.uuid4().hex[:6]}"
    data = log_files(server, "data", {"x": b"used"})
    use = {"entity": entity, "project": project, "name": "data", "digest": data.digest}
    assert post(server, run, [["use_artifact", use | {"use_as": "train"}]]) == {"acked_seq": 1}
    assert server.run_get(run, "/artifacts").json() == {"logged": [], "used": []}
    post(server, producer, [data.record()])
    used = server.run_get(run, "/artifacts").json()["used"]
    assert [(u["name"], u["version"], u["use_as"], u["logged_by"]) for u in used] == [
        ("data", "v0", "train", producer)
    ]
    assert server.run_get(producer, "/artifacts").json()["used"] == []


def refusal(ack: dict[str, Any], seq: int) -> str:
    reasons = [r["reason"] for r in ack.get("refused", ()) if r["seq"] == seq]
    assert len(reasons) == 1, ack
    return str(reasons[0])


def test_a_manifest_naming_a_missing_blob_is_refused_and_the_batch_stored(
    server: Server, run: str
) -> None:
    never = os.urandom(100)
    data = log_files(server, "data", {"ok.txt": b"fine", "gone.bin": never}, upload=False)
    put_blob(server, b"fine")
    batch = [
        ["config", {"update": {"lr": 0.5}}],
        data.record(),
        ["history", {"loss": 1.0, "_step": 0}],
    ]
    ack = post(server, run, batch)
    assert ack["acked_seq"] == 3
    sha = hashlib.sha256(never).hexdigest()
    assert refusal(ack, 2) == f"artifact 'data' names blob {sha} that was never uploaded"
    info = server.run_get(run).json()
    assert info["config"] == {"lr": 0.5} and info["history_rows"] == 1
    assert info["refused_records"] == 1
    reply = get(server, run, "/data")
    assert reply.status_code == 404
    assert reply.json()["detail"] == f"artifact '{'/'.join(run.split('/')[:2])}/data' not found"
    # Uploaded later, a new record of the same contents commits.
    put_blob(server, never)
    assert post(server, run, [data.record()], 4) == {"acked_seq": 4}
    assert versions(server, run, "data") == [("v0", ["latest"])]


@pytest.mark.parametrize(
    ("path", "why"),
    [("../x", "has an empty, '.' or '..' part"), ("/etc/passwd", "is absolute")],
)
def test_an_entry_path_that_escapes_is_refused(
    server: Server, run: str, path: str, why: str
) -> None:
    data = log_files(server, "data", {path: b"evil"})
    ack = post(server, run, [data.record(), ["config", {"update": {"a": 1}}]])
    assert why in refusal(ack, 1) and repr(path) in refusal(ack, 1)
    assert get(server, run, "/data").status_code == 404


def test_records_that_break_a_rule_are_refused_with_the_reason(server: Server, run: str) -> None:
    data = log_files(server, "data", {"a": b"a"})
    other = log_files(server, "data", {"b": b"b"})
    wrong = "0" * 32
    batch = [
        data.record(),
        data.record(digest=wrong),
        other.record(type="model"),
        data.record(name="bad name"),
        data.record(aliases=["v3"]),
        data.record(type="wandb-history"),
        data.record(manifest=hashlib.sha256(b"never sent").hexdigest()),
        data.record(files=5),
        ["use_artifact", {"entity": "e", "project": "p", "name": "x", "digest": "nope"}],
        data.record(aliases=["ok", "a\x00b"]),
    ]
    ack = post(server, run, batch)
    assert ack["acked_seq"] == len(batch)
    assert refusal(ack, 2) == (
        f"artifact 'data' says its digest is {wrong}, but its manifest's entries make {data.digest}"
    )
    assert refusal(ack, 3) == "artifact 'data' is of type 'dataset', not 'model'"
    assert "artifact name 'bad name' is invalid" in refusal(ack, 4)
    assert "alias 'v3' is invalid" in refusal(ack, 5)
    assert "is reserved" in refusal(ack, 6)
    assert "names manifest blob" in refusal(ack, 7) and "never uploaded" in refusal(ack, 7)
    assert refusal(ack, 8) == "artifact 'data' says 5 files of 1 bytes, its manifest has 1 of 1"
    assert "digest 'nope' is not 32 hex digits" in refusal(ack, 9)
    assert refusal(ack, 10) == (
        "artifact 'data': alias 'a\\x00b' is invalid: 1 to 128 characters, no '/', ':' or "
        "control characters"
    )
    assert versions(server, run, "data") == [("v0", ["latest"])]
    # A batch of nothing but refused records is answered 422, with the same acknowledgement.
    reply = server.post_records(run, [[len(batch) + 1, *data.record(digest=wrong)]])
    assert reply.status_code == 422 and reply.json()["acked_seq"] == len(batch) + 1


def test_entry_downloads_and_not_found_texts(server: Server, run: str) -> None:
    weights = os.urandom(300_000)
    files = {"model/weights.bin": weights, "notes.txt": b"hello"}
    for body in files.values():
        put_blob(server, body)
    contents = {path: entry(body) for path, body in files.items()}
    contents["remote.csv"] = {"digest": "etag", "size": 10, "ref": "s3://bucket/remote.csv"}
    data = Logged(server, "data", contents)
    post(server, run, [data.record()])
    where = "/".join(run.split("/")[:2])
    download = get(server, run, "/data/latest/files/model/weights.bin")
    assert download.status_code == 200 and download.content == weights
    assert download.headers["content-security-policy"] == "sandbox"
    notes = get(server, run, "/data/v0/files/notes.txt")
    assert notes.content == b"hello" and notes.headers["content-type"].startswith("text/plain")
    cases = {
        "/nothing": f"artifact '{where}/nothing' not found",
        "/nothing/v0": f"artifact '{where}/nothing' not found",
        "/data/v1": f"artifact '{where}/data' has no version or alias 'v1'",
        "/data/best": f"artifact '{where}/data' has no version or alias 'best'",
        "/data/v0/files/missing.txt": f"artifact '{where}/data:v0' has no file 'missing.txt'",
        "/data/latest/files/remote.csv": (
            f"file 'remote.csv' of artifact '{where}/data:v0' is a reference to "
            "s3://bucket/remote.csv: not stored here"
        ),
    }
    for suffix, text in cases.items():
        reply = get(server, run, suffix)
        assert (reply.status_code, reply.json()["detail"]) == (404, text), suffix
    assert get(server, run, "/bad name").status_code == 422


def test_read_tokens_read_their_run_but_not_the_project(server: Server, run: str) -> None:
    data = log_files(server, "data", {"a": b"token"})
    post(server, run, [data.record()])
    token = server.session.post(
        f"{server.url}/api/v1/runs/{run}/tokens", headers=server.headers()
    ).json()["token"]
    reply = server.run_get(run, "/artifacts", token=token)
    assert reply.status_code == 200 and [v["name"] for v in reply.json()["logged"]] == ["data"]
    for suffix in ("", "/data", "/data/v0", "/data/v0/files/a"):
        assert get(server, run, suffix, token=token).status_code == 403, suffix
    assert get(server, run, "/data", token=None).status_code == 401


def test_a_registry_project_overrides_the_runs(server: Server, run: str) -> None:
    data = log_files(server, "model", {"w": b"registered"})
    post(server, run, [data.record(project="model-registry", type="model")])
    entity = run.split("/")[0]
    registry = f"{entity}/model-registry/x"
    assert versions(server, registry, "model") == [("v0", ["latest"])]
    assert get(server, run, "/model").status_code == 404


KEY = "artifact-scale-out-key"
THREADS = 2
RECORDS = 10


@pytest.fixture
def pair(
    server_factory: Callable[..., Server], postgres_url: str, tmp_path: Path
) -> Iterator[tuple[Server, Server]]:
    """Two server processes on one PostgreSQL database and one storage folder."""
    storage = str(tmp_path / "shared-storage")
    a, b = (
        server_factory("--api-key", KEY, "--storage", storage, db_url=postgres_url, name=name)
        for name in ("a", "b")
    )
    for server in (a, b):
        server.token = KEY
    yield a, b
    for server in (a, b):
        assert_no_server_errors(server)


def test_two_servers_on_one_postgresql_number_versions_once_each(
    pair: tuple[Server, Server],
) -> None:
    project = f"test-entity/race-{uuid.uuid4().hex[:6]}"
    logged = {
        n: [log_files(pair[n % 2], "shared", {"n": f"{n}-{i}".encode()}) for i in range(RECORDS)]
        for n in range(THREADS)
    }
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def log(n: int) -> None:
        server, run = pair[n % 2], f"{project}/writer-{n}"
        try:
            start.wait(10)
            for seq, data in enumerate(logged[n], 1):
                reply = server.post_records(run, [[seq, *data.record()]])
                assert reply.status_code == 200 and "refused" not in reply.json(), reply.text
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=log, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    for server in pair:
        found = get(server, f"{project}/x", "/shared").json()["versions"]
        assert [v["version"] for v in found] == [
            f"v{i}" for i in reversed(range(THREADS * RECORDS))
        ]
        assert {v["digest"] for v in found} == {
            data.digest for datas in logged.values() for data in datas
        }
        # Each writer's versions in the order it logged them.
        for n in range(THREADS):
            mine = [v for v in reversed(found) if v["logged_by"] == f"{project}/writer-{n}"]
            assert [v["digest"] for v in mine] == [data.digest for data in logged[n]]
        assert found[0]["aliases"] == ["latest"]


# Distributed versions: upsert_artifact parts, merged when a run finishes them.


def other_run(run: str, label: str) -> str:
    entity, project, _ = run.split("/")
    return f"{entity}/{project}/{label}-{uuid.uuid4().hex[:6]}"


def test_upserted_parts_stay_hidden_until_a_run_finishes_them(server: Server, run: str) -> None:
    old = log_files(server, "data", {"old.txt": b"before"})
    post(server, run, [old.record()])
    one, two = other_run(run, "worker"), other_run(run, "worker")
    part_a = log_files(server, "data", {"a.txt": b"from a", "shared.txt": b"a wrote"})
    part_b = log_files(server, "data", {"b.txt": b"from b", "shared.txt": b"b wrote"})
    assert post(server, one, [part_a.record(distributed_id="job-1", aliases=["x"])]) == {
        "acked_seq": 1
    }
    post(server, two, [part_b.record(distributed_id="job-1", metadata={"rank": 1})])
    # Nothing new is visible: v0 stays the newest, and no part has a version.
    assert versions(server, run, "data") == [("v0", ["latest"])]
    assert get(server, run, f"/data/{part_a.digest}").status_code == 404
    assert server.run_get(one, "/artifacts").json()["logged"] == []

    finisher = log_files(server, "data", {})
    ack = post(server, run, [finisher.record(distributed_id="job-1", final=True)], 2)
    assert ack == {"acked_seq": 2}

    assert versions(server, run, "data") == [("v1", ["latest", "x"]), ("v0", [])]
    merged = get(server, run, "/data/latest").json()
    contents = merged["manifest"]["contents"]
    assert sorted(contents) == ["a.txt", "b.txt", "shared.txt"]
    # A path two parts hold keeps the entry of the part that came last.
    assert contents["shared.txt"] == entry(b"b wrote")
    assert merged["digest"] == manifest_digest(contents) and merged["files"] == 3
    assert merged["metadata"] == {"rank": 1}
    reply = get(server, run, "/data/v1/files/shared.txt")
    assert reply.status_code == 200 and reply.content == b"b wrote"
    for worker in (one, two, run):
        logged = server.run_get(worker, "/artifacts").json()["logged"]
        assert "v1" in [v["version"] for v in logged], worker


def test_a_finish_applied_twice_and_later_upserts_make_a_new_version(
    server: Server, run: str
) -> None:
    worker = other_run(run, "worker")
    part = log_files(server, "model", {"w.bin": b"weights"})
    upsert_record = part.record(distributed_id="d")
    post(server, worker, [upsert_record])
    finish = log_files(server, "model", {"cfg.json": b"{}"}).record(distributed_id="d", final=True)
    batch = [["config", {"update": {"lr": 1}}], finish]
    assert post(server, run, batch) == {"acked_seq": 2}
    assert post(server, run, batch) == {"acked_seq": 2}  # the same batch again
    post(server, run, [finish], 3)  # the record again under a new sequence number
    post(server, worker, [upsert_record], 2)  # the part replayed after its version exists
    assert versions(server, run, "model") == [("v0", ["latest"])]
    v0 = get(server, run, "/model/v0").json()
    assert sorted(v0["manifest"]["contents"]) == ["cfg.json", "w.bin"]

    # The same distributed id after finishing: the parts of a new version.
    later = log_files(server, "model", {"w.bin": b"weights 2"})
    post(server, worker, [later.record(distributed_id="d")], 3)
    assert versions(server, run, "model") == [("v0", ["latest"])]
    empty = log_files(server, "model", {})
    post(server, run, [empty.record(distributed_id="d", final=True)], 4)
    assert versions(server, run, "model") == [("v1", ["latest"]), ("v0", [])]
    assert get(server, run, "/model/v1").json()["manifest"]["contents"] == {
        "w.bin": entry(b"weights 2")
    }


def test_finishing_nothing_and_bad_distributed_records_are_refused(
    server: Server, run: str
) -> None:
    empty = log_files(server, "data", {})
    part = log_files(server, "data", {"a": b"a"})
    ack = post(
        server,
        run,
        [
            empty.record(distributed_id="none-upserted", final=True),
            part.record(distributed_id="bad\nid"),
            part.record(final=True),
            part.record(distributed_id="ok", type="model"),
            part.record(distributed_id="ok"),
        ],
    )
    assert "nothing was upserted with distributed_id 'none-upserted'" in refusal(ack, 1)
    assert "distributed_id 'bad\\nid' is invalid" in refusal(ack, 2)
    assert "final is for a distributed version and needs a distributed_id" in refusal(ack, 3)
    assert "is of type 'dataset', not 'model'" in refusal(ack, 4)
    assert [r["seq"] for r in ack["refused"]] == [1, 2, 3, 4]
    assert versions(server, run, "data") == []
    assert get(server, run, "/data/latest").status_code == 404


def test_parts_racing_a_finish_on_two_servers_each_land_in_one_version(
    pair: tuple[Server, Server],
) -> None:
    project = f"test-entity/race-{uuid.uuid4().hex[:6]}"
    parts = {n: log_files(pair[n % 2], "shards", {f"part-{n}": f"{n}".encode()}) for n in range(8)}
    empty = log_files(pair[0], "shards", {})
    start = threading.Barrier(len(parts) + 1)
    errors: list[BaseException] = []

    def send(server: Server, run: str, record: list[Any]) -> None:
        try:
            start.wait(10)
            reply = server.post_records(run, [[1, *record]])
            assert reply.status_code == 200 and "refused" not in reply.json(), reply.text
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(
            target=send, args=(pair[n % 2], f"{project}/w-{n}", part.record(distributed_id="d"))
        )
        for n, part in parts.items()
    ]
    finish = log_files(pair[1], "shards", {"index": b"i"}).record(distributed_id="d", final=True)
    threads.append(threading.Thread(target=send, args=(pair[1], f"{project}/f1", finish)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    # Parts that came after the finish wait for the next one.
    later = empty.record(distributed_id="d", final=True)
    ack = post(pair[0], f"{project}/f2", [later])
    found = get(pair[0], f"{project}/x", "/shards").json()["versions"]
    names = [
        sorted(
            get(pair[1], f"{project}/x", f"/shards/{v['version']}").json()["manifest"]["contents"]
        )
        for v in reversed(found)
    ]
    assert "index" in names[0]
    everything = [name for version in names for name in version]
    assert sorted(everything) == sorted([*(f"part-{n}" for n in parts), "index"])  # once each
    assert len(names) == (1 if "refused" in ack else 2)
    assert found[0]["aliases"] == ["latest"]
