"""A database at an older schema version is upgraded by the current server."""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgpack
import orjson
import pytest
from sqlalchemy import insert, inspect, select

from nbrun.record.replay import RunState
from nbrun.server import schema
from nbrun.server.db import make_engine, read_connection, write_transaction
from nbrun.server.migrations import LATEST, SchemaTooNewError, current_version, migrate
from tests.server.conftest import PG_PASSWORD, PG_ROLE, _pg_admin


def test_a_version_1_database_is_upgraded_by_the_server(
    tmp_path: Path, server_factory: Any
) -> None:
    db_url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(db_url)
    assert migrate(engine, target=1) == 0
    state = RunState()
    state.apply("run", {"name": "old", "tags": ["legacy", "x"]})
    state.apply("config", {"update": {"lr": 0.5}, "remove": []})
    with write_transaction(engine) as conn:
        assert current_version(conn) == 1
        conn.execute(
            insert(schema.runs).values(
                entity="e", project="p", run_id="old", name="old",
                tags=orjson.dumps(["legacy", "x"]).decode(),
                state="finished", exit_code=0, resumed=False, history_rows=0, acked_seq=2,
                created_at=time.time(), state_blob=msgpack.packb(state.to_state()),
            )
        )  # fmt: skip
    engine.dispose()
    server = server_factory(db_url=db_url)
    listed = server.get("/api/v1/runs/e/p", tag="legacy").json()["runs"]
    assert [r["id"] for r in listed] == ["old"] and listed[0]["config"] == {"lr": 0.5}
    assert server.post_records("e/p/old", [[3, "summary", {"update": {"s": 1}, "remove": []}]]).ok
    assert server.get("/api/v1/runs/e/p/old").json()["summary"] == {"s": 1}
    engine = make_engine(db_url)
    with read_connection(engine) as conn:
        assert current_version(conn) == LATEST
        tags = conn.execute(select(schema.run_tags.c.tag).order_by(schema.run_tags.c.tag))
        assert [t for (t,) in tags] == ["legacy", "x"]


def test_migrating_twice_is_a_no_op_and_a_newer_database_is_refused(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert migrate(engine) == 0
    assert migrate(engine) == LATEST
    with write_transaction(engine) as conn:
        conn.execute(schema.schema_version.update().values(version=LATEST + 1))
    with pytest.raises(SchemaTooNewError, match="newer than this server"):
        migrate(engine)


def test_a_version_2_database_keeps_its_rows_and_alerts_after_the_upgrade(
    tmp_path: Path, server_factory: Any
) -> None:
    db_url = f"sqlite:///{tmp_path / 'v2.db'}"
    engine = make_engine(db_url)
    assert migrate(engine, target=2) == 0
    state = RunState()
    state.apply("run", {"name": "old", "tags": []})
    state.apply("alert", {"title": "t", "text": "x", "level": "ERROR", "time": 7.0})
    rows = [{"v": float(i), "s": f"row {i}", "_step": i} for i in range(1300)]
    state.apply_rows(rows)
    with write_transaction(engine) as conn:
        conn.execute(
            insert(schema.runs).values(
                entity="e", project="p", run_id="old", name="old", tags="[]",
                state="finished", exit_code=0, resumed=False, history_rows=len(rows),
                acked_seq=len(rows) + 2, created_at=time.time(),
                state_blob=msgpack.packb(state.to_state()),
            )
        )  # fmt: skip
        pk = conn.execute(select(schema.runs.c.pk)).scalar()
        conn.execute(
            insert(schema.history_rows),
            [{"run_pk": pk, "step": r["_step"], "data": msgpack.packb(r)} for r in rows],
        )
    engine.dispose()
    server = server_factory(db_url=db_url)
    got, cursor = [], 0
    while cursor is not None:
        page = server.run_get("e/p/old", "/history/rows", min_step=cursor, limit=500).json()
        got += page["rows"]
        cursor = page["next_min_step"]
    assert got == rows
    alerts = server.run_get("e/p/old", "/alerts").json()["alerts"]
    assert alerts == [{"n": 0, "time": 7.0, "title": "t", "text": "x", "level": "ERROR"}]
    assert server.run_get("e/p/old").json()["program"] is None
    engine = make_engine(db_url)
    with read_connection(engine) as conn:
        assert current_version(conn) == LATEST
        assert not inspect(conn).has_table("history_rows")


@pytest.fixture(params=["sqlite", "postgres"])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new, empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    request.getfixturevalue("postgres_url")  # the cluster is up and the role exists
    database = f"nbrun_mig_{uuid.uuid4().hex[:12]}"
    created = _pg_admin(f"CREATE DATABASE {database} OWNER {PG_ROLE}")
    assert created.returncode == 0, created.stderr
    yield f"postgresql+psycopg://{PG_ROLE}:{PG_PASSWORD}@127.0.0.1:5432/{database}"
    _pg_admin(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def test_a_version_4_database_gets_token_lifetimes_and_a_session_secret(
    empty_db_url: str, server_factory: Any
) -> None:
    engine = make_engine(empty_db_url)
    assert migrate(engine, target=4) == 0
    now = time.time()
    recent, old = "nbrr_made-ten-days-ago", "nbrr_made-a-hundred-days-ago"
    with write_transaction(engine) as conn:
        conn.execute(
            insert(schema.runs).values(
                entity="e", project="p", run_id="r", tags="[]", state="finished",
                resumed=False, history_rows=0, acked_seq=0, created_at=now,
                state_blob=msgpack.packb(RunState().to_state()),
            )
        )  # fmt: skip
        pk = conn.execute(select(schema.runs.c.pk)).scalar()
        conn.execute(
            insert(schema.read_tokens),
            [
                {"token_hash": _sha(recent), "run_pk": pk, "created_at": now - 10 * 86400},
                {"token_hash": _sha(old), "run_pk": pk, "created_at": now - 100 * 86400},
            ],
        )
    engine.dispose()
    first = server_factory(db_url=empty_db_url, name="first")
    second = server_factory(db_url=empty_db_url, name="second")
    for server in (first, second):
        assert server.run_get("e/p/r", token=recent).status_code == 200
        expired = server.run_get("e/p/r", token=old)
        assert expired.status_code == 401 and "expired" in expired.json()["detail"]
    engine = make_engine(empty_db_url)
    with read_connection(engine) as conn:
        assert current_version(conn) == LATEST
        lives = conn.execute(
            select(schema.read_tokens.c.expires_at - schema.read_tokens.c.created_at)
        ).scalars()
        assert [round(life / 86400, 6) for life in lives] == [90.0, 90.0]
        secrets = conn.execute(select(schema.server_secrets)).all()
    engine.dispose()
    assert [(row.name, len(row.value)) for row in secrets] == [("session", 32)]
    # Both processes sign with that one secret: a login on one is a session on the other.
    login = first.session.post(f"{first.url}/login", json={"token": first.token})
    assert login.status_code == 204
    cookie = {"nbrun_session": first.session.cookies["nbrun_session"]}
    assert second.session.get(f"{second.url}/api/v1/projects", cookies=cookie).status_code == 200


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def test_a_version_5_database_gets_the_artifact_tables(
    empty_db_url: str, server_factory: Any
) -> None:
    from tests.server.test_artifacts import log_files, post

    engine = make_engine(empty_db_url)
    assert migrate(engine, target=5) == 0
    with read_connection(engine) as conn:
        assert not inspect(conn).has_table("artifact_versions")
    engine.dispose()
    server = server_factory(db_url=empty_db_url)
    data = log_files(server, "data", {"a.txt": b"after the upgrade"})
    assert post(server, "e/p/r", [data.record(aliases=["best"])]) == {"acked_seq": 1}
    found = server.get("/api/v1/artifacts/e/p/data/best").json()
    assert (found["version"], found["manifest"]) == ("v0", data.manifest)
    engine = make_engine(empty_db_url)
    with read_connection(engine) as conn:
        assert current_version(conn) == LATEST == 7
        tables = set(inspect(conn).get_table_names())
    engine.dispose()
    assert {
        "artifact_collections",
        "artifact_versions",
        "artifact_logs",
        "artifact_aliases",
        "artifact_tags",
        "artifact_uses",
        "artifact_parts",
    } <= tables
