"""``POST R/records``: record batches from the client's sender."""

from __future__ import annotations

import zlib
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.exc import OperationalError

from nbrun.protocol.http import API_PREFIX, MSGPACK_CONTENT_TYPE, BatchAck
from nbrun.server.deps import PrincipalDep, ServicesDep
from nbrun.server.store import artifact_checks, ingest
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


async def _read_body(request: Request, limit: int, gzipped: bool) -> bytes:
    """The body, inflated as it arrives when ``gzipped``: past ``limit`` bytes (before or after
    inflating) it stops with 413, so a small compressed bomb never becomes a large buffer."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"batch is larger than {limit} bytes")
    too_large = HTTPException(413, f"batch is larger than {limit} bytes uncompressed")
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS) if gzipped else None
    chunks: list[bytes] = []
    size = received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit:
                raise too_large
            if inflater is not None:
                # At most what still fits, plus one byte to tell "exactly full" from "over".
                chunk = inflater.decompress(chunk, limit - size + 1)
                if inflater.unconsumed_tail:
                    raise too_large
            size += len(chunk)
            if size > limit:
                raise too_large
            chunks.append(chunk)
        if inflater is not None:
            tail = inflater.flush()
            size += len(tail)
            if size > limit:
                raise too_large
            chunks.append(tail)
            if not inflater.eof:
                raise HTTPException(400, "body is not valid gzip: it ends early")
    except zlib.error as e:
        raise HTTPException(400, f"body is not valid gzip: {e}") from None
    return b"".join(chunks)


@router.post(
    "/runs/{entity}/{project}/{run_id}/records",
    response_model=model_for(BatchAck),
    responses={
        409: {"description": "the batch starts past acked_seq + 1 (body has acked_seq)"},
        422: {"description": "the batch is malformed, or every new record was refused"},
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
    body = await _read_body(request, limit, encoding == "gzip")

    def work() -> ingest.Applied:
        batch = ingest.decode_batch(body)
        key = (entity, project, run_id)
        # Artifact records whose manifest or blobs are missing or wrong are refused here, before
        # the transaction: reading manifests must not hold the run's lock.
        records = artifact_checks.vet_records(batch.records, services.blobs)
        return ingest.apply_batch(
            services.engine, key, records, batch.live, batch.crashed, services.blobs
        )

    try:
        applied = await run_in_threadpool(work)
    except ingest.BadBatchError as e:
        raise HTTPException(e.status, str(e)) from None
    except ingest.SequenceGapError as e:
        return respond(request, {"detail": str(e), "acked_seq": e.acked_seq}, 409)
    except OperationalError as e:
        raise HTTPException(503, "database busy, retry", {"Retry-After": "1"}) from e
    ack: dict[str, Any] = {"acked_seq": applied.acked_seq}
    if not applied.refused:
        return respond(request, ack)
    ack["refused"] = applied.refused
    if len(applied.refused) < applied.fresh:
        return respond(request, ack)
    # Nothing of the batch was stored. The refusal is final (the acknowledgement moved past
    # those records, so a resend changes nothing): the body says which and why.
    first = applied.refused[0]
    ack["detail"] = (
        f"every record was refused, e.g. record {first['seq']} ({first['kind']}): {first['reason']}"
    )
    return respond(request, ack, 422)
