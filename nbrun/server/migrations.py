"""Versioned schema migrations: a ``schema_version`` row and an ordered list of steps.

Each step takes the database from version ``n - 1`` to ``n`` inside one transaction; a newer
server opening an older database runs the steps it lacks, and refuses a database newer than
itself. Steps must keep working on the data of their time: when a table changes later, the
new step alters it rather than editing an old step.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Sequence

import msgpack
import orjson
from sqlalchemy import Connection, Engine, func, insert, inspect, select, text, update

from nbrun.server import schema
from nbrun.server.db import upsert, write_transaction

Migration = Callable[[Connection], None]


class SchemaTooNewError(RuntimeError):
    """The database was written by a newer server."""


def _v1_initial(conn: Connection) -> None:
    """Runs, history (rows and numeric blocks), files."""
    for table in (
        schema.runs,
        schema.history_keys,
        schema.history_blocks,
        schema.history_rows,
        schema.run_files,
    ):
        table.create(conn, checkfirst=True)
    for index in schema.runs.indexes:
        index.create(conn, checkfirst=True)


def _v2_tags_and_tokens(conn: Connection) -> None:
    """A tag table for filtering (filled from the runs' JSON tags) and run-scoped read tokens."""
    schema.run_tags.create(conn, checkfirst=True)
    for index in schema.run_tags.indexes:
        index.create(conn, checkfirst=True)
    schema.read_tokens.create(conn, checkfirst=True)
    pairs = []
    for pk, tags in conn.execute(select(schema.runs.c.pk, schema.runs.c.tags)):
        for tag in dict.fromkeys(orjson.loads(tags or "[]")):
            if isinstance(tag, str):
                pairs.append({"run_pk": pk, "tag": tag})
    if pairs:
        conn.execute(insert(schema.run_tags), pairs)


def _v3_chunks_alerts_console(conn: Connection) -> None:
    """History rows move into chunks; alerts and console lines get tables; runs get
    ``program``. Alerts of older runs are copied out of their state blobs."""
    from nbrun.server.store.alerts import alert_row
    from nbrun.server.store.history import CHUNK_ROWS

    for table in (schema.history_chunks, schema.run_alerts, schema.console_lines):
        table.create(conn, checkfirst=True)
    for index in schema.history_chunks.indexes:
        index.create(conn, checkfirst=True)
    if conn.dialect.name == "postgresql":
        # Blocks and chunks hardly compress (packed floats), and pglz compressing them on every
        # insert cost the database more CPU than all the rest of ingest together.
        stored = (
            ("history_chunks", "data"),
            ("history_blocks", "steps"),
            ("history_blocks", "vals"),
        )
        for name, column in stored:
            conn.execute(text(f"ALTER TABLE {name} ALTER COLUMN {column} SET STORAGE EXTERNAL"))
    columns = {column["name"] for column in inspect(conn).get_columns(schema.runs.name)}
    if "program" not in columns:
        conn.execute(text("ALTER TABLE runs ADD COLUMN program TEXT"))
    h = schema.history_rows
    if inspect(conn).has_table(h.name):
        pack_header = msgpack.Packer().pack_array_header
        run_pks = [pk for (pk,) in conn.execute(select(h.c.run_pk).distinct())]
        for run_pk in run_pks:
            # Each row's msgpack goes into its chunk as it is: no decoding needed.
            found = conn.execute(
                select(h.c.step, h.c.data).where(h.c.run_pk == run_pk).order_by(h.c.step)
            ).all()
            chunks = []
            for chunk_no, start in enumerate(range(0, len(found), CHUNK_ROWS)):
                part = found[start : start + CHUNK_ROWS]
                data = pack_header(len(part)) + b"".join(bytes(row.data) for row in part)
                chunks.append(
                    {"run_pk": run_pk, "chunk_no": chunk_no, "first_step": part[0].step}
                    | {"last_step": part[-1].step, "count": len(part), "data": data}
                )
            if chunks:
                conn.execute(insert(schema.history_chunks), chunks)
        h.drop(conn)
    alerts = []
    runs = schema.runs
    for pk, blob, created in conn.execute(select(runs.c.pk, runs.c.state_blob, runs.c.created_at)):
        state = msgpack.unpackb(bytes(blob), raw=False, strict_map_key=False)
        for number, alert in enumerate(state.get("alerts") or ()):
            if isinstance(alert, dict):
                alerts.append(alert_row(pk, number, alert, created))
    if alerts:
        conn.execute(insert(schema.run_alerts), alerts)


def _v4_run_changes(conn: Connection) -> None:
    """Runs get ``changed_at`` (indexed), the change feed's cursor."""
    columns = {column["name"] for column in inspect(conn).get_columns(schema.runs.name)}
    if "changed_at" not in columns:
        conn.execute(text("ALTER TABLE runs ADD COLUMN changed_at FLOAT"))
    runs = schema.runs
    conn.execute(
        update(runs)
        .where(runs.c.changed_at.is_(None))
        .values(changed_at=func.coalesce(runs.c.heartbeat_time, runs.c.created_at))
    )
    for index in schema.runs.indexes:
        index.create(conn, checkfirst=True)


def _v5_token_lifetimes_and_secrets(conn: Connection) -> None:
    """Read tokens get ``expires_at`` (existing ones: 90 days after they were made) and
    ``revoked_at``; a ``server_secrets`` table holds the session-cookie secret, made here once
    for every server process on this database."""
    columns = {column["name"] for column in inspect(conn).get_columns(schema.read_tokens.name)}
    for column in ("expires_at", "revoked_at"):
        if column not in columns:
            conn.execute(text(f"ALTER TABLE read_tokens ADD COLUMN {column} FLOAT"))
    tokens = schema.read_tokens
    conn.execute(
        update(tokens)
        .where(tokens.c.expires_at.is_(None))
        .values(expires_at=tokens.c.created_at + 90 * 86400.0)
    )
    schema.server_secrets.create(conn, checkfirst=True)
    secret = {"name": "session", "value": secrets.token_bytes(32), "created_at": time.time()}
    conn.execute(
        upsert(conn, schema.server_secrets)
        .values(secret)
        .on_conflict_do_nothing(index_elements=["name"])
    )


def _v6_artifacts(conn: Connection) -> None:
    """Artifact collections, their versions, aliases and tags, the records that logged them and
    the runs' uses of them."""
    tables = (
        schema.artifact_collections,
        schema.artifact_versions,
        schema.artifact_logs,
        schema.artifact_aliases,
        schema.artifact_tags,
        schema.artifact_uses,
    )
    for table in tables:
        table.create(conn, checkfirst=True)
        for index in table.indexes:
            index.create(conn, checkfirst=True)


def _v7_artifact_parts(conn: Connection) -> None:
    """The waiting parts of distributed artifact versions (``upsert_artifact``)."""
    schema.artifact_parts.create(conn, checkfirst=True)
    for index in schema.artifact_parts.indexes:
        index.create(conn, checkfirst=True)


MIGRATIONS: Sequence[Migration] = (
    _v1_initial,
    _v2_tags_and_tokens,
    _v3_chunks_alerts_console,
    _v4_run_changes,
    _v5_token_lifetimes_and_secrets,
    _v6_artifacts,
    _v7_artifact_parts,
)
LATEST = len(MIGRATIONS)


def current_version(conn: Connection) -> int:
    """The database's schema version (0 for an empty database)."""
    if not inspect(conn).has_table(schema.schema_version.name):
        return 0
    found = conn.execute(select(schema.schema_version.c.version)).scalar()
    return int(found or 0)


def migrate(engine: Engine, target: int = LATEST) -> int:
    """Bring the database up to ``target`` and return the version it was at before."""
    with write_transaction(engine) as conn:
        if engine.dialect.name == "postgresql":
            # Several servers may start at once on one database: one migrates, others wait.
            conn.execute(text("SELECT pg_advisory_xact_lock(7316002)"))
        before = current_version(conn)
        if before > LATEST:
            raise SchemaTooNewError(
                f"the database is at schema version {before}, newer than this server "
                f"understands ({LATEST}); upgrade nbrun"
            )
        if before == 0:
            schema.schema_version.create(conn, checkfirst=True)
            conn.execute(
                insert(schema.schema_version).values(id=1, version=0, updated_at=time.time())
            )
        for version in range(before + 1, target + 1):
            MIGRATIONS[version - 1](conn)
            conn.execute(
                update(schema.schema_version).values(version=version, updated_at=time.time())
            )
    return before
