"""Run files: upload (``PUT``), list, download; paths stay inside their run."""

from __future__ import annotations

import contextlib
import mimetypes

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool

from nbrun.protocol.http import API_PREFIX, FileInfo
from nbrun.server.db import read_connection, write_transaction
from nbrun.server.deps import PrincipalDep, ReadableRunDep, ServicesDep
from nbrun.server.routes.runs import R
from nbrun.server.store import files, runs
from nbrun.server.store.blobs import BlobMissingError
from nbrun.server.wire import Entity, Project, RunId, list_model, model_for, respond

router = APIRouter(prefix=API_PREFIX, tags=["files"])
MAX_FILE_BYTES = 16 << 30
# Files are the user's: never let a browser run them as part of the server's origin.
SAFE_HEADERS = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"}


def _clean(path: str) -> str:
    try:
        return files.clean_file_path(path)
    except files.BadPathError as e:
        raise HTTPException(422, str(e)) from None


@router.put(
    R + "/files/{path:path}",
    response_model=model_for(FileInfo),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/octet-stream": {"schema": {"type": "string"}}},
        }
    },
)
async def put_file(
    request: Request,
    entity: Entity,
    project: Project,
    run_id: RunId,
    path: str,
    services: ServicesDep,
    principal: PrincipalDep,
) -> Response:
    """Store the body as the run's file ``path`` (replacing an earlier version)."""
    principal.require_full()
    clean = _clean(path)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FILE_BYTES:
        raise HTTPException(413, f"file is larger than the limit of {MAX_FILE_BYTES} bytes")
    try:
        sha, size = await services.blobs.put_stream(request.stream(), MAX_FILE_BYTES)
    except ValueError as e:
        raise HTTPException(413, str(e)) from None

    def record() -> float:
        with write_transaction(services.engine) as conn:
            pk = runs.ensure_run(conn, (entity, project, run_id))
            return files.record_file(conn, pk, clean, sha, size)

    updated = await run_in_threadpool(record)
    info = {"path": clean, "size": size, "sha256": sha, "updated_at": updated}
    return respond(request, info)


@router.get(R + "/files", response_model=list_model("Files", "files", FileInfo))
def list_files(
    request: Request,
    run: ReadableRunDep,
    services: ServicesDep,
) -> Response:
    """The run's files, by path."""
    with read_connection(services.engine) as conn:
        return respond(request, {"files": files.list_files(conn, run.pk)})


@router.get(
    R + "/files/{path:path}",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def get_file(run: ReadableRunDep, path: str, services: ServicesDep) -> Response:
    """The file's bytes."""
    clean = _clean(path)
    with read_connection(services.engine) as conn:
        found = files.find_file(conn, run.pk, clean)
    if found is not None:
        media_type = mimetypes.guess_type(clean)[0] or "application/octet-stream"
        headers = SAFE_HEADERS | {"ETag": found["sha256"]}
        with contextlib.suppress(BlobMissingError):
            return services.blobs.response(found["sha256"], media_type, headers)
    raise HTTPException(404, f"run {run.path} has no file {clean!r}")
