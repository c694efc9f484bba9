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

from nbrun.protocol.keys import is_media, iter_flat
from nbrun.server import schema
from nbrun.server.downsample import NDArray

BLOCK_POINTS = 1024
CHUNK_ROWS = 512  # whole rows per history_chunks row
_CHUNKS_PER_QUERY = 16
_IN_CHUNK = 400  # (key, block) pairs per query: well under SQLite's bound-variable limit
_NO_STEP_BOUND = 1 << 63  # past the largest step (steps are signed 64-bit)
_KIND_RANK = {"bool": 0, "int": 1, "float": 2}
_KINDS = ("bool", "int", "float")


class _Column:
    __slots__ = ("groups", "kind", "order", "steps", "values")

    def __init__(self) -> None:
        self.steps: list[int] = []
        self.values: list[Any] = []
        self.order: list[int] = []  # row index of each point (rows may come in groups)
        self.kind = 0
        self.groups = 0  # row groups that added points: with one, the points are in row order


_NUMERIC = {float: 2, int: 1, bool: 0}


def scalar_columns(rows: list[dict[str, Any]]) -> dict[str, _Column]:
    """Numeric values of ``rows`` by key (flattened by :func:`nbrun.protocol.keys.flatten`;
    media references, strings and lists skipped), each with the steps it was logged at.

    Rows with the same keys are transposed together at C speed; mixed columns go value by
    value."""
    groups: dict[tuple[str, ...], list[int]] = {}
    for index, keys in enumerate(map(tuple, rows)):
        found = groups.get(keys)
        if found is None:
            groups[keys] = [index]
        else:
            found.append(index)
    columns: dict[str, _Column] = {}
    for keys, indices in groups.items():
        members = [rows[i] for i in indices] if len(groups) > 1 else rows
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
                column.groups += 1
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
        column.groups = 2  # point by point: the order must be checked
        column.kind = max(column.kind, rank)
    elif type(value) is dict and not is_media(value):
        for sub_key, sub_value in iter_flat(value, f"{key}."):
            _add_value(columns, sub_key, index, step, sub_value)


def store_rows(conn: Connection, run_pk: int, rows: list[dict[str, Any]]) -> None:
    """Store a batch's history rows: whole, in chunks, then each numeric key's points."""
    if not rows:
        return
    c = schema.history_chunks
    tail = conn.execute(
        select(c.c.chunk_no, c.c.first_step, c.c.last_step, c.c.count, c.c.data)
        .where(c.c.run_pk == run_pk)
        .order_by(c.c.chunk_no.desc())
        .limit(1)
    ).first()
    steps = [row["_step"] for row in rows]
    next_no = 0
    if tail is not None:
        # Columns by position: a Row's .count is the tuple method.
        tail_no, tail_first, tail_last, tail_count, tail_data = tail
        next_no = tail_no + 1
    if tail is not None and tail_count + len(rows) <= CHUNK_ROWS:
        # Rows that come a few at a time fill the last chunk instead of making tiny ones.
        data = _join_arrays(bytes(tail_data), msgpack.packb(rows, use_bin_type=True))
        conn.execute(
            update(c)
            .where(c.c.run_pk == run_pk, c.c.chunk_no == tail_no)
            .values(
                first_step=min(tail_first, *steps),
                last_step=max(tail_last, *steps),
                count=tail_count + len(rows),
                data=data,
            )
        )
    else:
        chunks = []
        for start in range(0, len(rows), CHUNK_ROWS):
            part = slice(start, start + CHUNK_ROWS)
            data = msgpack.packb(rows[part], use_bin_type=True)
            first, last, count = min(steps[part]), max(steps[part]), len(steps[part])
            chunks.append((run_pk, next_no, first, last, count, data))
            next_no += 1
        marker = "%s" if conn.dialect.name == "postgresql" else "?"
        conn.exec_driver_sql(
            "INSERT INTO history_chunks (run_pk, chunk_no, first_step, last_step, count, data) "
            f"VALUES ({', '.join([marker] * 6)})",
            chunks,
        )
    _store_points(conn, run_pk, scalar_columns(rows))


def _join_arrays(first: bytes, second: bytes) -> bytes:
    """One msgpack array of the items of two, without decoding the items."""
    counts, bodies = [], []
    for data in (first, second):
        unpacker = msgpack.Unpacker()
        unpacker.feed(data)
        counts.append(unpacker.read_array_header())
        bodies.append(data[unpacker.tell() :])
    header: bytes = msgpack.Packer().pack_array_header(sum(counts))
    return header + b"".join(bodies)


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
        if column.groups > 1 and column.order != sorted(column.order):
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
    blocks = _fetch(conn, query)
    if not blocks:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
    steps = np.concatenate([np.frombuffer(blk_steps, dtype="<i8") for blk_steps, _ in blocks])
    values = np.concatenate([np.frombuffer(blk_vals, dtype="<f8") for _, blk_vals in blocks])
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
        return [
            tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
            for row in cursor.fetchall()
        ]


def _fetch(conn: Connection, query: Any) -> list[Any]:
    if conn.dialect.name == "postgresql":
        return _fetch_binary(conn, query)
    return [tuple(row) for row in conn.execute(query)]


def read_rows(
    conn: Connection,
    run_pk: int,
    min_step: int | None,
    max_step: int | None,
    limit: int,
    keys: set[str] | None = None,
) -> list[tuple[int, dict[str, Any]]]:
    """Up to ``limit`` whole rows in step order from ``min_step`` (inclusive); with ``keys``,
    only rows holding one of them count (a sparse key, an image logged every 1,000 steps,
    pages as quickly as a dense one). A step logged more than once reads as its newest row."""
    c = schema.history_chunks
    low = 0 if min_step is None else min_step
    high = _NO_STEP_BOUND if max_step is None else max_step
    conditions = [c.c.run_pk == run_pk, c.c.last_step >= low]
    if max_step is not None:
        conditions.append(c.c.first_step < max_step)
    newest: dict[int, tuple[int, dict[str, Any]]] = {}  # step: (chunk_no, row)
    after: tuple[int, int] | None = None
    unpack = msgpack.unpackb
    while True:
        query = select(c.c.chunk_no, c.c.first_step, c.c.data).where(*conditions)
        if after is not None:
            query = query.where(tuple_(c.c.first_step, c.c.chunk_no) > after)
        query = query.order_by(c.c.first_step, c.c.chunk_no).limit(_CHUNKS_PER_QUERY)
        found = _fetch(conn, query)
        for chunk_no, first_step, data in found:
            # Chunks come in order of their first step: once ``limit`` rows lie below this
            # chunk's first step, no later chunk can add or replace any of them.
            if len(newest) >= limit and sum(s < first_step for s in newest) >= limit:
                return _first_rows(newest, limit)
            for row in unpack(data, raw=False, strict_map_key=False):
                step = row["_step"]
                if low <= step < high and newest.get(step, (-1,))[0] <= chunk_no:
                    if keys is None or not keys.isdisjoint(row):
                        newest[step] = (chunk_no, row)
                    else:
                        newest.pop(step, None)  # a newer row without the keys replaces it
        if len(found) < _CHUNKS_PER_QUERY:
            return _first_rows(newest, limit)
        after = (found[-1][1], found[-1][0])


def _first_rows(
    newest: dict[int, tuple[int, dict[str, Any]]], limit: int
) -> list[tuple[int, dict[str, Any]]]:
    return [(step, newest[step][1]) for step in sorted(newest)[:limit]]


def plain_values(values: NDArray, kind: str) -> list[Any]:
    """Values as Python numbers of the kind logged (ints stay ints, bools bools)."""
    if kind == "float":
        return list(values.tolist())
    cast = bool if kind == "bool" else int
    return [cast(v) if math.isfinite(v) else v for v in values.tolist()]
