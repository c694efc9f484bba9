"""Distributed artifact versions in SQL: the parts runs upsert, merged into one version when a
run finishes it (``upsert_artifact`` / ``finish_artifact``; see ``ArtifactRecord``).

A part waits in ``artifact_parts`` and no read shows it. The finishing record, applied under the
collection's row lock (as every commit of :mod:`~nbrun.server.store.artifacts`), merges the
waiting parts of its (collection, distributed_id) in arrival order and its own entries last
(``merged_contents``: a path in two parts keeps the later part's entry), stores the merged
manifest as a blob and hands a record of the whole version to the usual commit, which numbers
it and moves ``latest``. The merged parts are deleted, each noted in ``artifact_logs`` against
the version (a replayed part changes nothing, and each contributing run lists the version among
its outputs); parts upserted later make the next version.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import orjson
from sqlalchemy import Connection, delete, select

from nbrun.protocol.artifacts import (
    manifest_digest,
    merged_contents,
    merged_part_fields,
    new_manifest,
)
from nbrun.server import schema
from nbrun.server.db import upsert
from nbrun.server.store.blobs import BlobMissingError, BlobStore

_p = schema.artifact_parts
_logs = schema.artifact_logs


def _applied(conn: Connection, run_pk: int, client_id: str) -> bool:
    """Whether this run's record was already committed into a version."""
    done = select(_logs.c.version_pk).where(
        _logs.c.run_pk == run_pk, _logs.c.client_id == client_id
    )
    return conn.execute(done).first() is not None


def add_part(
    conn: Connection, collection_pk: int, run_pk: int, payload: dict[str, Any], now: float
) -> None:
    """Keep an upserted part until its version is finished (a replayed one does nothing)."""
    if _applied(conn, run_pk, payload["client_id"]):
        return
    values = {
        "collection_pk": collection_pk,
        "distributed_id": payload["distributed_id"],
        "run_pk": run_pk,
        "client_id": payload["client_id"],
        "manifest_sha256": payload["manifest"],
        "description": json.dumps(payload.get("description")),  # JSON: NUL survives
        "metadata": json.dumps(payload.get("metadata") or {}),
        "aliases": json.dumps(list(payload.get("aliases") or ())),
        "tags": json.dumps(list(payload.get("tags") or ())),
        "time": payload.get("time") or now,
    }
    conn.execute(
        upsert(conn, _p)
        .values(values)
        .on_conflict_do_nothing(index_elements=["run_pk", "client_id"])
    )


@dataclasses.dataclass
class Merged:
    """A finished distributed version: the record to commit and the parts it merged."""

    payload: dict[str, Any]
    part_keys: list[tuple[int, int, str]]  # (pk, run_pk, client_id) of each merged part


def merge(
    conn: Connection,
    collection_pk: int,
    run_pk: int,
    payload: dict[str, Any],
    blobs: BlobStore,
) -> Merged | str | None:
    """The whole version a finishing record makes, or a reason to refuse it; None when the
    record was already applied."""
    if _applied(conn, run_pk, payload["client_id"]):
        return None
    query = (
        select(_p)
        .where(
            _p.c.collection_pk == collection_pk, _p.c.distributed_id == payload["distributed_id"]
        )
        .order_by(_p.c.pk)
    )
    parts = conn.execute(query).all()
    try:
        manifests = [orjson.loads(blobs.read_bytes(part.manifest_sha256)) for part in parts]
        manifests.append(orjson.loads(blobs.read_bytes(payload["manifest"])))
    except BlobMissingError as e:  # checked when each record came: only a store that lost it
        return f"artifact {payload['name']!r}: a part's manifest blob {e} is missing"
    contents = merged_contents(m["contents"] for m in manifests)
    if not contents:
        return (
            f"artifact {payload['name']!r}: nothing was upserted with distributed_id "
            f"{payload['distributed_id']!r} (no files to finish)"
        )
    sha = blobs.put_bytes(orjson.dumps(new_manifest(contents)))
    fields = merged_part_fields(
        [
            {
                "aliases": json.loads(part.aliases),
                "tags": json.loads(part.tags),
                "metadata": json.loads(part.metadata),
                "description": json.loads(part.description),
            }
            for part in parts
        ]
        + [payload]
    )
    whole = (
        payload
        | {
            "digest": manifest_digest(contents),
            "manifest": sha,
            "size": sum(entry["size"] for entry in contents.values()),
            "files": len(contents),
        }
        | fields
    )
    return Merged(whole, [(part.pk, part.run_pk, part.client_id) for part in parts])


def settle(conn: Connection, merged: Merged, version_pk: int, now: float) -> None:
    """Note each merged part as committed into ``version_pk`` and drop it from the waiting."""
    if not merged.part_keys:
        return
    rows = [
        {"run_pk": run_pk, "client_id": client_id, "version_pk": version_pk, "time": now}
        for _pk, run_pk, client_id in merged.part_keys
    ]
    conn.execute(
        upsert(conn, _logs)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["run_pk", "client_id"])
    )
    conn.execute(delete(_p).where(_p.c.pk.in_([pk for pk, _run, _id in merged.part_keys])))
