"""What every route needs: the server's services and the authenticated caller."""

from __future__ import annotations

import dataclasses
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine

from nbrun.server.auth import READ_TOKEN_PREFIX, SESSION_COOKIE, Authenticator, Principal
from nbrun.server.config import ServerConfig
from nbrun.server.db import read_connection
from nbrun.server.store import runs
from nbrun.server.store.blobs import BlobStore
from nbrun.server.wire import Entity, Project, RunId


@dataclasses.dataclass
class Services:
    config: ServerConfig
    engine: Engine
    blobs: BlobStore
    auth: Authenticator


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


# Declared for the OpenAPI schema; the check itself is the Authenticator's (clear 401 messages).
_bearer = HTTPBearer(auto_error=False, description="an API key, the server token or a read token")


def get_principal(
    request: Request,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    return authenticate_request(request)


def authenticate_request(request: Request) -> Principal:
    """The caller of ``request`` (``HTTPException`` 401 otherwise). Long-lived responses (event
    streams) can call it again to notice a read token that expired or was revoked since."""
    header = request.headers.get("authorization")
    query_token = request.query_params.get("token")
    if header is None and query_token and query_token.startswith(READ_TOKEN_PREFIX):
        # Browsers' EventSource and <img> cannot send headers. Only read tokens go in URLs:
        # URLs end up in logs and saved notebooks, full keys must not.
        header = f"Bearer {query_token}"
    auth = get_services(request).auth
    cookie = request.cookies.get(SESSION_COOKIE)
    if header is None and cookie and request.method in ("GET", "HEAD"):
        # The dashboard's login session reads only: a cookie never authorises a write, so a
        # page elsewhere cannot make the browser change anything here (no CSRF).
        return auth.authenticate_session(cookie)
    return auth.authenticate(header)


ServicesDep = Annotated[Services, Depends(get_services)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]


@dataclasses.dataclass(frozen=True)
class ReadableRun:
    """The run a request's path names, which its caller may read."""

    key: runs.RunKey
    pk: int

    @property
    def path(self) -> str:
        return "/".join(self.key)


def get_readable_run(
    entity: Entity,
    project: Project,
    run_id: RunId,
    services: ServicesDep,
    principal: PrincipalDep,
) -> ReadableRun:
    """The path's run if the caller may read it: 403 before 404, so a read token cannot probe
    which other runs exist."""
    key = (entity, project, run_id)
    with read_connection(services.engine) as conn:
        pk = runs.find_run_pk(conn, key)
    principal.require_read(pk)
    if pk is None:
        raise HTTPException(404, f"run {'/'.join(key)} not found")
    return ReadableRun(key, pk)


ReadableRunDep = Annotated[ReadableRun, Depends(get_readable_run)]
