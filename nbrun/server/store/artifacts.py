"""Artifact versions in SQL: committing a run's logged versions and uses, and reading them.

Versions of a collection are numbered in commit order under a lock on the collection's row
(PostgreSQL: ``SELECT ... FOR UPDATE``, so server processes sharing the database never hand
out one number twice; SQLite: the write transaction already holds the whole database).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Select, func, insert, select, update

from nbrun.protocol.artifacts import LATEST, is_digest, version_index, version_label
from nbrun.server import schema
from nbrun.server.db import upsert
from nbrun.server.store import artifact_distributed as distributed
from nbrun.server.store.blobs import BlobStore

RunKey = tuple[str, str, str]  # entity, project, run_id
Path = tuple[str, str, str]  # entity, project, artifact name
_c = schema.artifact_collections
_v = schema.artifact_versions
_r = schema.runs


def _text(value: Any) -> str | None:
    """A string for a text column (PostgreSQL text cannot hold NUL)."""
    return value.replace("\x00", "\ufffd") if isinstance(value, str) else None


def store_records(
    conn: Connection,
    run_pk: int,
    key: RunKey,
    logged: list[tuple[int, dict[str, Any]]],
    used: list[tuple[int, dict[str, Any]]],
    now: float,
    blobs: BlobStore | None = None,
) -> list[dict[str, Any]]:
    """Commit a batch's artifact records (``(seq, payload)``, checked by
    :mod:`~nbrun.server.store.artifact_checks`) and store its uses; returns the artifact
    records refused here (a type that differs from the collection's, a distributed version
    with nothing to finish). ``blobs`` stores the merged manifests of finished distributed
    versions."""
    refused: list[dict[str, Any]] = []
    if logged:
        firsts: dict[Path, str] = {}
        for _seq, payload in logged:
            firsts.setdefault(_target(key, payload), payload["type"])
        # Every collection of the batch locked up front, in one order for every transaction:
        # two batches naming the same collections never wait on each other in a cycle.
        collections = {
            path: _lock_collection(conn, path, firsts[path], now) for path in sorted(firsts)
        }
        for seq, payload in logged:
            pk, type_ = collections[_target(key, payload)]
            if payload["type"] != type_:
                reason = (
                    f"artifact {payload['name']!r} is of type {type_!r}, not {payload['type']!r}"
                )
                refused.append({"seq": seq, "kind": "artifact", "reason": reason})
                continue
            problem = _apply(conn, pk, run_pk, payload, now, blobs)
            if problem is not None:
                refused.append({"seq": seq, "kind": "artifact", "reason": problem})
    if used:
        rows = {
            (p["entity"], p["project"], p["name"], p["digest"]): {
                "run_pk": run_pk,
                "entity": p["entity"],
                "project": p["project"],
                "name": p["name"],
                "digest": p["digest"],
                "use_as": _text(p.get("use_as")),
                "time": p.get("time") or now,
            }
            for _seq, p in reversed(used)  # the first use of a version is the one kept
        }
        conn.execute(
            upsert(conn, schema.artifact_uses)
            .values(list(rows.values()))
            .on_conflict_do_nothing(
                index_elements=["run_pk", "entity", "project", "name", "digest"]
            )
        )
    return refused


def _target(key: RunKey, payload: dict[str, Any]) -> Path:
    """Where a logged version goes: the run's entity, the record's project or the run's."""
    return key[0], payload.get("project") or key[1], payload["name"]


def _lock_collection(conn: Connection, path: Path, type_: str, now: float) -> tuple[int, str]:
    """The collection's primary key and type, created with ``type_`` if new, locked for this
    transaction."""
    values = {"entity": path[0], "project": path[1], "name": path[2], "type": type_}
    conn.execute(
        upsert(conn, _c)
        .values(values | {"created_at": now, "updated_at": now})
        .on_conflict_do_nothing(index_elements=["entity", "project", "name"])
    )
    query = select(_c.c.pk, _c.c.type).where(*_is(path))
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).one()
    return int(row.pk), row.type


def _apply(
    conn: Connection,
    collection_pk: int,
    run_pk: int,
    payload: dict[str, Any],
    now: float,
    blobs: BlobStore | None,
) -> str | None:
    """One artifact record: a version, a part of a distributed one, or the finish of one (see
    :mod:`~nbrun.server.store.artifact_distributed`); a reason when it is refused."""
    if payload.get("distributed_id") is None:
        _commit(conn, collection_pk, run_pk, payload, now)
    elif not payload.get("final"):
        distributed.add_part(conn, collection_pk, run_pk, payload, now)
    elif blobs is None:
        return f"artifact {payload['name']!r}: this store cannot finish distributed versions"
    else:
        merged = distributed.merge(conn, collection_pk, run_pk, payload, blobs)
        if isinstance(merged, str):
            return merged
        if merged is not None:
            version_pk = _commit(conn, collection_pk, run_pk, merged.payload, now)
            if version_pk is not None:
                distributed.settle(conn, merged, version_pk, now)
    return None


def _commit(
    conn: Connection, collection_pk: int, run_pk: int, payload: dict[str, Any], now: float
) -> int | None:
    """One logged version: a new one, or the aliases and tags of an existing one with the same
    digest; returns its key. A record already applied for this run (its client_id) does
    nothing (None)."""
    logs = schema.artifact_logs
    client_id = payload["client_id"]
    done = select(logs.c.version_pk).where(logs.c.run_pk == run_pk, logs.c.client_id == client_id)
    if conn.execute(done).first() is not None:
        return None
    found = select(_v.c.pk).where(
        _v.c.collection_pk == collection_pk, _v.c.digest == payload["digest"]
    )
    version_pk = conn.execute(found).scalar()
    if version_pk is None:
        last = select(func.max(_v.c.version_index)).where(_v.c.collection_pk == collection_pk)
        index = conn.execute(last).scalar()
        created = conn.execute(
            insert(_v).values(
                collection_pk=collection_pk,
                version_index=0 if index is None else int(index) + 1,
                digest=payload["digest"],
                manifest_sha256=payload["manifest"],
                size=payload["size"],
                files=payload["files"],
                description=_text(payload.get("description")),
                metadata=json.dumps(payload.get("metadata") or {}),  # NaN and inf kept
                created_at=payload.get("time") or now,
                run_pk=run_pk,
            )
        )
        inserted = created.inserted_primary_key
        assert inserted is not None
        version_pk = int(inserted[0])
        _move_alias(conn, collection_pk, LATEST, version_pk)
        conn.execute(update(_c).where(_c.c.pk == collection_pk).values(updated_at=now))
    # "latest" marks the newest version, whatever a record asks.
    for alias in dict.fromkeys(payload.get("aliases") or ()):
        if alias != LATEST:
            _move_alias(conn, collection_pk, alias, version_pk)
    tags = [
        {"version_pk": version_pk, "tag": tag} for tag in dict.fromkeys(payload.get("tags") or ())
    ]
    if tags:
        conn.execute(
            upsert(conn, schema.artifact_tags)
            .values(tags)
            .on_conflict_do_nothing(index_elements=["version_pk", "tag"])
        )
    conn.execute(
        insert(logs).values(run_pk=run_pk, client_id=client_id, version_pk=version_pk, time=now)
    )
    return int(version_pk)


def _move_alias(conn: Connection, collection_pk: int, alias: str, version_pk: int) -> None:
    values = {"collection_pk": collection_pk, "alias": alias, "version_pk": version_pk}
    conn.execute(
        upsert(conn, schema.artifact_aliases)
        .values(values)
        .on_conflict_do_update(
            index_elements=["collection_pk", "alias"], set_={"version_pk": version_pk}
        )
    )


# Reads.


def list_collections(
    conn: Connection, entity: str, project: str, type_: str | None = None
) -> list[dict[str, Any]]:
    """A project's ``ArtifactCollectionInfo``, by name (of one type, when given)."""
    count = select(func.count()).where(_v.c.collection_pk == _c.c.pk).scalar_subquery()
    query = select(_c.c.name, _c.c.type, _c.c.updated_at, count.label("versions")).where(
        _c.c.entity == entity, _c.c.project == project
    )
    if type_ is not None:
        query = query.where(_c.c.type == type_)
    return [
        {"name": row.name, "type": row.type, "versions": int(row.versions)}
        | {"updated_at": row.updated_at}
        for row in conn.execute(query.order_by(_c.c.name))
    ]


def _versions() -> Select[Any]:
    return select(
        _c.c.entity,
        _c.c.project,
        _c.c.name,
        _c.c.type,
        _v.c.pk,
        _v.c.version_index,
        _v.c.digest,
        _v.c.manifest_sha256,
        _v.c.size,
        _v.c.files,
        _v.c.description,
        _v.c.metadata,
        _v.c.created_at,
        _r.c.entity.label("run_entity"),
        _r.c.project.label("run_project"),
        _r.c.run_id,
    ).select_from(_v.join(_c, _c.c.pk == _v.c.collection_pk).outerjoin(_r, _r.c.pk == _v.c.run_pk))


def _infos(conn: Connection, rows: Iterable[Any]) -> list[dict[str, Any]]:
    """``ArtifactVersionInfo`` of version rows (of :func:`_versions`), plus the private key
    ``_manifest`` (the manifest's SHA-256; pop it before answering)."""
    rows = list(rows)
    pks = [row.pk for row in rows]
    aliases: dict[int, list[str]] = {pk: [] for pk in pks}
    tags: dict[int, list[str]] = {pk: [] for pk in pks}
    if pks:
        a, t = schema.artifact_aliases, schema.artifact_tags
        found = select(a.c.version_pk, a.c.alias).where(a.c.version_pk.in_(pks))
        for pk, alias in conn.execute(found.order_by(a.c.alias)):
            aliases[pk].append(alias)
        found = select(t.c.version_pk, t.c.tag).where(t.c.version_pk.in_(pks))
        for pk, tag in conn.execute(found.order_by(t.c.tag)):
            tags[pk].append(tag)
    return [
        {
            "entity": row.entity,
            "project": row.project,
            "name": row.name,
            "type": row.type,
            "version": version_label(row.version_index),
            "digest": row.digest,
            "size": int(row.size),
            "files": int(row.files),
            "description": row.description,
            "metadata": json.loads(row.metadata),
            "aliases": aliases[row.pk],
            "tags": tags[row.pk],
            "created_at": row.created_at,
            "logged_by": (
                None if row.run_id is None else f"{row.run_entity}/{row.run_project}/{row.run_id}"
            ),
            "_manifest": row.manifest_sha256,
        }
        for row in rows
    ]


def _public(infos: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for info in infos:
        info.pop("_manifest")
    return infos


def _is(path: Path) -> tuple[Any, ...]:
    return _c.c.entity == path[0], _c.c.project == path[1], _c.c.name == path[2]


def collection_exists(conn: Connection, path: Path) -> bool:
    return conn.execute(select(_c.c.pk).where(*_is(path))).first() is not None


def list_versions(conn: Connection, path: Path) -> list[dict[str, Any]] | None:
    """The collection's versions, newest first; None when there is no such artifact."""
    if not collection_exists(conn, path):
        return None
    query = _versions().where(*_is(path)).order_by(_v.c.version_index.desc())
    return _public(_infos(conn, conn.execute(query)))


def find_version(conn: Connection, path: Path, version: str) -> dict[str, Any] | None:
    """The version ``version`` names (``v3``, a digest or an alias) with its ``_manifest``;
    None when there is none."""
    query = _versions().where(*_is(path))
    index = version_index(version)
    if index is not None:
        row = conn.execute(query.where(_v.c.version_index == index)).first()
        return _infos(conn, [row])[0] if row else None
    if is_digest(version):
        row = conn.execute(query.where(_v.c.digest == version)).first()
        if row is not None:
            return _infos(conn, [row])[0]
    a = schema.artifact_aliases
    aliased = query.join(a, (a.c.version_pk == _v.c.pk) & (a.c.alias == version))
    row = conn.execute(aliased).first()
    return _infos(conn, [row])[0] if row else None


def run_artifacts(conn: Connection, run_pk: int) -> dict[str, Any]:
    """A ``RunArtifacts``: the versions the run logged (in the order first logged) and those it
    used that exist (in the order first used)."""
    logs = schema.artifact_logs
    first = (
        select(logs.c.version_pk, func.min(logs.c.time).label("first"))
        .where(logs.c.run_pk == run_pk)
        .group_by(logs.c.version_pk)
        .subquery()
    )
    query = _versions().join(first, first.c.version_pk == _v.c.pk)
    logged = _public(_infos(conn, conn.execute(query.order_by(first.c.first, _v.c.pk))))
    u = schema.artifact_uses
    query = (
        _versions()
        .add_columns(u.c.use_as)
        .join(
            u,
            (u.c.entity == _c.c.entity)
            & (u.c.project == _c.c.project)
            & (u.c.name == _c.c.name)
            & (u.c.digest == _v.c.digest),
        )
        .where(u.c.run_pk == run_pk)
        .order_by(u.c.time, _v.c.pk)
    )
    rows = conn.execute(query).all()
    used = _public(_infos(conn, rows))
    for info, row in zip(used, rows, strict=True):
        info["use_as"] = row.use_as
    return {"logged": logged, "used": used}
