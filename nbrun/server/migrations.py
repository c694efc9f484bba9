"""Versioned schema migrations: a ``schema_version`` row and an ordered list of steps.

Each step takes the database from version ``n - 1`` to ``n`` inside one transaction; a newer
server opening an older database runs the steps it lacks, and refuses a database newer than
itself. Steps must keep working on the data of their time: when a table changes later, the
new step alters it rather than editing an old step.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import orjson
from sqlalchemy import Connection, Engine, insert, inspect, select, text, update

from nbrun.server import schema
from nbrun.server.db import write_transaction

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


MIGRATIONS: Sequence[Migration] = (_v1_initial, _v2_tags_and_tokens)
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
