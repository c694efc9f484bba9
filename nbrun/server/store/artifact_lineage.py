"""The lineage of an artifact version in SQL: the runs and versions around it, hop by hop.

An edge goes from a run to each version it logged (``artifact_logs``) and from a version to
each run that used it (``artifact_uses``, which name a version by its digest and resolve when
read). The walk is breadth-first in both directions and stops after ``hops`` steps or at
``max_nodes`` nodes (the answer then says ``truncated``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, select

from nbrun.protocol.artifacts import version_label
from nbrun.server import schema

_c = schema.artifact_collections
_v = schema.artifact_versions
_r = schema.runs
_logs = schema.artifact_logs
_uses = schema.artifact_uses
_aliases = schema.artifact_aliases

# A node's key while walking: ("run", run pk) or ("artifact", version pk).
Key = tuple[str, int]


def _used_versions() -> Any:
    """(run pk, version pk) of every use that resolves to a stored version."""
    return (
        select(_uses.c.run_pk, _v.c.pk.label("version_pk"))
        .select_from(_uses)
        .join(
            _c,
            (_c.c.entity == _uses.c.entity)
            & (_c.c.project == _uses.c.project)
            & (_c.c.name == _uses.c.name),
        )
        .join(_v, (_v.c.collection_pk == _c.c.pk) & (_v.c.digest == _uses.c.digest))
    )


def _neighbours(conn: Connection, runs: set[int], versions: set[int]) -> list[tuple[Key, Key, str]]:
    """The edges (source, target, kind) touching the given runs and versions."""
    edges: list[tuple[Key, Key, str]] = []
    if versions or runs:
        logged = select(_logs.c.run_pk, _logs.c.version_pk).distinct()
        logged = logged.where(_logs.c.version_pk.in_(versions) | _logs.c.run_pk.in_(runs))
        for run_pk, version_pk in conn.execute(logged.order_by(_logs.c.run_pk)):
            edges.append((("run", int(run_pk)), ("artifact", int(version_pk)), "logged"))
        used = _used_versions().where(_v.c.pk.in_(versions) | _uses.c.run_pk.in_(runs))
        for run_pk, version_pk in conn.execute(used.order_by(_uses.c.time, _uses.c.run_pk)):
            edges.append((("artifact", int(version_pk)), ("run", int(run_pk)), "used"))
    return edges


def walk(
    conn: Connection, version_pk: int, hops: int, max_nodes: int
) -> tuple[list[Key], list[tuple[Key, Key, str]], bool]:
    """The nodes (in the order reached, the start first) and edges within ``hops`` of the
    version, and whether ``max_nodes`` cut the walk short."""
    start: Key = ("artifact", version_pk)
    seen: dict[Key, None] = {start: None}
    edges: dict[tuple[Key, Key, str], None] = {}
    frontier = {start}
    truncated = False
    for _hop in range(hops):
        runs = {pk for kind, pk in frontier if kind == "run"}
        versions = {pk for kind, pk in frontier if kind == "artifact"}
        reached: set[Key] = set()
        for edge in _neighbours(conn, runs, versions):
            source, target, _kind = edge
            for node in (source, target):
                if node not in seen:
                    if len(seen) >= max_nodes:
                        truncated = True
                        continue
                    seen[node] = None
                    reached.add(node)
            if source in seen and target in seen:
                edges[edge] = None
        frontier = reached
        if not frontier or truncated:
            break
    return list(seen), list(edges), truncated


def _run_nodes(conn: Connection, pks: Iterable[int]) -> dict[int, dict[str, Any]]:
    query = select(_r.c.pk, _r.c.entity, _r.c.project, _r.c.run_id, _r.c.name, _r.c.state)
    return {
        int(row.pk): {
            "id": f"run:{row.entity}/{row.project}/{row.run_id}",
            "kind": "run",
            "entity": row.entity,
            "project": row.project,
            "name": row.name or row.run_id,
            "run_id": row.run_id,
            "state": row.state,
            "type": None,
            "version": None,
            "aliases": [],
        }
        for row in conn.execute(query.where(_r.c.pk.in_(list(pks))))
    }


def _version_nodes(conn: Connection, pks: Iterable[int]) -> dict[int, dict[str, Any]]:
    pks = list(pks)
    aliases: dict[int, list[str]] = {pk: [] for pk in pks}
    found = select(_aliases.c.version_pk, _aliases.c.alias).where(_aliases.c.version_pk.in_(pks))
    for pk, alias in conn.execute(found.order_by(_aliases.c.alias)):
        aliases[int(pk)].append(alias)
    query = (
        select(_v.c.pk, _v.c.version_index, _c.c.entity, _c.c.project, _c.c.name, _c.c.type)
        .select_from(_v.join(_c, _c.c.pk == _v.c.collection_pk))
        .where(_v.c.pk.in_(pks))
    )
    nodes = {}
    for row in conn.execute(query):
        version = version_label(row.version_index)
        nodes[int(row.pk)] = {
            "id": f"artifact:{row.entity}/{row.project}/{row.name}:{version}",
            "kind": "artifact",
            "entity": row.entity,
            "project": row.project,
            "name": row.name,
            "run_id": None,
            "state": None,
            "type": row.type,
            "version": version,
            "aliases": aliases[int(row.pk)],
        }
    return nodes


def lineage(conn: Connection, version_pk: int, hops: int, max_nodes: int) -> dict[str, Any]:
    """A ``Lineage`` around the version (its primary key)."""
    keys, edges, truncated = walk(conn, version_pk, hops, max_nodes)
    runs = _run_nodes(conn, [pk for kind, pk in keys if kind == "run"])
    versions = _version_nodes(conn, [pk for kind, pk in keys if kind == "artifact"])
    tables = {"run": runs, "artifact": versions}
    nodes = [tables[kind][pk] for kind, pk in keys if pk in tables[kind]]
    ids = {key: tables[key[0]][key[1]]["id"] for key in keys if key[1] in tables[key[0]]}
    return {
        "root": ids[("artifact", version_pk)],
        "nodes": nodes,
        "edges": [
            {"source": ids[source], "target": ids[target], "kind": kind}
            for source, target, kind in edges
            if source in ids and target in ids
        ],
        "truncated": truncated,
    }


def version_pk(conn: Connection, entity: str, project: str, name: str, digest: str) -> int | None:
    """The primary key of the version of ``entity/project/name`` with ``digest``."""
    query = (
        select(_v.c.pk)
        .select_from(_v.join(_c, _c.c.pk == _v.c.collection_pk))
        .where(
            _c.c.entity == entity,
            _c.c.project == project,
            _c.c.name == name,
            _v.c.digest == digest,
        )
    )
    found = conn.execute(query).scalar()
    return None if found is None else int(found)
