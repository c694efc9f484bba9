"""``nbrun server tokens list|revoke``: the read tokens a database holds, and revoking them.

Read tokens (``nbrr_...``) are what iframe URLs carry; only their SHA-256 is stored, so a token
is named by a short prefix of that hash (its id). A revoked token stops working on running
servers within ``READ_TOKEN_CACHE_SECONDS``.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from typing import Any

from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from nbrun.server import config as cfg
from nbrun.server import schema
from nbrun.server.auth import token_id
from nbrun.server.db import make_engine, read_connection, write_transaction
from nbrun.server.migrations import SchemaTooNewError, migrate
from nbrun.server.store.runs import find_run_pk

MIN_ID_CHARS = 4


@dataclasses.dataclass(frozen=True)
class TokenInfo:
    """One stored read token, as listed."""

    id: str
    run: str | None  # entity/project/run_id; None if the run is gone
    created_at: float
    expires_at: float
    revoked_at: float | None

    def state(self, now: float) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if now >= self.expires_at else "active"


def list_tokens(conn: Connection) -> list[TokenInfo]:
    """Every stored read token, oldest first."""
    t, r = schema.read_tokens, schema.runs
    query = (
        select(t, r.c.entity, r.c.project, r.c.run_id)
        .select_from(t.outerjoin(r, r.c.pk == t.c.run_pk))
        .order_by(t.c.created_at, t.c.token_hash)
    )
    default_life = cfg.DEFAULT_READ_TOKEN_DAYS * 86400.0
    found = []
    for row in conn.execute(query):
        run = f"{row.entity}/{row.project}/{row.run_id}" if row.entity is not None else None
        expires = row.expires_at if row.expires_at is not None else row.created_at + default_life
        found.append(
            TokenInfo(token_id(row.token_hash), run, row.created_at, expires, row.revoked_at)
        )
    return found


def revoke(
    conn: Connection, *, id_prefix: str | None = None, run: str | None = None, every: bool = False
) -> int:
    """Revoke the token whose id starts with ``id_prefix``, every token of ``run``
    (``entity/project/run_id``), or ``every`` token; returns how many were still unrevoked.
    Raises ``LookupError`` naming what was not found, ``ValueError`` for an ambiguous id."""
    t = schema.read_tokens
    if id_prefix is not None:
        prefix = id_prefix.lower()
        if len(prefix) < MIN_ID_CHARS or any(c not in "0123456789abcdef" for c in prefix):
            raise ValueError(
                f"token id {id_prefix!r} is not an id: use at least {MIN_ID_CHARS} of the hex "
                "characters `nbrun server tokens list` shows"
            )
        matching = select(t.c.token_hash).where(t.c.token_hash.startswith(prefix))
        hashes = list(conn.execute(matching).scalars())
        if not hashes:
            raise LookupError(f"no read token with id {id_prefix}")
        if len(hashes) > 1:
            raise ValueError(f"token id {id_prefix} is ambiguous ({len(hashes)} tokens): give more")
        where: Any = t.c.token_hash == hashes[0]
    elif run is not None:
        parts = run.strip("/").split("/")
        pk = find_run_pk(conn, (parts[0], parts[1], parts[2])) if len(parts) == 3 else None
        if pk is None:
            raise LookupError(f"no run {run} (expected entity/project/run_id)")
        where = t.c.run_pk == pk
    elif every:
        where = t.c.token_hash.is_not(None)
    else:
        raise ValueError("say which tokens to revoke: an ID, --run or --all")
    done = conn.execute(
        update(t).where(where, t.c.revoked_at.is_(None)).values(revoked_at=time.time())
    )
    return int(done.rowcount)


def _open(db_url: str | None) -> Engine:
    """The engine of ``db_url`` (default: the default server's), migrated; ``OSError`` when a
    SQLite file does not exist (never creates one)."""
    url = db_url or cfg.default_db_url()
    path = cfg.sqlite_path(url)
    if path is not None and not path.is_file():
        raise OSError(f"no nbrun database at {path} (start the server once, or pass --db-url)")
    engine = make_engine(url)
    migrate(engine)  # what the server does on start: older databases lack token lifetimes
    return engine


def _shown(db_url: str | None) -> str:
    url = make_url(db_url or cfg.default_db_url())
    return url.render_as_string(hide_password=True)


def _when(t: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(t))


def _run_command(args: argparse.Namespace, work: Any) -> int:
    try:
        engine = _open(args.db_url)
    except (OSError, SchemaTooNewError, SQLAlchemyError, ValueError) as e:
        print(f"nbrun server tokens: {e}", file=sys.stderr)
        return 2
    try:
        return int(work(engine))
    except (LookupError, ValueError) as e:
        print(f"nbrun server tokens: {e}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()


def list_command(args: argparse.Namespace) -> int:
    """``nbrun server tokens list``."""

    def work(engine: Engine) -> int:
        with read_connection(engine) as conn:
            found = list_tokens(conn)
        if not found:
            print(f"no read tokens in {_shown(args.db_url)}")
            return 0
        now = time.time()
        width = max(len(info.run or "(deleted run)") for info in found)
        print(f"{'id':<12}  {'run':<{width}}  {'created':<16}  {'expires':<16}  state")
        for info in found:
            run = info.run or "(deleted run)"
            print(
                f"{info.id:<12}  {run:<{width}}  {_when(info.created_at):<16}  "
                f"{_when(info.expires_at):<16}  {info.state(now)}"
            )
        return 0

    return _run_command(args, work)


def revoke_command(args: argparse.Namespace) -> int:
    """``nbrun server tokens revoke``."""
    chosen = [args.id is not None, args.run is not None, args.all]
    if sum(chosen) != 1:
        print("nbrun server tokens revoke: give exactly one of ID, --run or --all", file=sys.stderr)
        return 2

    def work(engine: Engine) -> int:
        with write_transaction(engine) as conn:
            count = revoke(conn, id_prefix=args.id, run=args.run, every=args.all)
        print(f"revoked {count} read token{'s' if count != 1 else ''}")
        return 0

    return _run_command(args, work)
