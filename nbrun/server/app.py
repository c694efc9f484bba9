"""The FastAPI application: routes, error shapes and the services they share."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from sqlalchemy.exc import DataError, OperationalError

from nbrun.protocol.http import API_PREFIX, Health
from nbrun.server.auth import Authenticator
from nbrun.server.config import ServerConfig, prepare_private_files
from nbrun.server.dashboard import STATIC_DIR
from nbrun.server.dashboard import create_router as dashboard_router
from nbrun.server.db import make_engine
from nbrun.server.deps import Services
from nbrun.server.migrations import migrate
from nbrun.server.routes import (
    artifact_lineage,
    artifacts,
    blobs,
    events,
    files,
    ingest,
    run_logs,
    runs,
    stream,
    tables,
)
from nbrun.server.store.blob_stores import open_blob_store
from nbrun.server.wire import model_for
from nbrun.version import __version__


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ()))
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def create_app(
    config: ServerConfig, engine: Engine | None = None, dashboard_assets: Path = STATIC_DIR
) -> FastAPI:
    """The server's app for ``config``; migrates the database to the newest schema.
    ``dashboard_assets``: the built dashboard app to serve."""
    config.check()
    if engine is None:
        prepare_private_files(config.db_url, config.storage_dir)
        engine = make_engine(config.db_url)
    migrate(engine)
    docs = config.serve_docs
    app = FastAPI(
        title="nbrun server",
        version=__version__,
        description="Run records in, runs, history and files out (see nbrun.protocol.http).",
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )
    app.state.services = Services(
        config=config,
        engine=engine,
        blobs=open_blob_store(config),
        auth=Authenticator(config.full_keys, engine, config.read_token_days),
    )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": _validation_message(exc)}, status_code=422)

    @app.exception_handler(OperationalError)
    async def _busy(_request: Request, _exc: OperationalError) -> JSONResponse:
        return JSONResponse({"detail": "database unavailable, retry"}, 503, {"Retry-After": "1"})

    @app.exception_handler(DataError)
    async def _bad_value(_request: Request, exc: DataError) -> JSONResponse:
        # e.g. a NUL character or an out-of-range number the database itself refuses
        return JSONResponse({"detail": f"invalid value: {exc.orig}"}, status_code=422)

    @app.get(API_PREFIX + "/health", response_model=model_for(Health), tags=["server"])
    def health() -> dict[str, str]:
        """Liveness (no auth)."""
        return {"status": "ok", "version": __version__}

    app.include_router(ingest.router)
    app.include_router(runs.router)
    app.include_router(files.router)
    app.include_router(tables.router)
    app.include_router(stream.router)
    app.include_router(run_logs.router)
    app.include_router(events.router)
    app.include_router(blobs.router)
    app.include_router(artifacts.router)
    app.include_router(artifact_lineage.router)
    app.include_router(
        dashboard_router(dashboard_assets)
    )  # last: its page paths would match API paths
    return app
