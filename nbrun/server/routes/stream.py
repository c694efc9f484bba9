"""``GET R/stream``: a run's new history rows and changes of state, as server-sent events.

Each server process polls the database for its own listeners, so several stateless servers
behind one database all stream every run, whichever of them the run logs through.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from nbrun.record.http_api import API_PREFIX
from nbrun.server.db import read_connection
from nbrun.server.deps import PrincipalDep, Services, ServicesDep
from nbrun.server.routes.runs import R, Step, _run_pk, _split_keys
from nbrun.server.store import history, runs
from nbrun.server.wire import Entity, Project, RunId

router = APIRouter(prefix=API_PREFIX, tags=["runs"])
ROWS_PER_EVENT = 1000
KEEP_ALIVE_SECONDS = 15.0
_RUN_FIELDS = ("state", "exit_code", "last_step", "history_rows", "summary", "end_time")
_DONE = ("finished", "failed", "crashed")


def _event(name: str, data: Any) -> bytes:
    # orjson writes NaN and infinities as null, as the JSON replies do.
    return b"event: " + name.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


@router.get(
    R + "/stream",
    responses={200: {"content": {"text/event-stream": {}}, "description": "event stream"}},
)
async def stream_run(
    request: Request,
    entity: Entity,
    project: Project,
    run_id: RunId,
    services: ServicesDep,
    principal: PrincipalDep,
    min_step: Step = None,
    keys: Annotated[str | None, Query(description="comma-separated; default all")] = None,
    poll: Annotated[float, Query(ge=0.05, le=10.0, description="seconds between checks")] = 0.5,
) -> StreamingResponse:
    """Server-sent events from ``min_step`` on: ``rows`` (``{"rows": [...], "next_min_step":
    n}``, only rows not sent before), ``run`` (state, exit_code, last_step, history_rows,
    summary, end_time, whenever one changes), and ``end`` once the run is over and every row
    is sent. A read token may be passed as ``?token=`` (EventSource cannot set headers)."""
    key = (entity, project, run_id)
    pk = await run_in_threadpool(_run_pk, services, principal, key)
    wanted = _split_keys(keys)
    return StreamingResponse(
        _events(request, services, key, pk, min_step, wanted, poll),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _events(
    request: Request,
    services: Services,
    key: runs.RunKey,
    pk: int,
    cursor: int | None,
    wanted: list[str] | None,
    poll: float,
) -> AsyncIterator[bytes]:
    last_run: dict[str, Any] | None = None
    last_sent = time.monotonic()
    while not await request.is_disconnected():
        found, info = await run_in_threadpool(_read, services, key, pk, cursor)
        if found:
            rows = [row for _, row in found]
            if wanted is not None:
                chosen = set(wanted)
                rows = [
                    {k: v for k, v in row.items() if k in chosen or k == "_step"}
                    for row in rows
                    if not chosen.isdisjoint(row)
                ]
            cursor = found[-1][0] + 1
            yield _event("rows", {"rows": rows, "next_min_step": cursor})
            last_sent = time.monotonic()
        current = {field: info[field] for field in _RUN_FIELDS} if info else None
        if current is not None and current != last_run:
            last_run = current
            yield _event("run", current)
            last_sent = time.monotonic()
        if len(found) == ROWS_PER_EVENT:
            continue  # more rows are waiting: send them before sleeping
        if current is None or current["state"] in _DONE:
            yield _event("end", {"state": current["state"] if current else None})
            return
        if time.monotonic() - last_sent >= KEEP_ALIVE_SECONDS:
            yield b": keep-alive\n\n"
            last_sent = time.monotonic()
        await asyncio.sleep(poll)


def _read(
    services: Services, key: runs.RunKey, pk: int, cursor: int | None
) -> tuple[list[tuple[int, dict[str, Any]]], dict[str, Any] | None]:
    with read_connection(services.engine) as conn:
        found = history.read_rows(conn, pk, cursor, None, ROWS_PER_EVENT)
        row = runs.get_run(conn, key)
    info = runs.run_info(row, time.time(), services.config.crash_after) if row else None
    return found, info
