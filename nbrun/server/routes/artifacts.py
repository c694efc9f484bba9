"""Artifact reads: a project's collections, an artifact's versions, one version with its
manifest, an entry's bytes, and the versions a run logged and used.

A project's artifacts are read with a full key (or a session), as its run listing is: a read
token is scoped to one run and may read only that run's ``R/artifacts`` summary.
"""

from __future__ import annotations

import functools
import mimetypes
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, HTTPException, Query, Request, Response

from nbrun.protocol.artifacts import entry_path_problem, name_problem
from nbrun.protocol.http import (
    API_PREFIX,
    ArtifactCollections,
    ArtifactVersion,
    ArtifactVersions,
    RunArtifacts,
)
from nbrun.server.db import read_connection
from nbrun.server.deps import PrincipalDep, ReadableRunDep, Services, ServicesDep
from nbrun.server.routes.files import SAFE_HEADERS
from nbrun.server.routes.runs import R
from nbrun.server.store import artifacts
from nbrun.server.store.blobs import BlobMissingError, BlobStore
from nbrun.server.wire import Entity, Project, model_for, respond

router = APIRouter(prefix=API_PREFIX, tags=["artifacts"])
A = "/artifacts/{entity}/{project}"
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such artifact, version or file"}
}


def _path(entity: str, project: str, name: str) -> tuple[str, str, str]:
    problem = name_problem(name)
    if problem is not None:
        raise HTTPException(422, problem)
    return entity, project, name


def _version(services: Services, path: tuple[str, str, str], version: str) -> dict[str, Any]:
    """The version ``version`` names (with its ``_manifest``); 404 naming both otherwise."""
    with read_connection(services.engine) as conn:
        found = artifacts.find_version(conn, path, version)
        exists = found is not None or artifacts.collection_exists(conn, path)
    shown = "/".join(path)
    if not exists:
        raise HTTPException(404, f"artifact {shown!r} not found")
    if found is None:
        raise HTTPException(404, f"artifact {shown!r} has no version or alias {version!r}")
    return found


@functools.lru_cache(maxsize=8)
def _manifest(blobs: BlobStore, sha256: str) -> dict[str, Any]:
    """A manifest blob, parsed (content-addressed: a cached copy never goes stale)."""
    manifest: dict[str, Any] = orjson.loads(blobs.read_bytes(sha256))
    return manifest


def _read_manifest(services: Services, found: dict[str, Any]) -> dict[str, Any]:
    try:
        return _manifest(services.blobs, found["_manifest"])
    except BlobMissingError:
        shown = f"{found['entity']}/{found['project']}/{found['name']}:{found['version']}"
        raise HTTPException(
            404, f"the manifest of artifact {shown!r} is missing from storage"
        ) from None


@router.get(A, response_model=model_for(ArtifactCollections))
def list_collections(
    request: Request,
    entity: Entity,
    project: Project,
    services: ServicesDep,
    principal: PrincipalDep,
    type: Annotated[str | None, Query(max_length=128, description="only this type")] = None,
) -> Response:
    """The project's artifacts by name, each with its type and number of versions."""
    principal.require_full()
    with read_connection(services.engine) as conn:
        found = artifacts.list_collections(conn, entity, project, type)
    return respond(request, {"artifacts": found})


@router.get(A + "/{name}", response_model=model_for(ArtifactVersions), responses=_NOT_FOUND)
def list_versions(
    request: Request,
    entity: Entity,
    project: Project,
    name: str,
    services: ServicesDep,
    principal: PrincipalDep,
) -> Response:
    """The artifact's versions, newest first."""
    principal.require_full()
    path = _path(entity, project, name)
    with read_connection(services.engine) as conn:
        found = artifacts.list_versions(conn, path)
    if found is None:
        raise HTTPException(404, f"artifact {'/'.join(path)!r} not found")
    return respond(request, {"versions": found})


@router.get(
    A + "/{name}/{version}", response_model=model_for(ArtifactVersion), responses=_NOT_FOUND
)
def get_version(
    request: Request,
    entity: Entity,
    project: Project,
    name: str,
    version: str,
    services: ServicesDep,
    principal: PrincipalDep,
) -> Response:
    """One version (``v3``, an alias such as ``latest``, or a digest) with its manifest."""
    principal.require_full()
    found = _version(services, _path(entity, project, name), version)
    found["manifest"] = _read_manifest(services, found)
    found.pop("_manifest")
    return respond(request, found)


@router.get(
    A + "/{name}/{version}/files/{path:path}",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}, **_NOT_FOUND},
)
def get_entry(
    entity: Entity,
    project: Project,
    name: str,
    version: str,
    path: str,
    services: ServicesDep,
    principal: PrincipalDep,
) -> Response:
    """The bytes of the version's entry ``path`` (a reference entry's bytes are elsewhere)."""
    principal.require_full()
    problem = entry_path_problem(path)
    if problem is not None:
        raise HTTPException(422, f"file {problem}")
    found = _version(services, _path(entity, project, name), version)
    shown = f"{entity}/{project}/{name}:{found['version']}"
    entry = _read_manifest(services, found)["contents"].get(path)
    if entry is None:
        raise HTTPException(404, f"artifact {shown!r} has no file {path!r}")
    sha = entry.get("sha256")
    if not sha:
        ref = entry.get("ref")
        raise HTTPException(
            404, f"file {path!r} of artifact {shown!r} is a reference to {ref}: not stored here"
        )
    media_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
    try:
        return services.blobs.response(sha, media_type, SAFE_HEADERS | {"ETag": sha})
    except BlobMissingError:
        raise HTTPException(
            404, f"file {path!r} of artifact {shown!r} is missing from storage"
        ) from None


@router.get(R + "/artifacts", response_model=model_for(RunArtifacts))
def get_run_artifacts(request: Request, run: ReadableRunDep, services: ServicesDep) -> Response:
    """The versions the run logged and those it used (uses of versions not committed yet are
    left out until they are)."""
    with read_connection(services.engine) as conn:
        found = artifacts.run_artifacts(conn, run.pk)
    return respond(request, found)
