"""The server's settings and where it keeps its data by default."""

from __future__ import annotations

import dataclasses
import ipaddress
import socket
from pathlib import Path

from nbrun.paths import data_dir

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8730
DEFAULT_CRASH_AFTER = 300.0


def default_db_url() -> str:
    return f"sqlite:///{data_dir() / 'nbrun.db'}"


def default_storage_dir() -> Path:
    return data_dir() / "storage"


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
    """

    db_url: str = dataclasses.field(default_factory=default_db_url)
    storage_dir: Path = dataclasses.field(default_factory=default_storage_dir)
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    api_keys: list[str] = dataclasses.field(default_factory=list)
    token: str | None = None
    crash_after: float = DEFAULT_CRASH_AFTER
    max_body_bytes: int = 512 << 20

    @property
    def full_keys(self) -> list[str]:
        return [*self.api_keys, *([self.token] if self.token else [])]

    def check(self) -> None:
        """Raise ``ValueError`` with the reason when this configuration must not start."""
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
