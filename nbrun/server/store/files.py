"""Run files: the run_files table, pointing each path of a run at a blob (``store.blobs``)."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Connection, select

from nbrun.protocol.artifacts import entry_path_problem
from nbrun.server import schema
from nbrun.server.db import upsert


class BadPathError(ValueError):
    """A file path that would escape its run (absolute, ``..``, empty parts, control chars)."""


def clean_file_path(path: str) -> str:
    """``path`` as stored: relative, ``/``-separated, with no ``.``/``..``/empty parts (the rule
    artifact entries follow too, written once in the protocol)."""
    problem = entry_path_problem(path)
    if problem is not None:
        raise BadPathError(f"file {problem}")
    return path


def record_file(conn: Connection, run_pk: int, path: str, sha256: str, size: int) -> float:
    """Point ``path`` of the run at a stored blob (replacing an earlier version)."""
    now = time.time()
    values: dict[str, Any] = {
        "run_pk": run_pk,
        "path": path,
        "sha256": sha256,
        "size": size,
        "updated_at": now,
    }
    stmt = (
        upsert(conn, schema.run_files)
        .values(values)
        .on_conflict_do_update(
            index_elements=["run_pk", "path"],
            set_={"sha256": sha256, "size": size, "updated_at": now},
        )
    )
    conn.execute(stmt)
    return now


def list_files(conn: Connection, run_pk: int) -> list[dict[str, Any]]:
    t = schema.run_files
    query = select(t.c.path, t.c.size, t.c.sha256, t.c.updated_at).where(t.c.run_pk == run_pk)
    return [_info(row) for row in conn.execute(query.order_by(t.c.path))]


def find_file(conn: Connection, run_pk: int, path: str) -> dict[str, Any] | None:
    t = schema.run_files
    query = select(t.c.path, t.c.size, t.c.sha256, t.c.updated_at).where(
        t.c.run_pk == run_pk, t.c.path == path
    )
    row = conn.execute(query).first()
    return _info(row) if row else None


def _info(row: Any) -> dict[str, Any]:
    """A ``FileInfo`` (plain ``str`` keys: SQLAlchemy's are ``quoted_name``)."""
    return {
        "path": row.path,
        "size": int(row.size),
        "sha256": row.sha256,
        "updated_at": row.updated_at,
    }
