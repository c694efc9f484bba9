"""Who may do what: full-access API keys (and the loopback token), run-scoped read tokens, and
the dashboard's session cookies."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import secrets
import time
from base64 import urlsafe_b64encode

from fastapi import HTTPException
from sqlalchemy import Engine, insert, select

from nbrun.server import schema
from nbrun.server.db import read_connection, write_transaction

READ_TOKEN_PREFIX = "nbrr_"
SESSION_COOKIE = "nbrun_session"
SESSION_SECONDS = 7 * 24 * 3600
_SESSION_VERSION = "s1"


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


def _mac(key: bytes, body: str) -> str:
    digest = hmac.new(key, b"nbrun-session:" + body.encode(), hashlib.sha256).digest()
    return urlsafe_b64encode(digest).rstrip(b"=").decode()


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
        if self.is_full_key(token):
            return Principal(full=True)
        if token.startswith(READ_TOKEN_PREFIX):
            run_pk = self._read_token_run(token)
            if run_pk is not None:
                return Principal(full=False, run_pk=run_pk)
        raise HTTPException(
            401, "invalid token: not an API key of this server", {"WWW-Authenticate": "Bearer"}
        )

    def is_full_key(self, token: str) -> bool:
        raw = token.encode("utf-8", "surrogatepass")
        return any(hmac.compare_digest(raw, key) for key in self._full)

    def create_session(self, token: str, now: float | None = None) -> str:
        """A session cookie value for someone who showed the full key ``token``.

        Signed with that key (HMAC), so every server process sharing the keys accepts it and
        removing the key ends its sessions; nothing is stored.
        """
        if not self.is_full_key(token):
            raise HTTPException(401, "invalid token: not an API key of this server")
        expires = int((time.time() if now is None else now) + SESSION_SECONDS)
        body = f"{_SESSION_VERSION}.{expires}.{secrets.token_urlsafe(12)}"
        return f"{body}.{_mac(token.encode('utf-8', 'surrogatepass'), body)}"

    def authenticate_session(self, cookie: str, now: float | None = None) -> Principal:
        """The full-access principal of a valid, unexpired session cookie; 401 otherwise."""
        body, _, mac = cookie.rpartition(".")
        version, _, rest = body.partition(".")
        expires, _, _nonce = rest.partition(".")
        valid = version == _SESSION_VERSION and expires.isdigit() and bool(mac)
        if valid and int(expires) < (time.time() if now is None else now):
            raise HTTPException(401, "session expired: log in again")
        if valid and any(hmac.compare_digest(mac, _mac(key, body)) for key in self._full):
            return Principal(full=True)
        raise HTTPException(401, "invalid session cookie: log in again")

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
