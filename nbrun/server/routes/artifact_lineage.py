"""An artifact version's lineage: the runs that logged and used it, the versions those runs
logged and used, and so on for a few hops (``GET A/{name}/{version}/lineage``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response

from nbrun.protocol.artifacts import name_problem
from nbrun.protocol.http import (
    API_PREFIX,
    LINEAGE_DEFAULT_HOPS,
    LINEAGE_MAX_HOPS,
    LINEAGE_MAX_NODES,
    Lineage,
)
from nbrun.server.db import read_connection
from nbrun.server.deps import PrincipalDep, ServicesDep
from nbrun.server.store import artifact_lineage, artifacts
from nbrun.server.wire import Entity, Project, model_for, respond

router = APIRouter(prefix=API_PREFIX, tags=["artifacts"])


@router.get(
    "/artifacts/{entity}/{project}/{name}/{version}/lineage",
    response_model=model_for(Lineage),
    responses={404: {"description": "no such artifact or version"}},
)
def get_lineage(
    request: Request,
    entity: Entity,
    project: Project,
    name: str,
    version: str,
    services: ServicesDep,
    principal: PrincipalDep,
    hops: Annotated[
        int, Query(ge=1, le=LINEAGE_MAX_HOPS, description="steps away from the version")
    ] = LINEAGE_DEFAULT_HOPS,
) -> Response:
    """The runs and versions within ``hops`` of the version (``v3``, an alias or a digest):
    an edge from each run to the versions it logged, from each version to the runs that used
    it; at most ``LINEAGE_MAX_NODES`` nodes (``truncated`` says some were left out)."""
    principal.require_full()
    problem = name_problem(name)
    if problem is not None:
        raise HTTPException(422, problem)
    path = (entity, project, name)
    with read_connection(services.engine) as conn:
        found = artifacts.find_version(conn, path, version)
        if found is None:
            shown = "/".join(path)
            if not artifacts.collection_exists(conn, path):
                raise HTTPException(404, f"artifact {shown!r} not found")
            raise HTTPException(404, f"artifact {shown!r} has no version or alias {version!r}")
        pk = artifact_lineage.version_pk(conn, entity, project, name, found["digest"])
        assert pk is not None  # found just now, in the same transaction
        answer = artifact_lineage.lineage(conn, pk, hops, LINEAGE_MAX_NODES)
    return respond(request, answer)
