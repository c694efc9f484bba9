"""Who may do what: full-access API keys (and the loopback token) and run-scoped read tokens."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import secrets
import time

from fastapi import HTTPException
from sqlalchemy import Engine, insert, select

from nbrun.server import schema
from nbrun.server.db import read_connection, write_transaction

READ_TOKEN_PREFIX = "nbrr_"


@dataclasses.dataclass(frozen=True)
class Principal:
    """A caller: ``full`` access, or read access to the one run ``run_pk``."""

    full: bool
    run_pk: int | None = None

    def require_full(self) -> None:
        if not self.full:
            raise HTTPException(403, "this token is read-only and scoped to one run")

    def require_read(self, run_pk: int | None) -> None:
        """Allow reading the run ``run_pk`` (None: it does not exist)."""
        if not self.full and (run_pk is None or run_pk != self.run_pk):
            raise HTTPException(403, "this read token is scoped to another run")


def generate_token() -> str:
    return secrets.token_urlsafe(32)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class Authenticator:
    """Checks ``Authorization: Bearer`` headers against full keys and stored read tokens."""

    def __init__(self, full_keys: list[str], engine: Engine) -> None:
        self._full = [k.encode() for k in full_keys]
        self._engine = engine
        self._read_cache: dict[str, int] = {}

    def authenticate(self, header: str | None) -> Principal:
        if not header:
            raise HTTPException(
                401,
                "missing Authorization header: send 'Authorization: Bearer <token>'",
                headers={"WWW-Authenticate": "Bearer"},
            )
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise HTTPException(
                401,
                "malformed Authorization header: expected 'Bearer <token>'",
                headers={"WWW-Authenticate": "Bearer"},
            )
        raw = token.encode("utf-8", "surrogatepass")
        if any(hmac.compare_digest(raw, key) for key in self._full):
            return Principal(full=True)
        if token.startswith(READ_TOKEN_PREFIX):
            run_pk = self._read_token_run(token)
            if run_pk is not None:
                return Principal(full=False, run_pk=run_pk)
        raise HTTPException(
            401, "invalid token: not an API key of this server", {"WWW-Authenticate": "Bearer"}
        )

    def _read_token_run(self, token: str) -> int | None:
        digest = _digest(token)
        cached = self._read_cache.get(digest)
        if cached is not None:
            return cached
        t = schema.read_tokens
        with read_connection(self._engine) as conn:
            found = conn.execute(select(t.c.run_pk).where(t.c.token_hash == digest)).scalar()
        if found is not None:
            self._read_cache[digest] = int(found)
            return int(found)
        return None

    def create_read_token(self, run_pk: int) -> str:
        """A new read-only token for one run (only its hash is stored)."""
        token = READ_TOKEN_PREFIX + secrets.token_urlsafe(32)
        with write_transaction(self._engine) as conn:
            conn.execute(
                insert(schema.read_tokens).values(
                    token_hash=_digest(token), run_pk=run_pk, created_at=time.time()
                )
            )
        return token
