"""Fixtures that run REAL ``python -m nbrun.server`` processes (SQLite and PostgreSQL)."""

from __future__ import annotations

import contextlib
import gzip
import importlib.util
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, NoReturn

import msgpack
import pytest
import requests

from nbrun.protocol.http import API_PREFIX, MSGPACK_CONTENT_TYPE, run_path
from tests.processes import stop_process
from tests.server.s3 import BucketView, MotoS3, s3_unavailable

TOKEN = "test-token-for-the-server"
PG_ROLE = "nbrun_test"
PG_PASSWORD = "nbrun_test"


class Server:
    """A running server process and a client for it."""

    def __init__(self, proc: subprocess.Popen[str], url: str, token: str, tmp: Path) -> None:
        self.proc = proc
        self.url = url
        self.token = token
        self.tmp = tmp
        self.session = requests.Session()
        self.bucket: BucketView | None = None  # where its blobs are when kept in S3

    def blob_keys(self) -> list[str]:
        """The stored blobs' names below the storage root (``blobs/ab/ab...``), wherever kept."""
        if self.bucket is not None:
            return [key for key in self.bucket.object_keys() if key.startswith("blobs/")]
        root = self.tmp / "storage"
        found = (root / "blobs").rglob("*")
        return sorted(p.relative_to(root).as_posix() for p in found if p.is_file())

    def stored_blob(self, sha256: str) -> bytes | None:
        """The bytes stored as blob ``sha256``, None when there is none."""
        key = f"blobs/{sha256[:2]}/{sha256}"
        if self.bucket is not None:
            return self.bucket.read(key)
        path = self.tmp / "storage" / key
        return path.read_bytes() if path.is_file() else None

    def headers(self, token: str | None = "default", **extra: str) -> dict[str, str]:
        chosen = self.token if token == "default" else token
        return ({"Authorization": f"Bearer {chosen}"} if chosen else {}) | extra

    def post_records(
        self,
        run: str,
        records: list[list[Any]],
        *,
        compress: bool = False,
        token: str | None = "default",
        live: bool | None = None,
    ) -> requests.Response:
        batch: dict[str, Any] = {"records": records}
        if live is not None:
            batch["live"] = live
        body = msgpack.packb(batch, use_bin_type=True)
        headers = self.headers(token, **{"Content-Type": MSGPACK_CONTENT_TYPE})
        if compress:
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        return self.session.post(
            f"{self.url}{run_path(*run.split('/'))}/records", body, headers=headers
        )

    def get(
        self,
        path: str,
        *,
        token: str | None = "default",
        msgpack_reply: bool = False,
        **params: Any,
    ) -> requests.Response:
        headers = self.headers(token)
        if msgpack_reply:
            headers["Accept"] = MSGPACK_CONTENT_TYPE
        return self.session.get(f"{self.url}{path}", params=params, headers=headers)

    def run_get(self, run: str, suffix: str = "", **kwargs: Any) -> requests.Response:
        return self.get(run_path(*run.split("/")) + suffix, **kwargs)

    def stop(self) -> None:
        self.session.close()
        stop_process(self.proc)


def start_server(
    tmp: Path,
    db_url: str | None = None,
    *args: str,
    token: str = TOKEN,
    timeout: float = 30,
    env: Mapping[str, str] | None = None,
) -> Server:
    """Start ``python -m nbrun.server`` on a free loopback port and wait until healthy."""
    tmp.mkdir(parents=True, exist_ok=True)
    db_url = db_url or f"sqlite:///{tmp / 'nbrun.db'}"
    argv = [sys.executable, "-m", "nbrun.server", "--host", "127.0.0.1", "--port", "0"]
    argv += ["--db-url", db_url, "--storage", str(tmp / "storage"), "--token", token, *args]
    log = tmp / "server.log"  # a file, not a pipe nobody drains: the server never blocks on it
    with open(log, "ab") as err:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, text=True, env=env)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("nbrun server listening on "):
        proc.kill()
        proc.wait()
        raise RuntimeError(f"server did not start: {line!r} {log.read_text()}")
    url = line.split(" on ", 1)[1].strip()
    server = Server(proc, url, token, tmp)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(requests.ConnectionError):
            if requests.get(f"{url}{API_PREFIX}/health", timeout=2).ok:
                return server
        time.sleep(0.05)
    server.stop()
    raise RuntimeError("server never became healthy")


def start_s3_server(tmp: Path, s3: MotoS3, db_url: str | None = None, *args: str) -> Server:
    """A server keeping its blobs under a prefix of its own in the S3 bucket."""
    bucket = BucketView(s3, f"srv-{uuid.uuid4().hex[:8]}")
    server = start_server(tmp, db_url, "--storage", bucket.url, *args, env=s3.env(tmp))
    server.bucket = bucket
    return server


def assert_no_server_errors(server: Server) -> None:
    """Whatever the tests sent, the server never failed on it (no 5xx tracebacks logged)."""
    log = (server.tmp / "server.log").read_text()
    assert "Traceback" not in log, log[-5000:]


def _pg_admin(sql: str, database: str = "postgres") -> subprocess.CompletedProcess[str]:
    argv = ["psql", "-v", "ON_ERROR_STOP=1", "-d", database, "-c", sql]
    if os.geteuid() == 0:
        argv = ["runuser", "-u", "postgres", "--", *argv]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60)


def _pg_cluster_up() -> str | None:
    """Start the local PostgreSQL cluster if needed; the reason when it cannot be had."""
    if shutil.which("psql") is None or shutil.which("pg_lsclusters") is None:
        return "PostgreSQL is not installed (no psql/pg_lsclusters)"
    if _pg_admin("SELECT 1").returncode == 0:
        return None
    listed = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True)
    for line in listed.stdout.splitlines():
        version, name = line.split()[:2]
        subprocess.run(["pg_ctlcluster", version, name, "start"], capture_output=True)
    for _ in range(100):
        if _pg_admin("SELECT 1").returncode == 0:
            return None
        time.sleep(0.1)
    return "PostgreSQL is installed but not reachable (pg_ctlcluster start failed?)"


def _unavailable(reason: str) -> NoReturn:
    # CI sets NBRUN_TEST_REQUIRE_POSTGRES: there a missing PostgreSQL is a failure, not a skip.
    if os.environ.get("NBRUN_TEST_REQUIRE_POSTGRES"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session (dropped afterwards)."""
    reason = _pg_cluster_up()
    if reason is not None:
        _unavailable(reason)
    role = _pg_admin(
        f"DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{PG_ROLE}') THEN "
        f"CREATE ROLE {PG_ROLE} LOGIN PASSWORD '{PG_PASSWORD}'; END IF; END$$"
    )
    if role.returncode != 0:
        _unavailable(f"cannot create a PostgreSQL role: {role.stderr.strip()}")
    database = f"nbrun_test_{uuid.uuid4().hex[:12]}"
    created = _pg_admin(f"CREATE DATABASE {database} OWNER {PG_ROLE}")
    if created.returncode != 0:
        _unavailable(f"cannot create a PostgreSQL database: {created.stderr.strip()}")
    yield f"postgresql+psycopg://{PG_ROLE}:{PG_PASSWORD}@127.0.0.1:5432/{database}"
    _pg_admin(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


@pytest.fixture(scope="session")
def sqlite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("sqlite-server"))
    yield server
    server.stop()
    assert_no_server_errors(server)


@pytest.fixture(scope="session")
def postgres_server(
    tmp_path_factory: pytest.TempPathFactory, postgres_url: str
) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("postgres-server"), postgres_url)
    yield server
    server.stop()
    assert_no_server_errors(server)


@pytest.fixture(scope="session")
def moto_s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoS3]:
    """A real S3-protocol server (moto's server mode) with one bucket, for the session."""
    if importlib.util.find_spec("moto") is None or importlib.util.find_spec("boto3") is None:
        s3_unavailable("moto[server] and boto3 are not installed (pip install -e '.[dev]')")
    s3 = MotoS3(tmp_path_factory.mktemp("moto") / "moto.log")
    yield s3
    s3.stop()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory, moto_s3: MotoS3) -> Iterator[Server]:
    """A SQLite server keeping its blobs in S3."""
    server = start_s3_server(tmp_path_factory.mktemp("s3-server"), moto_s3)
    yield server
    server.stop()
    assert_no_server_errors(server)


@pytest.fixture(params=["sqlite", "postgres"])
def server(request: pytest.FixtureRequest) -> Server:
    """The same server API over each database (one process per database per session)."""
    fixture: Server = request.getfixturevalue(f"{request.param}_server")
    return fixture


@pytest.fixture(params=["sqlite", "postgres", "s3"])
def any_store_server(request: pytest.FixtureRequest) -> Server:
    """The same server API over each database and each blob store (local disk, S3): modules
    about blobs use it as their ``server``."""
    fixture: Server = request.getfixturevalue(f"{request.param}_server")
    return fixture


@pytest.fixture
def run() -> str:
    """A fresh entity/project/run_id path for one test."""
    return f"test-entity/proj-{uuid.uuid4().hex[:6]}/{uuid.uuid4().hex[:8]}"


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Start extra servers for one test (stopped at its end)."""
    started: list[Server] = []

    def factory(
        *args: str,
        db_url: str | None = None,
        name: str = "extra",
        env: Mapping[str, str] | None = None,
    ) -> Server:
        server = start_server(tmp_path / f"{name}-{len(started)}", db_url, *args, env=env)
        started.append(server)
        return server

    yield factory
    for server in started:
        server.stop()
