"""What every route needs: the server's services and the authenticated caller."""

from __future__ import annotations

import dataclasses
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine

from nbrun.server.auth import Authenticator, Principal
from nbrun.server.config import ServerConfig
from nbrun.server.store.files import BlobStore


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
    return get_services(request).auth.authenticate(request.headers.get("authorization"))


ServicesDep = Annotated[Services, Depends(get_services)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
