"""``GET /events``: the change feed of runs (created, new steps, state changes) as server-sent
events, for the dashboard's run lists and the JupyterLab side panel.

Like the run stream, each server process polls the database for its own listeners, so every
server behind one database sees every run's changes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from nbrun.protocol.http import API_PREFIX, MAX_PATH_NAME_CHARS, PATH_NAME_PATTERN
from nbrun.server.db import read_connection
from nbrun.server.deps import PrincipalDep, Services, ServicesDep
from nbrun.server.routes.stream import KEEP_ALIVE_SECONDS
from nbrun.server.store import runs
from nbrun.server.wire import SSE_HEADERS, SSE_KEEP_ALIVE, sse_event

router = APIRouter(prefix=API_PREFIX, tags=["runs"])
# Changes are looked for this far back on every poll: a write transaction may commit a while
# after it stamped ``changed_at``, and servers sharing a database have clocks of their own.
# What was already sent is recognised and not sent again.
LOOK_BACK_SECONDS = 10.0

Name = Annotated[
    str | None, Query(min_length=1, max_length=MAX_PATH_NAME_CHARS, pattern=PATH_NAME_PATTERN)
]


@router.get(
    "/events",
    responses={200: {"content": {"text/event-stream": {}}, "description": "event stream"}},
)
async def run_events(
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    entity: Name = None,
    project: Name = None,
    since: Annotated[
        float | None,
        Query(ge=0, le=1e11, description="server time (s); default: the last few seconds"),
    ] = None,
    poll: Annotated[float, Query(ge=0.05, le=10.0, description="seconds between checks")] = 1.0,
) -> StreamingResponse:
    """``run`` events, each a whole ``RunInfo``, for every run (of ``entity``/``project``
    when given) created or changed from ``since`` on: new steps, summary, state (``crashed``
    too, once heartbeats stop). A run changed several times between two polls is sent once,
    as it is then. Fetch the list first, then listen: runs changed in the last seconds before
    connecting are sent again, so nothing falls between the two. Full API keys only."""
    principal.require_full()
    if project is not None and entity is None:
        raise HTTPException(422, "project needs entity: pass both, or entity alone")
    start = since if since is not None else time.time() - LOOK_BACK_SECONDS
    return StreamingResponse(
        _events(request, services, entity, project, start, poll),
        media_type="text/event-stream",
        headers=SSE_HEADERS,
    )


async def _events(
    request: Request,
    services: Services,
    entity: str | None,
    project: str | None,
    since: float,
    poll: float,
) -> AsyncIterator[bytes]:
    sent: dict[int, tuple[Any, ...]] = {}  # run pk -> (changed_at, state) when last sent
    last_sent = time.monotonic()
    while not await request.is_disconnected():
        started = time.time()
        changed = await run_in_threadpool(_read_changed, services, entity, project, since, sent)
        for info in changed:
            yield sse_event("run", info)
            last_sent = time.monotonic()
        since = max(since, started - LOOK_BACK_SECONDS)
        if time.monotonic() - last_sent >= KEEP_ALIVE_SECONDS:
            yield SSE_KEEP_ALIVE
            last_sent = time.monotonic()
        await asyncio.sleep(poll)


def _read_changed(
    services: Services,
    entity: str | None,
    project: str | None,
    since: float,
    sent: dict[int, tuple[Any, ...]],
) -> list[dict[str, Any]]:
    """RunInfo of the runs that look different from when they were last sent (and note them
    in ``sent``). Only those are decoded: decoding a run's state is the costly part."""
    now = time.time()
    crash_after = services.config.crash_after
    with read_connection(services.engine) as conn:
        rows = runs.changed_runs(conn, entity, project, since)
    changed = []
    for row in rows:
        signature = (
            row.changed_at,
            runs.effective_state(row.state, row.heartbeat_time, now, crash_after),
        )
        if sent.get(row.pk) != signature:
            sent[row.pk] = signature
            changed.append(runs.run_info(row, now, crash_after))
    return changed
