"""``GET R/alerts`` and ``GET R/console``: what a run raised and printed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response

from nbrun.protocol.http import API_PREFIX, Alerts, ConsoleLines
from nbrun.server.db import read_connection
from nbrun.server.deps import ReadableRunDep, ServicesDep
from nbrun.server.routes.runs import R
from nbrun.server.store import alerts, console
from nbrun.server.wire import model_for, respond

router = APIRouter(prefix=API_PREFIX, tags=["runs"])
LineNo = Annotated[int | None, Query(ge=-1, le=(1 << 63) - 1, description="last line seen")]


@router.get(R + "/alerts", response_model=model_for(Alerts))
def get_alerts(
    request: Request,
    run: ReadableRunDep,
    services: ServicesDep,
) -> Response:
    """The run's alerts (``run.alert``), in the order raised."""
    with read_connection(services.engine) as conn:
        found = alerts.read_alerts(conn, run.pk)
    return respond(request, {"alerts": found})


@router.get(R + "/console", response_model=model_for(ConsoleLines))
def get_console(
    request: Request,
    run: ReadableRunDep,
    services: ServicesDep,
    after: LineNo = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    tail: Annotated[int | None, Query(ge=1, le=10_000, description="the last N lines")] = None,
) -> Response:
    """Captured stdout/stderr lines in order, those after line ``after`` (from the start when
    omitted), or the last ``tail`` lines. Pass the answer's ``cursor`` as the next ``after``
    to follow a live run."""
    if tail is not None and after is not None:
        raise HTTPException(422, "pass after or tail, not both")
    with read_connection(services.engine) as conn:
        if tail is not None:
            lines = console.read_console_tail(conn, run.pk, tail)
        else:
            lines = console.read_console(conn, run.pk, after, limit)
    cursor = lines[-1]["n"] if lines else after
    return respond(request, {"lines": lines, "cursor": cursor})
