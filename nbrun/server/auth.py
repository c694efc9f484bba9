"""Who may do what: full-access API keys (and the loopback token), run-scoped read tokens, and
the dashboard's session cookies.

Session cookies are signed with a key derived from the server's random session secret (stored
in the database, shared by every process on it) and the API key that logged in: every process
accepts the others' cookies, removing a key ends its sessions, and knowing a key alone (say an
empty one) is not enough to forge a cookie.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import secrets
import time
from base64 import urlsafe_b64encode

from fastapi import HTTPException
from sqlalchemy import Connection, Engine, insert, select

from nbrun.server import schema
from nbrun.server.config import DEFAULT_READ_TOKEN_DAYS
from nbrun.server.db import read_connection, upsert, write_transaction

READ_TOKEN_PREFIX = "nbrr_"
SESSION_COOKIE = "nbrun_session"
SESSION_SECONDS = 7 * 24 * 3600
# s1 cookies were signed with the API key itself; they no longer verify (log in again).
_SESSION_VERSION = "s2"
SESSION_SECRET_NAME = "session"
# A read token found valid is trusted this long without asking the database again: a token
# revoked with `nbrun server tokens revoke` stops working on running servers within it.
READ_TOKEN_CACHE_SECONDS = 2.0
_READ_CACHE_MAX = 10_000


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


def token_id(token_hash: str) -> str:
    """The short id ``nbrun server tokens`` shows for a stored read token."""
    return token_hash[:12]


def new_session_secret() -> bytes:
    return secrets.token_bytes(32)


def session_secret(conn: Connection) -> bytes:
    """The random secret session cookies are signed with: made once per database (by the
    migration, or here if it went missing) and read by every server process on it."""
    t = schema.server_secrets
    query = select(t.c.value).where(t.c.name == SESSION_SECRET_NAME)
    found = conn.execute(query).scalar()
    if found is None:
        row = {
            "name": SESSION_SECRET_NAME,
            "value": new_session_secret(),
            "created_at": time.time(),
        }
        conn.execute(upsert(conn, t).values(row).on_conflict_do_nothing(index_elements=["name"]))
        found = conn.execute(query).scalar_one()  # another process's, if it won the race
    return bytes(found)


def _mac(key: bytes, body: str) -> str:
    digest = hmac.new(key, b"nbrun-session:" + body.encode(), hashlib.sha256).digest()
    return urlsafe_b64encode(digest).rstrip(b"=").decode()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclasses.dataclass(frozen=True)
class _CachedToken:
    run_pk: int
    expires_at: float
    checked_at: float


class Authenticator:
    """Checks ``Authorization: Bearer`` headers against full keys and stored read tokens.
    ``read_token_days``: the lifetime of the read tokens it makes."""

    def __init__(
        self,
        full_keys: list[str],
        engine: Engine,
        read_token_days: float = DEFAULT_READ_TOKEN_DAYS,
    ) -> None:
        if any(not key.strip() for key in full_keys):
            raise ValueError("an API key is empty")  # ServerConfig.check() says which
        self._full = [k.encode("utf-8", "surrogatepass") for k in full_keys]
        self._engine = engine
        self._read_token_seconds = read_token_days * 86400.0
        self._read_cache: dict[str, _CachedToken] = {}
        with write_transaction(engine) as conn:
            secret = session_secret(conn)
        # One signing key per API key: a cookie names no key, it verifies under one of these.
        self._session_keys = [
            hmac.new(secret, b"nbrun-session-key:" + key, hashlib.sha256).digest()
            for key in self._full
        ]

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
            run_pk = self._read_token_run(token, time.time())
            if run_pk is not None:
                return Principal(full=False, run_pk=run_pk)
        raise HTTPException(
            401, "invalid token: not an API key of this server", {"WWW-Authenticate": "Bearer"}
        )

    def is_full_key(self, token: str) -> bool:
        return self._full_key_index(token) is not None

    def _full_key_index(self, token: str) -> int | None:
        raw = token.encode("utf-8", "surrogatepass")
        found = None
        for n, key in enumerate(self._full):  # no early exit: the time says nothing
            if hmac.compare_digest(raw, key):
                found = n
        return found

    def create_session(self, token: str, now: float | None = None) -> str:
        """A session cookie value for someone who showed the full key ``token``.

        Signed with HMAC(session secret, that key), so every server process on the same
        database accepts it and removing the key ends its sessions; nothing else is stored.
        """
        index = self._full_key_index(token)
        if index is None:
            raise HTTPException(401, "invalid token: not an API key of this server")
        expires = int((time.time() if now is None else now) + SESSION_SECONDS)
        body = f"{_SESSION_VERSION}.{expires}.{secrets.token_urlsafe(12)}"
        return f"{body}.{_mac(self._session_keys[index], body)}"

    def authenticate_session(self, cookie: str, now: float | None = None) -> Principal:
        """The full-access principal of a valid, unexpired session cookie; 401 otherwise."""
        body, _, mac = cookie.rpartition(".")
        version, _, rest = body.partition(".")
        expires, _, _nonce = rest.partition(".")
        valid = version == _SESSION_VERSION and expires.isdigit() and bool(mac)
        if valid and int(expires) < (time.time() if now is None else now):
            raise HTTPException(401, "session expired: log in again")
        if valid and any(hmac.compare_digest(mac, _mac(key, body)) for key in self._session_keys):
            return Principal(full=True)
        raise HTTPException(401, "invalid session cookie: log in again")

    def _read_token_run(self, token: str, now: float) -> int | None:
        """The run a read token reads (None: no such token); 401 once expired or revoked."""
        digest = _digest(token)
        cached = self._read_cache.get(digest)
        if cached is None or now - cached.checked_at > READ_TOKEN_CACHE_SECONDS:
            cached = self._lookup_read_token(digest, now)
            if cached is None:
                return None
        if now >= cached.expires_at:
            self._read_cache.pop(digest, None)
            when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(cached.expires_at))
            raise HTTPException(
                401,
                f"read token expired on {when}: ask for a new one (run.display() makes one)",
                {"WWW-Authenticate": "Bearer"},
            )
        return cached.run_pk

    def _lookup_read_token(self, digest: str, now: float) -> _CachedToken | None:
        t = schema.read_tokens
        query = select(t.c.run_pk, t.c.created_at, t.c.expires_at, t.c.revoked_at)
        with read_connection(self._engine) as conn:
            row = conn.execute(query.where(t.c.token_hash == digest)).first()
        if row is None:
            self._read_cache.pop(digest, None)
            return None
        if row.revoked_at is not None:
            self._read_cache.pop(digest, None)
            raise HTTPException(
                401,
                "read token was revoked: ask for a new one (run.display() makes one)",
                {"WWW-Authenticate": "Bearer"},
            )
        # A row without expires_at was written by an older server process sharing this database.
        expires = row.expires_at
        if expires is None:
            expires = row.created_at + self._read_token_seconds
        if len(self._read_cache) >= _READ_CACHE_MAX:
            self._read_cache.clear()
        found = _CachedToken(int(row.run_pk), float(expires), now)
        self._read_cache[digest] = found
        return found

    def create_read_token(self, run_pk: int) -> str:
        """A new read-only token for one run, valid for the configured lifetime (only its hash
        is stored)."""
        token = READ_TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = time.time()
        with write_transaction(self._engine) as conn:
            conn.execute(
                insert(schema.read_tokens).values(
                    token_hash=_digest(token),
                    run_pk=run_pk,
                    created_at=now,
                    expires_at=now + self._read_token_seconds,
                )
            )
        return token
