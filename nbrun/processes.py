"""Whether a process still runs: the one check the query API, the embedded-server client and
``nbrun server status|stop`` share."""

from __future__ import annotations

import os


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
