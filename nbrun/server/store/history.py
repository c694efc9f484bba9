"""History storage: whole rows (msgpack) for paging, and numeric keys as columnar blocks.

A key's points go into blocks of at most ``BLOCK_POINTS`` (step, value) pairs; a batch extends
the key's last block while it has room, so a run posting one row at a time still ends up with
full blocks. A step logged again later (a resumed run rewinding) is appended too: readers keep
the newest value of each step.
"""

from __future__ import annotations

import math
from typing import Any

import msgpack
import numpy as np
from sqlalchemy import Connection, and_, bindparam, insert, select, tuple_, update

from nbrun.server import schema
from nbrun.server.downsample import NDArray

BLOCK_POINTS = 1024
_IN_CHUNK = 400  # (key, block) pairs per query: well under SQLite's bound-variable limit
_KIND_RANK = {"bool": 0, "int": 1, "float": 2}
_KINDS = ("bool", "int", "float")


class _Column:
    __slots__ = ("kind", "order", "steps", "values")

    def __init__(self) -> None:
        self.steps: list[int] = []
        self.values: list[Any] = []
        self.order: list[int] = []  # row index of each point (rows may come in groups)
        self.kind = 0


_NUMERIC = {float: 2, int: 1, bool: 0}


def scalar_columns(rows: list[dict[str, Any]]) -> dict[str, _Column]:
    """Numeric values of ``rows`` by key (nested dicts flattened to dotted keys; media
    references, strings and lists skipped), each with the steps it was logged at.

    Rows with the same keys are transposed together at C speed; mixed columns go value by
    value."""
    groups: dict[tuple[str, ...], list[int]] = {}
    for index, row in enumerate(rows):
        groups.setdefault(tuple(row), []).append(index)
    columns: dict[str, _Column] = {}
    for keys, indices in groups.items():
        members = [rows[i] for i in indices]
        steps = [row["_step"] for row in members]
        for key, values in zip(keys, zip(*map(dict.values, members), strict=True), strict=True):
            if key == "_step":
                continue
            kinds = set(map(type, values))
            if kinds.issubset(_NUMERIC):
                column = columns.get(key)
                if column is None:
                    column = columns[key] = _Column()
                column.steps += steps
                column.values += values
                column.order += indices
                column.kind = max(column.kind, *(_NUMERIC[k] for k in kinds))
            elif kinds & {float, int, bool, dict}:
                for index, step, value in zip(indices, steps, values, strict=True):
                    _add_value(columns, key, index, step, value)
    return columns


def _add_value(columns: dict[str, _Column], key: str, index: int, step: int, value: Any) -> None:
    rank = _NUMERIC.get(type(value))
    if rank is not None:
        column = columns.get(key)
        if column is None:
            column = columns[key] = _Column()
        column.steps.append(step)
        column.values.append(value)
        column.order.append(index)
        column.kind = max(column.kind, rank)
    elif type(value) is dict and "_type" not in value:  # "_type": a media reference
        for sub_key, sub_value in value.items():
            _add_value(columns, f"{key}.{sub_key}", index, step, sub_value)


def store_rows(conn: Connection, run_pk: int, rows: list[dict[str, Any]]) -> None:
    """Insert a batch's history rows: whole rows, then each numeric key's points."""
    if not rows:
        return
    by_step = {row["_step"]: row for row in rows}  # a step repeated in one batch: last wins
    pack = msgpack.Packer(use_bin_type=True).pack
    if conn.dialect.name == "postgresql":
        # One statement for the whole batch: arrays unnested server-side.
        conn.exec_driver_sql(
            "INSERT INTO history_rows (run_pk, step, data) "
            "SELECT %s, s, d FROM unnest(%b::bigint[], %b::bytea[]) AS t(s, d) "
            "ON CONFLICT (run_pk, step) DO UPDATE SET data = excluded.data",
            (run_pk, list(by_step), [pack(row) for row in by_step.values()]),
        )
    else:
        # Plain SQL: no per-row parameter processing by SQLAlchemy.
        conn.exec_driver_sql(
            "INSERT INTO history_rows (run_pk, step, data) VALUES (?, ?, ?) "
            "ON CONFLICT (run_pk, step) DO UPDATE SET data = excluded.data",
            [(run_pk, step, pack(row)) for step, row in by_step.items()],
        )
    _store_points(conn, run_pk, scalar_columns(rows))


def _store_points(conn: Connection, run_pk: int, columns: dict[str, _Column]) -> None:
    if not columns:
        return
    if any("\x00" in key for key in columns):  # PostgreSQL text cannot hold NUL
        columns = {key.replace("\x00", "\ufffd"): column for key, column in columns.items()}
    k = schema.history_keys
    query = select(k.c.id, k.c.key, k.c.kind, k.c.points, k.c.blocks, k.c.tail_count).where(
        k.c.run_pk == run_pk
    )
    known = {row.key: row for row in conn.execute(query)}
    fresh = [key for key in columns if key not in known]
    if fresh:
        conn.execute(
            insert(k),
            [
                {"run_pk": run_pk, "key": key, "kind": "bool", "points": 0, "blocks": 0}
                | {"tail_count": 0}
                for key in fresh
            ],
        )
        known = {row.key: row for row in conn.execute(query)}
    extend = [
        (known[key].id, known[key].blocks - 1)
        for key, column in columns.items()
        if known[key].blocks and known[key].tail_count + len(column.steps) <= BLOCK_POINTS
    ]
    tails: dict[int, Any] = {}
    b = schema.history_blocks
    for start in range(0, len(extend), _IN_CHUNK):
        tail_query = select(b.c.key_id, b.c.steps, b.c.vals).where(
            b.c.run_pk == run_pk,
            tuple_(b.c.key_id, b.c.block_no).in_(extend[start : start + _IN_CHUNK]),
        )
        tails.update((row.key_id, row) for row in conn.execute(tail_query))
    new_blocks: list[dict[str, Any]] = []
    grown_blocks: list[dict[str, Any]] = []
    key_updates: list[dict[str, Any]] = []
    for key, column in columns.items():
        meta = known[key]
        steps = np.asarray(column.steps, dtype="<i8")
        values = np.asarray(column.values, dtype="<f8")
        if len(column.order) > 1 and column.order != sorted(column.order):
            order = np.argsort(np.asarray(column.order), kind="stable")  # back to row order
            steps, values = steps[order], values[order]
        blocks, tail_count = meta.blocks, meta.tail_count
        tail = tails.get(meta.id)
        if tail is not None:
            steps = np.concatenate([np.frombuffer(tail.steps, dtype="<i8"), steps])
            values = np.concatenate([np.frombuffer(tail.vals, dtype="<f8"), values])
            grown_blocks.append(_block(run_pk, meta.id, blocks - 1, steps, values, "b_"))
            tail_count = len(steps)
        else:
            for start in range(0, len(steps), BLOCK_POINTS):
                part = slice(start, start + BLOCK_POINTS)
                new_blocks.append(_block(run_pk, meta.id, blocks, steps[part], values[part]))
                blocks += 1
                tail_count = len(steps[part])
        kind = _KINDS[max(column.kind, _KIND_RANK[meta.kind])]
        key_updates.append(
            {
                "b_id": meta.id,
                "kind": kind,
                "points": meta.points + len(column.steps),
                "blocks": blocks,
                "tail_count": tail_count,
            }
        )
    if new_blocks:
        conn.execute(insert(schema.history_blocks), new_blocks)
    if grown_blocks:
        b = schema.history_blocks
        conn.execute(
            update(b)
            .where(
                b.c.run_pk == bindparam("b_run_pk"),
                b.c.key_id == bindparam("b_key_id"),
                b.c.block_no == bindparam("b_block_no"),
            )
            .values(
                first_step=bindparam("b_first_step"),
                last_step=bindparam("b_last_step"),
                count=bindparam("b_count"),
                steps=bindparam("b_steps"),
                vals=bindparam("b_vals"),
            ),
            grown_blocks,
        )
    conn.execute(update(k).where(k.c.id == bindparam("b_id")), key_updates)


def _block(
    run_pk: int, key_id: int, block_no: int, steps: NDArray, values: NDArray, prefix: str = ""
) -> dict[str, Any]:
    return {
        f"{prefix}run_pk": run_pk,
        f"{prefix}key_id": key_id,
        f"{prefix}block_no": block_no,
        f"{prefix}first_step": int(steps.min()),
        f"{prefix}last_step": int(steps.max()),
        f"{prefix}count": len(steps),
        f"{prefix}steps": steps.tobytes(),
        f"{prefix}vals": values.tobytes(),
    }


def scalar_keys(conn: Connection, run_pk: int) -> dict[str, tuple[int, str]]:
    """The run's numeric keys: ``{key: (key_id, kind)}``."""
    k = schema.history_keys
    query = select(k.c.key, k.c.id, k.c.kind).where(k.c.run_pk == run_pk).order_by(k.c.key)
    return {row.key: (row.id, row.kind) for row in conn.execute(query)}


def read_points(
    conn: Connection, run_pk: int, key_id: int, min_step: int | None, max_step: int | None
) -> tuple[NDArray, NDArray]:
    """All ``(steps, values)`` of one key in step order, ``min_step <= step < max_step``."""
    b = schema.history_blocks
    conditions = [b.c.run_pk == run_pk, b.c.key_id == key_id]
    if min_step is not None:
        conditions.append(b.c.last_step >= min_step)
    if max_step is not None:
        conditions.append(b.c.first_step < max_step)
    query = select(b.c.steps, b.c.vals).where(and_(*conditions)).order_by(b.c.block_no)
    if conn.dialect.name == "postgresql":
        blocks = _fetch_binary(conn, query)
    else:
        blocks = list(conn.execute(query))
    if not blocks:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
    steps = np.concatenate([np.frombuffer(blk.steps, dtype="<i8") for blk in blocks])
    values = np.concatenate([np.frombuffer(blk.vals, dtype="<f8") for blk in blocks])
    if len(steps) > 1 and not bool(np.all(steps[1:] > steps[:-1])):
        order = np.argsort(steps, kind="stable")
        steps, values = steps[order], values[order]
        newest = np.append(steps[1:] != steps[:-1], True)  # the last of equal steps wins
        steps, values = steps[newest], values[newest]
    if min_step is not None or max_step is not None:
        low = 0 if min_step is None else int(np.searchsorted(steps, min_step, "left"))
        high = len(steps) if max_step is None else int(np.searchsorted(steps, max_step, "left"))
        steps, values = steps[low:high], values[low:high]
    return steps, values


def _fetch_binary(conn: Connection, query: Any) -> list[Any]:
    """Run ``query`` on psycopg with binary results: bytea arrives as raw bytes, not hex."""
    compiled = query.compile(dialect=conn.dialect)
    driver: Any = conn.connection.dbapi_connection  # a psycopg connection
    params = compiled.construct_params()
    with driver.cursor(binary=True) as cursor:
        cursor.execute(str(compiled), params)
        return [_BlockRow(bytes(steps), bytes(vals)) for steps, vals in cursor.fetchall()]


class _BlockRow:
    __slots__ = ("steps", "vals")

    def __init__(self, steps: bytes, vals: bytes) -> None:
        self.steps = steps
        self.vals = vals


def read_rows(
    conn: Connection, run_pk: int, min_step: int | None, max_step: int | None, limit: int
) -> list[tuple[int, dict[str, Any]]]:
    """Up to ``limit`` whole rows in step order from ``min_step`` (inclusive)."""
    h = schema.history_rows
    query = select(h.c.step, h.c.data).where(h.c.run_pk == run_pk)
    if min_step is not None:
        query = query.where(h.c.step >= min_step)
    if max_step is not None:
        query = query.where(h.c.step < max_step)
    query = query.order_by(h.c.step).limit(limit)
    unpack = msgpack.unpackb
    return [
        (int(step), unpack(data, raw=False, strict_map_key=False))
        for step, data in conn.execute(query)
    ]


def plain_values(values: NDArray, kind: str) -> list[Any]:
    """Values as Python numbers of the kind logged (ints stay ints, bools bools)."""
    if kind == "float":
        return list(values.tolist())
    cast = bool if kind == "bool" else int
    return [cast(v) if math.isfinite(v) else v for v in values.tolist()]
