"""Server-sent events: what ``GET R/stream`` and ``GET /api/v1/events`` send, event by event.

Each event is ``event: <name>`` with ``data: <JSON payload>`` (non-finite floats spelled as in
:mod:`nbrun.protocol.http`). The dashboard and the JupyterLab extension read these shapes
(``labextension/src/http_api.ts``, kept in step by
``tests/unit/protocol/test_typescript_mirror.py``).
"""

from __future__ import annotations

from typing import Any, Final, TypedDict

from nbrun.protocol.http import Alerts, ConsoleLines, RunInfo


class StreamRows(TypedDict):
    """``rows``: new history rows, whole (nested values as logged), in step order."""

    rows: list[dict[str, Any]]
    next_min_step: int  # pass as ``min_step`` to go on from here


class StreamRun(TypedDict):
    """``run``: the fields of ``RunInfo`` that change while a run goes on, when one did."""

    state: str
    exit_code: int | None
    last_step: int | None
    history_rows: int
    summary: dict[str, Any]
    end_time: float | None


class StreamEnd(TypedDict):
    """``end``: the run is over (or gone: ``state`` None); the stream closes."""

    state: str | None


# Events of GET R/stream, by name.
RUN_STREAM_EVENTS: Final[dict[str, type]] = {
    "rows": StreamRows,
    "console": ConsoleLines,
    "alerts": Alerts,
    "run": StreamRun,
    "end": StreamEnd,
}
# Events of GET /api/v1/events (the change feed of runs), by name: a whole RunInfo each.
RUN_FEED_EVENTS: Final[dict[str, type]] = {"run": RunInfo}
