"""Blobs in S3-compatible storage (``--storage s3://bucket/prefix``) against a real S3-protocol
server process: files and artifacts round-trip identical bytes and show up in the bucket, large
blobs go up in parts, refused uploads leave nothing, a missing bucket stops the server, and two
servers on one PostgreSQL and one bucket serve each other's blobs."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

import nbrun
from nbrun.paths import artifact_store_dir
from tests.server.conftest import TOKEN, Server, assert_no_server_errors, start_s3_server
from tests.server.s3 import BUCKET, MotoS3

MIB = 1 << 20
QUIET = {"silent": True, "console": "off"}


def put_blob(server: Server, sha: str, body: bytes) -> int:
    url = f"{server.url}/api/v1/blobs/{sha}"
    return int(server.session.put(url, body, headers=server.headers()).status_code)


def forget_local_artifacts() -> None:
    """Empty this machine's artifact store, so bytes can only come from the backend."""
    for folder, _dirs, names in os.walk(artifact_store_dir()):
        os.chmod(folder, stat.S_IRWXU)
        for name in names:
            os.chmod(os.path.join(folder, name), stat.S_IWUSR | stat.S_IRUSR)
    shutil.rmtree(artifact_store_dir())


def test_a_run_file_is_an_object_in_the_bucket_and_downloads_identical(
    s3_server: Server, run: str
) -> None:
    body = os.urandom(3 * MIB + 17)
    sha = hashlib.sha256(body).hexdigest()
    url = f"{s3_server.url}/api/v1/runs/{run}/files/out/model.bin"
    reply = s3_server.session.put(url, body, headers=s3_server.headers())
    assert reply.status_code == 200, reply.text
    assert s3_server.bucket is not None
    assert s3_server.bucket.read(f"blobs/{sha[:2]}/{sha}") == body

    download = s3_server.run_get(run, "/files/out/model.bin")
    assert download.status_code == 200 and download.content == body
    assert download.headers["content-length"] == str(len(body))
    assert download.headers["etag"] == sha
    assert download.headers["content-security-policy"] == "sandbox"
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-type"] == "application/octet-stream"


def test_an_artifact_logged_by_a_run_downloads_identical_from_the_bucket(
    s3_server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NBRUN_BASE_URL", s3_server.url)
    monkeypatch.setenv("NBRUN_API_KEY", s3_server.token)
    data = os.urandom(200_000)
    (tmp_path / "train.bin").write_bytes(data)
    with nbrun.init(project="p", settings=QUIET) as run:
        artifact = nbrun.Artifact("d", "dataset")
        artifact.add_file(str(tmp_path / "train.bin"))
        run.log_artifact(artifact).wait(timeout=30)
    forget_local_artifacts()

    root = nbrun.Api().artifact(f"{run.entity}/p/d:v0").download(str(tmp_path / "fresh"))

    assert (Path(root) / "train.bin").read_bytes() == data
    assert s3_server.bucket is not None
    sha = hashlib.sha256(data).hexdigest()
    assert s3_server.bucket.read(f"blobs/{sha[:2]}/{sha}") == data
    assert len(s3_server.blob_keys()) >= 2  # the entry and its manifest


def test_a_blob_past_the_multipart_threshold_goes_up_in_parts(
    moto_s3: MotoS3, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NBRUN_S3_MULTIPART_BYTES", str(5 * MIB))  # S3's smallest part
    server = start_s3_server(tmp_path / "server", moto_s3)
    try:
        body = os.urandom(12 * MIB)
        sha = hashlib.sha256(body).hexdigest()
        assert put_blob(server, sha, body) == 200
        assert server.bucket is not None
        head = server.bucket.head(f"blobs/{sha[:2]}/{sha}")
        assert head["ETag"].strip('"').endswith("-3")  # S3's ETag of a 3-part upload
        assert head["ContentLength"] == len(body)
        small = b"one part"
        small_sha = hashlib.sha256(small).hexdigest()
        assert put_blob(server, small_sha, small) == 200
        assert "-" not in server.bucket.head(f"blobs/{small_sha[:2]}/{small_sha}")["ETag"]

        url = f"{server.url}/api/v1/runs/e/p/r/files/big.bin"
        assert server.session.put(url, body, headers=server.headers()).ok
        assert server.run_get("e/p/r", "/files/big.bin").content == body
    finally:
        server.stop()
    assert_no_server_errors(server)


def test_a_large_body_that_hashes_to_something_else_leaves_no_object_or_spool(
    s3_server: Server,
) -> None:
    body = os.urandom(6 * MIB)
    claimed = hashlib.sha256(b"something else").hexdigest()
    assert put_blob(s3_server, claimed, body) == 422
    real = hashlib.sha256(body).hexdigest()
    assert s3_server.stored_blob(claimed) is None and s3_server.stored_blob(real) is None
    assert not list((s3_server.tmp / "data" / "storage" / "tmp").iterdir())


def serve(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "nbrun.server", "--port", "0", "--token", TOKEN, *argv]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


def test_a_missing_bucket_or_no_credentials_stop_the_server_naming_the_bucket(
    moto_s3: MotoS3, tmp_path: Path
) -> None:
    env = moto_s3.env(tmp_path)
    db = ["--db-url", f"sqlite:///{tmp_path / 'db.sqlite'}"]
    done = serve([*db, "--storage", "s3://no-such-bucket/team"], env)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"nbrun server: refusing to start: cannot use S3 bucket 'no-such-bucket' at "
        f"{moto_s3.endpoint}: the bucket does not exist"
    )
    assert "listening" not in done.stdout
    keys = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
    anonymous = {k: v for k, v in env.items() if k not in keys}
    anonymous["AWS_EC2_METADATA_DISABLED"] = "true"  # no instance role to fall back on
    done = serve([*db, "--storage", f"s3://{BUCKET}/team"], anonymous)
    assert done.returncode == 2
    assert done.stderr.startswith(
        f"nbrun server: refusing to start: cannot use S3 bucket {BUCKET!r} at "
        f"{moto_s3.endpoint}: no AWS credentials found"
    ), done.stderr
    bad = serve([*db, "--storage", "s3://Not_A_Bucket"], env)
    assert bad.returncode == 2 and "'Not_A_Bucket' in 's3://Not_A_Bucket'" in bad.stderr
    other = serve([*db, "--storage", "gs://bucket/x"], env)
    assert other.returncode == 2 and "is not s3://bucket/prefix" in other.stderr


def test_two_servers_on_one_postgresql_and_one_bucket_serve_each_others_blobs(
    moto_s3: MotoS3,
    postgres_url: str,
    server_factory: Callable[..., Server],
    tmp_path: Path,
) -> None:
    key = "s3-scale-out-shared-api-key"
    storage = f"s3://{BUCKET}/shared-{tmp_path.name}"
    args = ("--api-key", key, "--storage", storage)
    a, b = (
        server_factory(*args, db_url=postgres_url, name=name, env=moto_s3.env(tmp_path / name))
        for name in ("a", "b")
    )
    for server in (a, b):
        server.token = key
    from_a, from_b = os.urandom(100_000), os.urandom(100_000)
    sha_a, sha_b = (hashlib.sha256(body).hexdigest() for body in (from_a, from_b))
    assert put_blob(a, sha_a, from_a) == 200 and put_blob(b, sha_b, from_b) == 200
    for server in (a, b):
        reply = server.session.post(
            f"{server.url}/api/v1/blobs/missing",
            json={"sha256": [sha_a, sha_b]},
            headers=server.headers(),
        )
        assert reply.json() == {"sha256": []}
    run = f"team/p-{uuid.uuid4().hex[:6]}/r1"
    assert a.session.put(f"{a.url}/api/v1/runs/{run}/files/a.bin", from_a, headers=a.headers()).ok
    assert b.session.put(f"{b.url}/api/v1/runs/{run}/files/b.bin", from_b, headers=b.headers()).ok
    assert b.run_get(run, "/files/a.bin").content == from_a
    assert a.run_get(run, "/files/b.bin").content == from_b
    for server in (a, b):
        assert_no_server_errors(server)
