"""``GET R/stream``: a run's new history rows and changes of state, as server-sent events.

Each server process polls the database for its own listeners, so several stateless servers
behind one database all stream every run, whichever of them the run logs through. Event data is
JSON as the JSON answers write it: NaN and infinities as "NaN", "Infinity", "-Infinity".
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from nbrun.protocol.events import StreamRun
from nbrun.protocol.http import API_PREFIX
from nbrun.server.db import read_connection
from nbrun.server.deps import ReadableRunDep, Services, ServicesDep, authenticate_request
from nbrun.server.routes.run_logs import LineNo
from nbrun.server.routes.runs import R, Step, _split_keys
from nbrun.server.store import alerts, console, history, runs
from nbrun.server.wire import SSE_HEADERS, SSE_KEEP_ALIVE, sse_event

router = APIRouter(prefix=API_PREFIX, tags=["runs"])
ROWS_PER_EVENT = 1000
KEEP_ALIVE_SECONDS = 15.0
_RUN_FIELDS = tuple(StreamRun.__annotations__)  # the contract's "run" event
_DONE = ("finished", "failed", "crashed")
REAUTH_SECONDS = 5.0  # how often an open stream checks its caller's token again


@router.get(
    R + "/stream",
    responses={200: {"content": {"text/event-stream": {}}, "description": "event stream"}},
)
async def stream_run(
    request: Request,
    run: ReadableRunDep,
    services: ServicesDep,
    min_step: Step = None,
    keys: Annotated[str | None, Query(description="comma-separated; default all")] = None,
    poll: Annotated[float, Query(ge=0.05, le=10.0, description="seconds between checks")] = 0.5,
    console_after: LineNo = None,
) -> StreamingResponse:
    """Server-sent events from ``min_step`` on: ``rows`` (``{"rows": [...], "next_min_step":
    n}``, only rows not sent before), ``console`` (new console lines, as ``GET R/console``
    answers, from line ``console_after`` + 1), ``alerts`` (alerts not sent before, as ``GET
    R/alerts``), ``run`` (state, exit_code, last_step, history_rows, summary, end_time,
    whenever one changes), and ``end`` once the run is over and everything is sent. A read
    token may be passed as ``?token=`` (EventSource cannot set headers)."""
    wanted = _split_keys(keys)
    return StreamingResponse(
        _events(
            request, services, run.key, run.pk, _Cursors(min_step, console_after), wanted, poll
        ),
        media_type="text/event-stream",
        headers=SSE_HEADERS,
    )


@dataclasses.dataclass
class _Cursors:
    step: int | None  # the next row's step (min_step)
    line: int | None  # the last console line sent
    alert: int | None = None  # the last alert sent


async def _events(
    request: Request,
    services: Services,
    key: runs.RunKey,
    pk: int,
    cursors: _Cursors,
    wanted: list[str] | None,
    poll: float,
) -> AsyncIterator[bytes]:
    last_run: dict[str, Any] | None = None
    last_sent = last_auth = time.monotonic()
    while not await request.is_disconnected():
        if time.monotonic() - last_auth >= REAUTH_SECONDS:
            # A read token revoked or expired since the stream opened ends it.
            try:
                await run_in_threadpool(authenticate_request, request)
            except HTTPException:
                return
            last_auth = time.monotonic()
        news = await run_in_threadpool(_read, services, key, pk, cursors)
        found, info = news.rows, news.info
        if found:
            rows = [row for _, row in found]
            if wanted is not None:
                chosen = set(wanted)
                rows = [
                    {k: v for k, v in row.items() if k in chosen or k == "_step"}
                    for row in rows
                    if not chosen.isdisjoint(row)
                ]
            cursors.step = found[-1][0] + 1
            yield sse_event("rows", {"rows": rows, "next_min_step": cursors.step})
            last_sent = time.monotonic()
        if news.lines:
            cursors.line = news.lines[-1]["n"]
            yield sse_event("console", {"lines": news.lines, "cursor": cursors.line})
            last_sent = time.monotonic()
        if news.alerts:
            cursors.alert = news.alerts[-1]["n"]
            yield sse_event("alerts", {"alerts": news.alerts})
            last_sent = time.monotonic()
        current = {field: info[field] for field in _RUN_FIELDS} if info else None
        if current is not None and current != last_run:
            last_run = current
            yield sse_event("run", current)
            last_sent = time.monotonic()
        if len(found) == ROWS_PER_EVENT or len(news.lines) == ROWS_PER_EVENT:
            continue  # more are waiting: send them before sleeping
        if current is None or current["state"] in _DONE:
            yield sse_event("end", {"state": current["state"] if current else None})
            return
        if time.monotonic() - last_sent >= KEEP_ALIVE_SECONDS:
            yield SSE_KEEP_ALIVE
            last_sent = time.monotonic()
        await asyncio.sleep(poll)


@dataclasses.dataclass
class _News:
    rows: list[tuple[int, dict[str, Any]]]
    lines: list[dict[str, Any]]
    alerts: list[dict[str, Any]]
    info: dict[str, Any] | None


def _read(services: Services, key: runs.RunKey, pk: int, cursors: _Cursors) -> _News:
    with read_connection(services.engine) as conn:
        # The run first: what it says is over then, the reads below already hold.
        row = runs.get_run(conn, key)
        found = history.read_rows(conn, pk, cursors.step, None, ROWS_PER_EVENT)
        lines = console.read_console(conn, pk, cursors.line, ROWS_PER_EVENT)
        raised = alerts.read_alerts(conn, pk, cursors.alert)
    info = runs.run_info(row, time.time(), services.config.crash_after) if row else None
    return _News(found, lines, raised, info)
