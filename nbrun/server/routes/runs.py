"""Reading runs: projects, run lists, one run, its history (downsampled series and rows), and
run-scoped read tokens."""

from __future__ import annotations

import time
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from nbrun.protocol.http import (
    API_PREFIX,
    HistoryRows,
    HistorySeries,
    ProjectInfo,
    ReadToken,
    RunInfo,
)
from nbrun.protocol.limits import MAX_KEYS_PER_REQUEST
from nbrun.server.db import read_connection
from nbrun.server.deps import PrincipalDep, ReadableRunDep, Services, ServicesDep
from nbrun.server.downsample import downsample
from nbrun.server.store import history, runs
from nbrun.server.wire import Entity, Project, list_model, model_for, respond

router = APIRouter(prefix=API_PREFIX, tags=["runs"])
R = "/runs/{entity}/{project}/{run_id}"
_STEP = "_step"

Step = Annotated[int | None, Query(ge=0, le=(1 << 63) - 1)]


@router.get("/projects", response_model=list_model("Projects", "projects", ProjectInfo))
def get_projects(request: Request, services: ServicesDep, principal: PrincipalDep) -> Response:
    """Every entity/project with its run count and last activity."""
    principal.require_full()
    with read_connection(services.engine) as conn:
        return respond(request, {"projects": runs.list_projects(conn)})


@router.get("/runs/{entity}/{project}", response_model=list_model("Runs", "runs", RunInfo))
def get_runs(
    request: Request,
    entity: Entity,
    project: Project,
    services: ServicesDep,
    principal: PrincipalDep,
    state: Annotated[list[str] | None, Query(description="repeat or comma-separate")] = None,
    group: Annotated[str | None, Query(max_length=1024)] = None,
    job_type: Annotated[str | None, Query(max_length=1024)] = None,
    tag: Annotated[list[str] | None, Query(description="runs with all these tags")] = None,
    search: Annotated[str | None, Query(max_length=1024)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1 << 31)] = 0,
) -> Response:
    """A project's runs, newest first."""
    principal.require_full()
    states = [s.strip() for part in state or () for s in part.split(",") if s.strip()]
    unknown = sorted(set(states) - set(runs.STATES))
    if unknown:
        raise HTTPException(422, f"unknown state(s) {unknown}; use {', '.join(runs.STATES)}")
    filters = runs.RunFilters(states, group, job_type, list(tag or ()), search, limit, offset)
    with read_connection(services.engine) as conn:
        found = runs.list_runs(conn, entity, project, filters, services.config.crash_after)
    return respond(request, {"runs": found})


@router.get(R, response_model=model_for(RunInfo))
def get_run(
    request: Request,
    run: ReadableRunDep,
    services: ServicesDep,
) -> Response:
    """One run: metadata, state, config, summary and metric definitions."""
    with read_connection(services.engine) as conn:
        row = runs.get_run(conn, run.key)
    if row is None:  # deleted since the check
        raise HTTPException(404, f"run {run.path} not found")
    return respond(request, runs.run_info(row, time.time(), services.config.crash_after))


def _split_keys(keys: str | None) -> list[str] | None:
    if keys is None:
        return None
    found = [k for k in (part.strip() for part in keys.split(",")) if k]
    if len(found) > MAX_KEYS_PER_REQUEST:
        raise HTTPException(422, f"at most {MAX_KEYS_PER_REQUEST} keys per request")
    return found


def _series(
    services: Services,
    pk: int,
    keys: list[str] | None,
    samples: int,
    x: str,
    min_step: int | None,
    max_step: int | None,
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    sampled = False
    with read_connection(services.engine) as conn:
        known = history.scalar_keys(conn, pk)
        if x != _STEP and x not in known:
            return {"series": {}, "sampled": False}
        wanted = [k for k in (keys if keys is not None else list(known)) if k in known and k != x]
        x_steps = x_values = None
        if x != _STEP:
            x_steps, x_values = history.read_points(conn, pk, known[x][0], min_step, max_step)
        for key in wanted[:MAX_KEYS_PER_REQUEST]:
            key_id, kind = known[key]
            steps, values = history.read_points(conn, pk, key_id, min_step, max_step)
            xs: Any = steps
            if x_steps is not None and x_values is not None:
                _, at_y, at_x = np.intersect1d(
                    steps, x_steps, assume_unique=True, return_indices=True
                )
                xs, values = x_values[at_x], values[at_y]
            xs, values, dropped = downsample(xs, values, samples)
            sampled = sampled or dropped
            x_kind = "int" if x == _STEP else known[x][1]
            out[key] = {
                "x": _wire_values(np.asarray(xs, dtype=np.float64), x_kind),
                "y": _wire_values(values, kind),
            }
    return {"series": out, "sampled": sampled}


_INT64_SAFE = float(1 << 62)


def _wire_values(values: Any, kind: str) -> Any:
    """A series' values as a NumPy array where that keeps their kind (floats; ints, when all
    finite and in int64's range), else as Python numbers of their kind: ``respond`` sends
    arrays without a walk in Python, and checks float arrays for NaN and infinities whole."""
    if kind == "float":
        return np.ascontiguousarray(values, dtype=np.float64)
    if kind == "int" and np.isfinite(values).all() and not (np.abs(values) >= _INT64_SAFE).any():
        return np.ascontiguousarray(values, dtype=np.int64)
    return history.plain_values(values, kind)


@router.get(R + "/history", response_model=model_for(HistorySeries))
async def get_history(
    request: Request,
    run: ReadableRunDep,
    services: ServicesDep,
    keys: Annotated[str | None, Query(description="comma-separated; default all")] = None,
    samples: Annotated[int, Query(ge=1, le=100_000)] = 2000,
    x: Annotated[str, Query(min_length=1, max_length=1024)] = _STEP,
    min_step: Step = None,
    max_step: Step = None,
) -> Response:
    """Numeric series, each downsampled to ``samples`` points (first, last, minima and maxima
    kept). ``x`` may be another key: points pair up by step. ``max_step`` is exclusive."""
    started = time.perf_counter()
    wanted = _split_keys(keys)
    result = await run_in_threadpool(
        _series, services, run.pk, wanted, samples, x, min_step, max_step
    )
    response = respond(request, result)
    elapsed = (time.perf_counter() - started) * 1000
    response.headers["Server-Timing"] = f"app;dur={elapsed:.1f}"
    return response


@router.get(R + "/history/rows", response_model=model_for(HistoryRows))
def get_history_rows(
    request: Request,
    run: ReadableRunDep,
    services: ServicesDep,
    keys: Annotated[str | None, Query(description="comma-separated; default all")] = None,
    min_step: Step = None,
    max_step: Step = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> Response:
    """Whole rows in step order from ``min_step`` (the cursor). With ``keys``, rows keep only
    those keys and ``_step``, and rows without any of them are left out (and do not count
    towards ``limit``)."""
    wanted = _split_keys(keys)
    chosen = set(wanted) if wanted is not None else None
    with read_connection(services.engine) as conn:
        found = history.read_rows(conn, run.pk, min_step, max_step, limit + 1, chosen)
    next_min_step = found[limit][0] if len(found) > limit else None
    rows = [row for _, row in found[:limit]]
    if chosen is not None:
        rows = [{k: v for k, v in row.items() if k in chosen or k == _STEP} for row in rows]
    return respond(request, {"rows": rows, "next_min_step": next_min_step})


@router.post(R + "/tokens", response_model=model_for(ReadToken))
def post_token(
    request: Request,
    run: ReadableRunDep,
    services: ServicesDep,
    principal: PrincipalDep,
) -> Response:
    """A read-only token for this run (embedding): it reads this run and nothing else."""
    principal.require_full()
    token = services.auth.create_read_token(run.pk)
    return respond(request, {"token": token, "run": run.path})
