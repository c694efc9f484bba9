"""``POST R/records``: record batches from the client's sender."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.exc import OperationalError

from nbrun.record.http_api import API_PREFIX, MSGPACK_CONTENT_TYPE, BatchAck
from nbrun.server.deps import PrincipalDep, ServicesDep
from nbrun.server.store import ingest
from nbrun.server.wire import Entity, Project, RunId, model_for, respond

router = APIRouter(prefix=API_PREFIX, tags=["ingest"])
_MSGPACK_TYPES = (MSGPACK_CONTENT_TYPE, "application/x-msgpack", "application/octet-stream")
_BATCH_SCHEMA = {
    "type": "object",
    "required": ["records"],
    "properties": {
        "records": {
            "type": "array",
            "items": {"type": "array", "minItems": 3, "maxItems": 3},
            "description": "[seq, kind, payload] records, consecutive sequence numbers",
        }
    },
}


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"batch is larger than {limit} bytes")
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, f"batch is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(
    "/runs/{entity}/{project}/{run_id}/records",
    response_model=model_for(BatchAck),
    responses={
        409: {"description": "the batch starts past acked_seq + 1 (body has acked_seq)"},
        413: {"description": "the batch is too large"},
        415: {"description": "the body is not msgpack"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {MSGPACK_CONTENT_TYPE: {"schema": _BATCH_SCHEMA}},
        }
    },
)
async def post_records(
    request: Request,
    entity: Entity,
    project: Project,
    run_id: RunId,
    services: ServicesDep,
    principal: PrincipalDep,
) -> Response:
    """Apply a msgpack batch of records idempotently; returns the acknowledged sequence."""
    principal.require_full()
    content_type = request.headers.get("content-type", MSGPACK_CONTENT_TYPE).split(";")[0]
    if content_type.strip().lower() not in _MSGPACK_TYPES:
        raise HTTPException(415, f"send the batch as {MSGPACK_CONTENT_TYPE}, not {content_type}")
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("identity", "gzip"):
        raise HTTPException(415, f"unsupported Content-Encoding {encoding!r} (use gzip)")
    limit = services.config.max_body_bytes
    body = await _read_body(request, limit)

    def work() -> int:
        records, live = ingest.decode_batch(body, encoding == "gzip", limit)
        return ingest.apply_batch(services.engine, (entity, project, run_id), records, live)

    try:
        acked = await run_in_threadpool(work)
    except ingest.BadBatchError as e:
        raise HTTPException(e.status, str(e)) from None
    except ingest.SequenceGapError as e:
        return respond(request, {"detail": str(e), "acked_seq": e.acked_seq}, 409)
    except OperationalError as e:
        raise HTTPException(503, "database busy, retry", {"Retry-After": "1"}) from e
    return respond(request, {"acked_seq": acked})
