"""Whether a process still runs: the one check the query API, the embedded-server client,
``nbrun sync``, the server's watch on local writers and ``nbrun server status|stop`` share."""

from __future__ import annotations

import os
import socket
from typing import Any


def pid_alive(pid: int, *, own_only: bool = False) -> bool:
    """True while process ``pid`` exists. With ``own_only``, a process of another user (the
    pid reused by someone else) counts as gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return not own_only
    return not _zombie(pid)


def _zombie(pid: int) -> bool:
    # A process that exited but is not reaped yet (a daemon started by this very process)
    # still answers kill(pid, 0); Linux's /proc says it is a zombie ("Z").
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[0] == b"Z"
    except (OSError, IndexError):
        return False


def writer_alive(host: Any, pid: Any) -> bool:
    """False only when the process that writes a run (the host and pid of its run record) is
    known to be gone: it ran on this machine and runs no more. Another machine's process cannot
    be checked from here, so it counts as alive (a backend's heartbeat rule decides)."""
    if host != socket.gethostname():
        return True
    return isinstance(pid, int) and pid > 0 and pid_alive(pid)
