"""Noticing runs whose writer died: a server on loopback shares its machine with the processes
that log to it, so it need not wait for their heartbeats to stop (``crash_after``) to know."""

from __future__ import annotations

import socket
import sys
import threading

from sqlalchemy import Engine, select

from nbrun.processes import writer_alive
from nbrun.server import schema
from nbrun.server.db import read_connection, write_transaction
from nbrun.server.store import runs

WATCH_SECONDS = 5.0


def mark_dead_writers(engine: Engine) -> list[runs.RunKey]:
    """Mark crashed every live run written on this machine whose writer process is gone
    without an exit record; returns the runs marked."""
    r = schema.runs
    host = socket.gethostname()
    query = select(r.c.entity, r.c.project, r.c.run_id, r.c.state_blob).where(
        r.c.state.in_(("running", "preempting")), r.c.host == host
    )
    with read_connection(engine) as conn:
        candidates = [
            (row.entity, row.project, row.run_id)
            for row in conn.execute(query)
            if not _alive(runs.load_state(bytes(row.state_blob)).run)
        ]
    marked = []
    for key in candidates:
        with write_transaction(engine) as conn:
            locked = runs.lock_run(conn, key)
            if locked is None:
                continue
            state = runs.load_state(locked.state_blob)
            # Checked again under the lock: a resumed session may have arrived meanwhile.
            if state.exit is not None or state.crashed or _alive(state.run):
                continue
            state.crashed = True
            runs.save_state(conn, locked, key, state, locked.acked_seq, heartbeat=None)
            marked.append(key)
    return marked


def _alive(run: dict[str, object]) -> bool:
    return writer_alive(run.get("host"), run.get("pid"))


def start_writer_watch(engine: Engine, interval: float = WATCH_SECONDS) -> threading.Event:
    """Check every ``interval`` seconds from a daemon thread; set the returned event to stop."""
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(interval):
            try:
                mark_dead_writers(engine)
            except Exception as exc:  # a busy database now is no reason to stop watching
                print(f"nbrun server: checking run writers failed: {exc}", file=sys.stderr)

    threading.Thread(target=watch, name="nbrun-writer-watch", daemon=True).start()
    return stop
