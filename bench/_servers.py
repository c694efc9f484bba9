"""The servers the backend benchmarks measure against: nbrun server (SQLite or PostgreSQL) and
MLflow's tracking server, each a process of its own, throwaway PostgreSQL databases, and the
run that ends them all however a benchmark ends."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from _measure import tree_processes
from _report import version_of
from _workers import Outcome, bench_env

TOKEN = "nbrun-bench-token-not-secret"  # the server refuses keys under 16 characters
PG_ROLE = "nbrun_bench"
PG_PASSWORD = "nbrun_bench"
SERVER_START_TIMEOUT_S = 120.0  # MLflow's server takes 15-30 s to come up on this machine


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get_ok(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return bool(response.status == 200)
    except (OSError, ValueError):
        return False


@dataclass
class Server:
    """A server process started in a session of its own (so its whole group can be ended)."""

    kind: str  # "nbrun" or "mlflow"
    proc: subprocess.Popen[bytes]
    log: Path
    url: str = ""
    token: str | None = None
    stopped: bool = False

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_tail(self, chars: int = 2000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def tracebacks(self) -> int:
        try:
            return self.log.read_text(errors="replace").count("Traceback")
        except OSError:
            return 0

    def stop(self) -> None:
        """SIGTERM to the process group, then SIGKILL to whatever of the tree is left. Runs once;
        the group is signalled only while its leader is unreaped (so its id cannot be reused)."""
        import psutil

        if self.stopped:
            return
        self.stopped = True
        with contextlib.suppress(ValueError):
            _LIVE_SERVERS.remove(self)
        procs = tree_processes(self.pid)
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGTERM)
        _, alive = psutil.wait_procs(procs, timeout=15)
        for proc in alive:  # psutil checks the process is still the one we listed
            with contextlib.suppress(psutil.Error):
                proc.kill()
        psutil.wait_procs(alive, timeout=10)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(10)


_LIVE_SERVERS: list[Server] = []


def stop_all_servers() -> None:
    for server in list(_LIVE_SERVERS):
        server.stop()


def settle(server: Server, bound_s: float = 60.0) -> None:
    """Wait until the server's process tree has had the same members for a while (MLflow's
    workers and job-runner consumers come up one by one for 10-20 s after its first worker
    answers; nbrun's server is one process), at most ``bound_s``."""
    quiet_s = 8.0 if server.kind == "mlflow" else 0.5
    deadline = time.monotonic() + bound_s
    members: set[int] = set()
    since = time.monotonic()
    while time.monotonic() < deadline:
        now = {p.pid for p in tree_processes(server.pid)}
        if now != members:
            members, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return
        time.sleep(0.2)


def _spawn(kind: str, argv: list[str], tmp: Path, env: dict[str, str]) -> Server:
    log = tmp / f"{kind}-server.log"
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            argv,
            cwd=tmp,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    server = Server(kind, proc, log)
    _LIVE_SERVERS.append(server)
    return server


def _wait_healthy(server: Server, health_url: Callable[[], str | None]) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(
                f"{server.kind} server exited with {server.proc.returncode}: {server.log_tail()}"
            )
        url = health_url()
        if url is not None and _get_ok(url):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{server.kind} server not healthy in time: {server.log_tail()}")


def start_nbrun_server(tmp: Path, db_url: str) -> Server:
    """``python -m nbrun.server`` on a free loopback port; the URL comes from its state file."""
    state_file = tmp / "server-state.json"
    argv = [sys.executable, "-m", "nbrun.server", "--host", "127.0.0.1", "--port", "0"]
    argv += ["--db-url", db_url, "--storage", str(tmp / "storage"), "--token", TOKEN]
    argv += ["--state-file", str(state_file)]
    server = _spawn("nbrun", argv, tmp, bench_env(tmp))
    server.token = TOKEN

    def health() -> str | None:
        try:
            state = json.loads(state_file.read_text())
        except (OSError, ValueError):
            return None
        if state.get("pid") != server.pid:
            return None
        server.url = str(state["url"])
        return f"{server.url}/api/v1/health"

    _wait_healthy(server, health)
    return server


def start_mlflow_server(tmp: Path, proxied_artifacts: bool = False) -> Server:
    """``mlflow server`` with a SQLite backend store in ``tmp``, as a user starts it. Its
    artifacts go to ``tmp/mlartifacts``: written there by the clients themselves, or with
    ``proxied_artifacts`` uploaded to the server, which writes them there
    (``--artifacts-destination``)."""
    port = free_port()
    mlflow = Path(sys.executable).with_name("mlflow")
    argv = [str(mlflow), "server", "--backend-store-uri", f"sqlite:///{tmp / 'mlflow.db'}"]
    artifacts = "--artifacts-destination" if proxied_artifacts else "--default-artifact-root"
    argv += [artifacts, str(tmp / "mlartifacts")]
    argv += ["--host", "127.0.0.1", "--port", str(port)]
    server = _spawn("mlflow", argv, tmp, bench_env(tmp))
    server.url = f"http://127.0.0.1:{port}"
    _wait_healthy(server, lambda: f"{server.url}/health")
    return server


# --------------------------------------------------------------------------------------------
# Throwaway PostgreSQL databases.
# --------------------------------------------------------------------------------------------


def _pg_admin(sql: str, *flags: str) -> subprocess.CompletedProcess[str]:
    argv = ["psql", "-v", "ON_ERROR_STOP=1", *flags, "-d", "postgres", "-c", sql]
    if os.geteuid() == 0:
        argv = ["runuser", "-u", "postgres", "--", *argv]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60)


def pg_backend_cpu(database: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend process connected to ``database``."""
    import psutil

    listed = _pg_admin(f"SELECT pid FROM pg_stat_activity WHERE datname = '{database}'", "-At")
    out = {}
    for line in listed.stdout.split():
        with contextlib.suppress(ValueError, psutil.Error):
            t = psutil.Process(int(line)).cpu_times()
            out[int(line)] = t.user + t.system
    return out


class Postgres:
    """The local cluster (started if it is down, and stopped again at the end if we started it),
    a benchmark role, and a fresh database per :meth:`database` call, always dropped."""

    def __init__(self) -> None:
        self.started_cluster: list[tuple[str, str]] = []
        self.databases: list[str] = []
        self.error: str | None = None
        self.version = ""

    def up(self) -> bool:
        if shutil.which("psql") is None or shutil.which("pg_lsclusters") is None:
            self.error = "PostgreSQL is not installed (no psql/pg_lsclusters)"
            return False
        if _pg_admin("SELECT 1").returncode != 0:
            listed = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True)
            for line in listed.stdout.splitlines():
                version, name, _port, status = line.split()[:4]
                if status != "online":
                    started = subprocess.run(
                        ["pg_ctlcluster", version, name, "start"], capture_output=True
                    )
                    if started.returncode == 0:
                        self.started_cluster.append((version, name))
            for _ in range(100):
                if _pg_admin("SELECT 1").returncode == 0:
                    break
                time.sleep(0.1)
            else:
                self.error = "PostgreSQL is installed but not reachable"
                return False
        role = _pg_admin(
            f"DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{PG_ROLE}') THEN "
            f"CREATE ROLE {PG_ROLE} LOGIN PASSWORD '{PG_PASSWORD}'; END IF; END$$"
        )
        if role.returncode != 0:
            self.error = f"cannot create a PostgreSQL role: {role.stderr.strip()}"
            return False
        version = _pg_admin("SHOW server_version")
        lines = [ln.strip() for ln in version.stdout.splitlines() if ln.strip()]
        self.version = lines[2].split()[0] if len(lines) > 2 else ""
        return True

    @contextlib.contextmanager
    def database(self) -> Iterator[str]:
        """A new database owned by the benchmark role, dropped on exit; yields its name."""
        name = f"nbrun_bench_{uuid.uuid4().hex[:12]}"
        created = _pg_admin(f"CREATE DATABASE {name} OWNER {PG_ROLE}")
        if created.returncode != 0:
            raise RuntimeError(f"cannot create database {name}: {created.stderr.strip()}")
        self.databases.append(name)
        try:
            yield name
        finally:
            self.drop(name)

    @staticmethod
    def url(name: str) -> str:
        return f"postgresql+psycopg://{PG_ROLE}:{PG_PASSWORD}@127.0.0.1:5432/{name}"

    def drop(self, name: str) -> None:
        _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        if name in self.databases:
            self.databases.remove(name)

    def close(self) -> None:
        """Drop what is left (after an error), the role, and stop a cluster we started."""
        for name in list(self.databases):
            self.drop(name)
        left = _pg_admin(
            f"SELECT count(*) FROM pg_database d JOIN pg_roles r ON d.datdba = r.oid "
            f"WHERE r.rolname = '{PG_ROLE}'"
        )
        if left.returncode == 0 and " 0\n" in left.stdout:
            _pg_admin(f"DROP ROLE IF EXISTS {PG_ROLE}")
        for version, name in self.started_cluster:
            subprocess.run(["pg_ctlcluster", version, name, "stop"], capture_output=True)


# --------------------------------------------------------------------------------------------
# A benchmark's servers, from start to end.
# --------------------------------------------------------------------------------------------


@contextlib.contextmanager
def running_server(
    kind: str, tmp: Path, pg: Postgres
) -> Iterator[tuple[Server, dict[str, str], str | None]]:
    """The server ``kind`` names ("nbrun-sqlite", "nbrun-postgres" on a database of its own,
    "mlflow", or "mlflow-proxied": artifacts uploaded through it) with its files in ``tmp``,
    settled; yields it, the environment for its clients and the PostgreSQL database's name
    (None on SQLite). On exit the server ends, then the database is dropped."""
    with contextlib.ExitStack() as stack:
        database = None
        if kind in ("mlflow", "mlflow-proxied"):
            server = start_mlflow_server(tmp, proxied_artifacts=kind == "mlflow-proxied")
            env = bench_env(tmp, MLFLOW_TRACKING_URI=server.url)
        else:
            if kind == "nbrun-postgres":
                database = stack.enter_context(pg.database())
                db_url = pg.url(database)
            else:
                db_url = f"sqlite:///{tmp / 'nbrun.db'}"
            server = start_nbrun_server(tmp, db_url)
            env = bench_env(tmp, NBRUN_BASE_URL=server.url, NBRUN_API_KEY=TOKEN)
        stack.callback(server.stop)
        settle(server)
        yield server, env, database


def server_versions(pg_version: str) -> list[str]:
    """The versions of what the servers run, for a report's environment lines."""
    versions = [f"nbrun {version_of('nbrun')}", f"mlflow {version_of('mlflow')}"]
    versions += [f"{d} {version_of(d)}" for d in ("fastapi", "uvicorn", "sqlalchemy", "psycopg")]
    versions += [f"psutil {version_of('psutil')}"]
    if pg_version:
        versions.append(f"PostgreSQL {pg_version}")
    return versions


def install_signal_handlers() -> None:
    """SIGTERM/SIGHUP end the run through the ``finally`` blocks (servers, databases)."""

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)


@contextlib.contextmanager
def backend_run(configs: list[str], outcomes: list[Outcome]) -> Iterator[Postgres]:
    """A backend benchmark's run: SIGTERM/SIGHUP end it through this block; the local
    PostgreSQL cluster is brought up when a chosen ``*-postgres`` configuration needs it (when
    it cannot be, those configurations leave ``configs`` as failed ``outcomes``); at the end
    every server is stopped and every benchmark database dropped."""
    install_signal_handlers()
    pg = Postgres()
    try:
        needs_pg = [c for c in configs if c.endswith("postgres")]
        if needs_pg and not pg.up():
            for config in needs_pg:
                outcomes.append(Outcome(config, error=pg.error))
                configs.remove(config)
        yield pg
    finally:
        stop_all_servers()
        pg.close()


def on_servers(
    configs: list[str], order: Sequence[str], measure: Callable[[str, Postgres], Outcome | None]
) -> tuple[list[Outcome], list[str]]:
    """``measure`` each of ``configs`` (None: skipped) inside a ``backend_run``; the outcomes in
    ``order``, and the versions for the report's environment lines."""
    outcomes: list[Outcome] = []
    with backend_run(configs, outcomes) as pg:
        for config in configs:
            outcome = measure(config, pg)
            if outcome is not None:
                outcomes.append(outcome)
    outcomes.sort(key=lambda o: order.index(o.name))
    return outcomes, server_versions(pg.version)
