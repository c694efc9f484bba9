"""The runs table: creating and locking a run for ingest, its listing columns, and reads."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import msgpack
import orjson
from sqlalchemy import Connection, delete, exists, func, insert, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from nbrun.record.replay import RunState
from nbrun.server import schema
from nbrun.server.db import upsert

RunKey = tuple[str, str, str]  # entity, project, run_id
STATES = ("running", "finished", "failed", "crashed", "preempting")
_LIVE = ("running", "preempting")
_EMPTY_STATE = msgpack.packb(RunState().to_state(), use_bin_type=True)


@dataclasses.dataclass
class LockedRun:
    pk: int
    acked_seq: int
    tags: list[str]
    state_blob: bytes


def find_run_pk(conn: Connection, key: RunKey) -> int | None:
    r = schema.runs
    query = select(r.c.pk).where(r.c.entity == key[0], r.c.project == key[1], r.c.run_id == key[2])
    found = conn.execute(query).scalar()
    return int(found) if found is not None else None


def _new_run_values(key: RunKey, now: float, heartbeat: float | None) -> dict[str, Any]:
    return {
        "entity": key[0],
        "project": key[1],
        "run_id": key[2],
        "name": key[2],
        "tags": "[]",
        "state": "running",
        "resumed": False,
        "history_rows": 0,
        "acked_seq": 0,
        "created_at": now,
        "changed_at": now,
        "heartbeat_time": heartbeat,
        "state_blob": _EMPTY_STATE,
    }


def ensure_run(conn: Connection, key: RunKey, heartbeat: float | None = None) -> int:
    """The run's primary key, creating an empty run first if it does not exist yet."""
    stmt = upsert(conn, schema.runs).values(_new_run_values(key, time.time(), heartbeat))
    conn.execute(stmt.on_conflict_do_nothing(index_elements=["entity", "project", "run_id"]))
    pk = find_run_pk(conn, key)
    assert pk is not None
    return pk


def lock_run(conn: Connection, key: RunKey) -> LockedRun | None:
    """Lock the run's row for this transaction (SQLite: the write transaction already holds
    the database); None when the run does not exist."""
    r = schema.runs
    query = select(r.c.pk, r.c.acked_seq, r.c.tags, r.c.state_blob).where(
        r.c.entity == key[0], r.c.project == key[1], r.c.run_id == key[2]
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        return None
    return LockedRun(int(row.pk), int(row.acked_seq), orjson.loads(row.tags), bytes(row.state_blob))


def create_locked_run(conn: Connection, key: RunKey, heartbeat: float | None) -> LockedRun:
    """Create the run (or find one created concurrently) and lock it."""
    ensure_run(conn, key, heartbeat)
    locked = lock_run(conn, key)
    assert locked is not None
    return locked


def load_state(blob: bytes) -> RunState:
    return RunState.from_state(msgpack.unpackb(blob, raw=False, strict_map_key=False))


def _text(value: Any) -> str | None:
    """A string for a text column (PostgreSQL text cannot hold NUL)."""
    return value.replace("\x00", "\ufffd") if isinstance(value, str) else None


def _number(value: Any) -> float | None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    return float(value) if ok else None


def save_state(
    conn: Connection,
    locked: LockedRun,
    key: RunKey,
    state: RunState,
    acked_seq: int,
    heartbeat: float | None,
) -> None:
    """Store the folded state and refresh the run's listing columns and tags."""
    run = state.run
    exit_record = state.exit or {}
    exit_code = exit_record.get("exit_code") if state.exit is not None else None
    if state.exit is not None:
        db_state = "finished" if exit_code == 0 else "failed"
    elif state.crashed:
        db_state = "crashed"
    else:
        db_state = "preempting" if state.preempting else "running"
    tags = list(dict.fromkeys(t for t in map(_text, run.get("tags") or ()) if t is not None))
    values = {
        "name": _text(run.get("name")) or key[2],
        "notes": _text(run.get("notes")),
        "tags": orjson.dumps(tags).decode(),
        "group_name": _text(run.get("group")),
        "job_type": _text(run.get("job_type")),
        "state": db_state,
        "exit_code": exit_code if isinstance(exit_code, int) else None,
        "start_time": _number(run.get("start_time")),
        "end_time": _number(exit_record.get("time")),
        "host": _text(run.get("host")),
        "resumed": bool(run.get("resumed")),
        "sweep_id": _text(run.get("sweep_id")),
        "program": _text(state.metadata.get("program")),
        "last_step": state.last_step,
        "history_rows": state.history_rows,
        "acked_seq": acked_seq,
        "state_blob": msgpack.packb(state.to_state(), use_bin_type=True),
        "changed_at": time.time(),
    }
    if heartbeat is not None:
        values["heartbeat_time"] = heartbeat
    conn.execute(update(schema.runs).where(schema.runs.c.pk == locked.pk).values(values))
    if tags != locked.tags:
        conn.execute(delete(schema.run_tags).where(schema.run_tags.c.run_pk == locked.pk))
        if tags:
            conn.execute(insert(schema.run_tags), [{"run_pk": locked.pk, "tag": t} for t in tags])


def touch(conn: Connection, pk: int, now: float) -> None:
    """A heartbeat: nothing new to fold."""
    conn.execute(update(schema.runs).where(schema.runs.c.pk == pk).values(heartbeat_time=now))


def effective_state(state: str, heartbeat: float | None, now: float, crash_after: float) -> str:
    """The stored state, or ``crashed`` for a live run whose heartbeats stopped."""
    if state in _LIVE and (heartbeat is None or now - heartbeat > crash_after):
        return "crashed"
    return state


def run_info(row: Any, now: float, crash_after: float) -> dict[str, Any]:
    """A ``RunInfo`` (see ``nbrun.protocol.http``) from a full runs row."""
    state = load_state(bytes(row.state_blob))
    return {
        "id": row.run_id,
        "entity": row.entity,
        "project": row.project,
        "name": row.name or row.run_id,
        "notes": row.notes,
        "tags": orjson.loads(row.tags),
        "group": row.group_name,
        "job_type": row.job_type,
        "state": effective_state(row.state, row.heartbeat_time, now, crash_after),
        "exit_code": row.exit_code,
        "config": state.config,
        "summary": state.summary_values,
        "metrics": [d.to_payload() for d in state.metrics.definitions()],
        "start_time": row.start_time,
        "heartbeat_time": row.heartbeat_time,
        "end_time": row.end_time,
        "host": row.host,
        "resumed": bool(row.resumed),
        "sweep_id": row.sweep_id,
        "program": row.program,
        "kernel_id": _text(state.run.get("kernel_id")),
        "last_step": row.last_step,
        "history_rows": int(row.history_rows),
        "acked_seq": int(row.acked_seq),
        "refused_records": state.refused_count,
    }


def changed_runs(
    conn: Connection, entity: str | None, project: str | None, since: float
) -> list[Any]:
    """Full runs rows (of one entity and project, when given) changed at or after ``since``,
    and every live run: those turn crashed when heartbeats stop, which writes nothing."""
    r = schema.runs
    query = select(r).where(or_(r.c.changed_at >= since, r.c.state.in_(_LIVE)))
    if entity is not None:
        query = query.where(r.c.entity == entity)
    if project is not None:
        query = query.where(r.c.project == project)
    return list(conn.execute(query.order_by(r.c.changed_at, r.c.pk)))


def get_run(conn: Connection, key: RunKey) -> Any | None:
    r = schema.runs
    query = select(r).where(r.c.entity == key[0], r.c.project == key[1], r.c.run_id == key[2])
    return conn.execute(query).first()


def _state_filter(state: str, cutoff: float) -> ColumnElement[bool]:
    r = schema.runs
    if state == "crashed":
        stale = or_(r.c.heartbeat_time.is_(None), r.c.heartbeat_time < cutoff)
        return (r.c.state.in_(_LIVE) & stale) | (r.c.state == "crashed")
    if state in _LIVE:
        return (r.c.state == state) & (r.c.heartbeat_time >= cutoff)
    return r.c.state == state


@dataclasses.dataclass
class RunFilters:
    state: list[str] = dataclasses.field(default_factory=list)
    group: str | None = None
    job_type: str | None = None
    tag: list[str] = dataclasses.field(default_factory=list)
    search: str | None = None
    limit: int = 100
    offset: int = 0


def list_runs(
    conn: Connection, entity: str, project: str, filters: RunFilters, crash_after: float
) -> list[dict[str, Any]]:
    """A project's runs, newest first, filtered."""
    r = schema.runs
    now = time.time()
    query = select(r).where(r.c.entity == entity, r.c.project == project)
    if filters.state:
        query = query.where(or_(*(_state_filter(s, now - crash_after) for s in filters.state)))
    if filters.group is not None:
        query = query.where(r.c.group_name == filters.group)
    if filters.job_type is not None:
        query = query.where(r.c.job_type == filters.job_type)
    for tag in filters.tag:
        t = schema.run_tags
        query = query.where(exists().where(t.c.run_pk == r.c.pk, t.c.tag == tag))
    if filters.search:
        needle = filters.search.lower()
        query = query.where(
            or_(
                func.lower(r.c.name).contains(needle, autoescape=True),
                func.lower(r.c.run_id).contains(needle, autoescape=True),
                func.lower(r.c.notes).contains(needle, autoescape=True),
            )
        )
    query = query.order_by(r.c.created_at.desc(), r.c.pk.desc())
    query = query.limit(filters.limit).offset(filters.offset)
    return [run_info(row, now, crash_after) for row in conn.execute(query)]


def list_projects(conn: Connection) -> list[dict[str, Any]]:
    r = schema.runs
    activity = func.max(func.coalesce(r.c.heartbeat_time, r.c.start_time, r.c.created_at))
    query = (
        select(r.c.entity, r.c.project, func.count().label("run_count"), activity.label("last"))
        .group_by(r.c.entity, r.c.project)
        .order_by(r.c.entity, r.c.project)
    )
    return [
        {
            "entity": row.entity,
            "project": row.project,
            "run_count": int(row.run_count),
            "last_activity": row.last,
        }
        for row in conn.execute(query)
    ]
