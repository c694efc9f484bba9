"""Run files: a content-addressed blob store on the local disk and the run_files table."""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from nbrun.protocol.artifacts import entry_path_problem
from nbrun.server import schema
from nbrun.server.db import upsert


class BadPathError(ValueError):
    """A file path that would escape its run (absolute, ``..``, empty parts, control chars)."""


class DigestMismatchError(Exception):
    """An upload's bytes hash to something other than the SHA-256 it was sent as."""


def clean_file_path(path: str) -> str:
    """``path`` as stored: relative, ``/``-separated, with no ``.``/``..``/empty parts (the rule
    artifact entries follow too, written once in the protocol)."""
    problem = entry_path_problem(path)
    if problem is not None:
        raise BadPathError(f"file {problem}")
    return path


class BlobStore:
    """Blobs named by their SHA-256 under ``root/blobs/<first two hex>/<sha256>``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._tmp = root / "tmp"
        self._tmp.mkdir(parents=True, exist_ok=True)
        (root / "blobs").mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str) -> Path:
        return self.root / "blobs" / sha256[:2] / sha256

    def has(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    async def put_stream(
        self, chunks: AsyncIterator[bytes], max_bytes: int, expected: str | None = None
    ) -> tuple[str, int]:
        """Store a streamed body, written to disk piece by piece as it arrives (never held in
        memory); returns ``(sha256, size)``. Raises ``ValueError`` past ``max_bytes`` and
        ``DigestMismatchError`` when the bytes do not hash to ``expected`` (nothing is kept
        either way)."""
        digest = hashlib.sha256()
        size = 0
        tmp = self._tmp / uuid.uuid4().hex
        try:
            with open(tmp, "wb") as f:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > max_bytes:
                        raise ValueError(f"file is larger than the limit of {max_bytes} bytes")
                    digest.update(chunk)
                    f.write(chunk)
                f.flush()
                # Flushing a large file takes a while: not on the event loop, which serves
                # every other request meanwhile.
                await asyncio.to_thread(os.fsync, f.fileno())
            sha = digest.hexdigest()
            if expected is not None and sha != expected:
                raise DigestMismatchError(f"body hashes to {sha}, not {expected}")
            final = self.path(sha)
            if final.exists():
                tmp.unlink()
            else:
                final.parent.mkdir(exist_ok=True)
                os.replace(tmp, final)
            return sha, size
        finally:
            tmp.unlink(missing_ok=True)


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
