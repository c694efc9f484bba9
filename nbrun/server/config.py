"""The server's settings and where it keeps its data by default."""

from __future__ import annotations

import contextlib
import dataclasses
import ipaddress
import os
import re
import socket
from pathlib import Path

from nbrun.paths import data_dir
from nbrun.protocol.limits import MAX_BATCH_BYTES

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8730
DEFAULT_CRASH_AFTER = 300.0
# A full-access key shorter than this is refused at start: an empty or short key (a shell slip
# like ``--api-key "$UNSET"``) would let anyone in.
MIN_KEY_CHARS = 16
# How long a read token (the ``nbrr_`` tokens in iframe URLs) stays valid after it is made.
DEFAULT_READ_TOKEN_DAYS = 90.0


def key_problem(key: str, what: str) -> str | None:
    """Why ``key`` cannot be a full-access key (``what`` names where it came from), or None.
    The message never shows the key itself."""
    if not key:
        return f"{what} is empty"
    if not key.strip():
        return f"{what} is only whitespace"
    if key != key.strip():
        return f"{what} starts or ends with whitespace (a Bearer header could never match it)"
    if len(key) < MIN_KEY_CHARS:
        return (
            f"{what} is {len(key)} characters long; keys must have at least {MIN_KEY_CHARS} "
            "(make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    return None


def sqlite_path(db_url: str) -> Path | None:
    """The file of a ``sqlite:///PATH`` URL (None for other databases and in-memory ones)."""
    if not db_url.startswith("sqlite:"):
        return None
    from sqlalchemy.engine import make_url

    database = make_url(db_url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).expanduser()


def prepare_private_files(db_url: str, storage_dir: Path) -> None:
    """Create what the server creates for itself owner-only: the folders of a SQLite database
    and of the blobs 0700, the database file 0600 (its -wal/-shm files take that mode). They
    hold every logged value and the tokens. Existing folders and files are left as they are."""
    path = sqlite_path(db_url)
    for folder in ([path.parent] if path is not None else []) + [storage_dir]:
        # Every folder made here is 0700, parents too (mkdir(parents=True) makes them 0755).
        missing = [f for f in (folder, *folder.parents) if not f.exists()]
        for made in reversed(missing):
            with contextlib.suppress(FileExistsError):  # another process made it meanwhile
                made.mkdir(mode=0o700)
    if path is not None:
        with contextlib.suppress(FileExistsError):
            # An empty file is an empty SQLite database; SQLite would create it 0644.
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def default_db_url() -> str:
    return f"sqlite:///{data_dir() / 'nbrun.db'}"


def default_storage_dir() -> Path:
    return data_dir() / "storage"


_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


def parse_s3_url(url: str) -> tuple[str, str]:
    """``(bucket, prefix)`` of ``s3://bucket[/prefix]`` (prefix without outer ``/``);
    ``ValueError`` naming the problem otherwise."""
    if not url.startswith("s3://"):
        raise ValueError(f"refusing to start: storage URL {url!r} is not s3://bucket/prefix")
    bucket, _, prefix = url.removeprefix("s3://").partition("/")
    if not _BUCKET.fullmatch(bucket):
        raise ValueError(
            f"refusing to start: {bucket!r} in {url!r} is not an S3 bucket name (3 to 63 "
            "lowercase letters, digits, '.' and '-')"
        )
    prefix = prefix.strip("/")
    if prefix and any(part in ("", ".", "..") for part in prefix.split("/")):
        raise ValueError(f"refusing to start: prefix {prefix!r} in {url!r} has empty or dot parts")
    return bucket, prefix


def storage_from_arg(value: str) -> tuple[Path, str | None]:
    """``(storage_dir, storage_url)`` of a ``--storage`` value: a folder, or an ``s3://`` URL
    (uploads then spool in the default storage folder)."""
    if "://" in value:
        parse_s3_url(value)
        return default_storage_dir(), value
    return Path(value), None


def default_state_file() -> Path:
    return data_dir() / "server.json"


def is_loopback(host: str) -> bool:
    """True when ``host`` (a name or an address) only listens on this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(i[4][0]).is_loopback for i in infos)


@dataclasses.dataclass
class ServerConfig:
    """What one server process serves and how.

    ``api_keys`` are full-access keys; ``token`` is one more (the loopback server's generated
    key). ``crash_after``: seconds without a heartbeat after which a running run reads as crashed.
    ``read_token_days``: the lifetime of new read tokens. ``docs``: serve ``/docs``, ``/redoc``
    and ``/openapi.json`` (None: only when bound to loopback). ``storage_url``: keep blobs in
    S3-compatible storage (``s3://bucket/prefix``) rather than under ``storage_dir``, which then
    only spools uploads.
    """

    db_url: str = dataclasses.field(default_factory=default_db_url)
    storage_dir: Path = dataclasses.field(default_factory=default_storage_dir)
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    api_keys: list[str] = dataclasses.field(default_factory=list)
    token: str | None = None
    crash_after: float = DEFAULT_CRASH_AFTER
    max_body_bytes: int = MAX_BATCH_BYTES
    read_token_days: float = DEFAULT_READ_TOKEN_DAYS
    docs: bool | None = None
    storage_url: str | None = None

    @property
    def serve_docs(self) -> bool:
        return is_loopback(self.host) if self.docs is None else self.docs

    @property
    def full_keys(self) -> list[str]:
        return [*self.api_keys, *([self.token] if self.token else [])]

    def check(self) -> None:
        """Raise ``ValueError`` with the reason when this configuration must not start."""
        named = [(key, f"API key {n}") for n, key in enumerate(self.api_keys, 1)]
        for key, what in named + ([(self.token, "the token")] if self.token is not None else []):
            problem = key_problem(key, what)
            if problem:
                raise ValueError(f"refusing to start: {problem}")
        if not is_loopback(self.host) and not self.api_keys:
            raise ValueError(
                f"refusing to listen on {self.host}: it is reachable from other machines and no "
                "API key is configured; pass --api-key KEY (or set NBRUN_SERVER_API_KEYS), or "
                "bind 127.0.0.1"
            )
        if not self.full_keys:
            raise ValueError("no API key or token configured: nothing could authenticate")
        if self.crash_after <= 0:
            raise ValueError("crash_after must be a positive number of seconds")
        if not self.read_token_days > 0:
            raise ValueError("read_token_days must be a positive number of days")
        if self.storage_url is not None:
            parse_s3_url(self.storage_url)

    @property
    def storage(self) -> str:
        """Where blobs are kept, as the state file and ``status`` show it."""
        return self.storage_url or str(self.storage_dir)
