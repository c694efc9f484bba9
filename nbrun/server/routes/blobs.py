"""Content-addressed blobs: which of a list the server lacks, and uploading one by its SHA-256.

Artifact manifests and entries go up this way before the ``artifact`` record that names them;
the server keeps one copy of identical bytes, whoever sent them.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, HTTPException, Request, Response

from nbrun.protocol.artifacts import is_sha256
from nbrun.protocol.http import API_PREFIX, MAX_BLOBS_PER_QUERY, BlobInfo, BlobList
from nbrun.server.deps import PrincipalDep, ServicesDep
from nbrun.server.routes.files import MAX_FILE_BYTES
from nbrun.server.store.blobs import DigestMismatchError
from nbrun.server.wire import model_for, respond

router = APIRouter(prefix=API_PREFIX, tags=["blobs"])


def _check_sha256(sha256: str) -> None:
    if not is_sha256(sha256):
        raise HTTPException(422, f"{sha256[:80]!r} is not a SHA-256 (64 lowercase hex digits)")


@router.post("/blobs/missing", response_model=model_for(BlobList))
def post_missing(
    request: Request,
    sha256: Annotated[list[str], Body(embed=True, description="SHA-256 hex digests")],
    services: ServicesDep,
    principal: PrincipalDep,
) -> Response:
    """Those of the given SHA-256 the server does not store, in the order given, once each."""
    principal.require_full()
    wanted = sha256
    if len(wanted) > MAX_BLOBS_PER_QUERY:
        raise HTTPException(
            422, f"ask about at most {MAX_BLOBS_PER_QUERY} blobs at once, not {len(wanted)}"
        )
    for sha in wanted:
        _check_sha256(sha)
    missing = services.blobs.missing(dict.fromkeys(wanted))
    return respond(request, {"sha256": missing})


@router.put(
    "/blobs/{sha256}",
    response_model=model_for(BlobInfo),
    responses={422: {"description": "not a SHA-256, or the body hashes to something else"}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/octet-stream": {"schema": {"type": "string"}}},
        }
    },
)
async def put_blob(
    request: Request, sha256: str, services: ServicesDep, principal: PrincipalDep
) -> Response:
    """Store the body as the blob ``sha256``; 422 (and nothing stored) when it hashes to
    anything else."""
    principal.require_full()
    _check_sha256(sha256)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FILE_BYTES:
        raise HTTPException(413, f"blob is larger than the limit of {MAX_FILE_BYTES} bytes")
    try:
        sha, size = await services.blobs.put_stream(request.stream(), MAX_FILE_BYTES, sha256)
    except DigestMismatchError as e:
        raise HTTPException(422, str(e)) from None
    except ValueError as e:
        raise HTTPException(413, str(e)) from None
    return respond(request, {"sha256": sha, "size": size})
