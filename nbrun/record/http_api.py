"""The backend's HTTP API as the client and the server both see it: paths and payload shapes.

Typed once, here, so ``nbrun.sync`` (client) and ``nbrun.server`` never drift apart. All JSON
unless noted; every request but ``/health`` carries ``Authorization: Bearer <token>``.
``R`` stands for ``/api/v1/runs/{entity}/{project}/{run_id}`` (see :func:`run_path`).

- ``GET /api/v1/health`` -> ``Health`` (no auth).
- ``POST R/records``, body a msgpack ``RecordBatch`` (``Content-Type: application/msgpack``,
  optionally ``Content-Encoding: gzip``) -> ``BatchAck``. Applied idempotently by sequence
  number in one transaction; records at or below ``acked_seq`` are skipped; a batch starting
  past ``acked_seq + 1`` gets 409 with ``BatchAck`` so the client resends from there.
- ``GET /api/v1/projects`` -> ``{"projects": [ProjectInfo]}``.
- ``GET /api/v1/runs/{entity}/{project}`` -> ``{"runs": [RunInfo]}``; query ``state``,
  ``group``, ``job_type``, ``tag``, ``search``, ``limit``, ``offset``.
- ``GET R`` -> ``RunInfo``.
- ``GET R/history`` -> ``HistorySeries``; query ``keys`` (comma-separated), ``samples`` (max
  points per series, default 2000; first, last, minima and maxima kept), ``x`` (default
  ``_step``), ``min_step``, ``max_step``.
- ``GET R/history/rows`` -> ``HistoryRows``; query ``keys``, ``min_step`` (inclusive: the
  cursor), ``max_step`` (exclusive), ``limit``.
- ``PUT R/files/{path}``, body the file's bytes -> ``FileInfo``; ``GET R/files`` ->
  ``{"files": [FileInfo]}``; ``GET R/files/{path}`` -> the bytes.
- ``GET R/alerts`` -> ``Alerts``: the run's alerts in the order raised.
- ``GET R/console`` -> ``ConsoleLines``; query ``after`` (a line number: lines after it; the
  cursor of a live tail), ``limit`` (default 1000).
- ``GET R/stream`` -> server-sent events (see ``nbrun.server.routes.stream``): ``rows``,
  ``console`` (``ConsoleLines``), ``alerts`` (``Alerts``), ``run``, ``end``.
- ``POST R/tokens`` -> ``ReadToken``: a read-only token scoped to this run (needs a full key).

Errors are ``{"detail": str}`` with a 4xx status that names what was wrong.
"""

from __future__ import annotations

import sys
from typing import Any, Final, TypedDict

if sys.version_info >= (3, 11):
    from typing import NotRequired
else:  # Python 3.10
    from typing_extensions import NotRequired

API_PREFIX: Final = "/api/v1"
MSGPACK_CONTENT_TYPE: Final = "application/msgpack"
AUTH_HEADER: Final = "Authorization"


def run_path(entity: str, project: str, run_id: str) -> str:
    """The URL path of one run's resource (append ``/records``, ``/history``, ...)."""
    return f"{API_PREFIX}/runs/{entity}/{project}/{run_id}"


class Health(TypedDict):
    status: str  # "ok"
    version: str


class RecordBatch(TypedDict):
    """Records of one run's log, in sequence order; ``records`` may be empty (a heartbeat)."""

    records: list[list[Any]]  # [seq, kind, payload] as in nbrun.record.types
    # Record-log frame bodies as written (msgpack ``[first_seq, [[kind, payload], ...]]``, see
    # nbrun.record.framing): the sender uploads them without decoding. Their records come
    # before ``records``; all of a batch's records are consecutive.
    frames: NotRequired[list[bytes]]
    # False when replaying a log later (``nbrun sync``): the batch is then no heartbeat, so a
    # crashed run stays crashed. Default true.
    live: NotRequired[bool]


class BatchAck(TypedDict):
    acked_seq: int  # the highest sequence number the server has applied for this run


class ProjectInfo(TypedDict):
    entity: str
    project: str
    run_count: int
    last_activity: float | None


class RunInfo(TypedDict):
    id: str
    entity: str
    project: str
    name: str
    notes: str | None
    tags: list[str]
    group: str | None
    job_type: str | None
    state: str  # running | finished | failed | crashed | preempting
    exit_code: int | None
    config: dict[str, Any]
    summary: dict[str, Any]
    metrics: list[dict[str, Any]]  # define_metric definitions (MetricDefinition payloads)
    start_time: float | None
    heartbeat_time: float | None
    end_time: float | None
    host: str | None
    resumed: bool
    sweep_id: str | None
    program: str | None  # the script's path, a notebook's name, or "<python>"
    kernel_id: str | None  # the Jupyter kernel that runs it (/api/kernels/<id>), if any
    last_step: int | None
    history_rows: int
    acked_seq: int


class Series(TypedDict):
    x: list[float]
    y: list[Any]


class HistorySeries(TypedDict):
    series: dict[str, Series]  # by metric key
    sampled: bool  # True when some series had more points than ``samples``


class HistoryRows(TypedDict):
    rows: list[dict[str, Any]]  # whole rows, nested values as logged, in step order
    next_min_step: int | None  # pass as ``min_step`` for the next page; None at the end


class FileInfo(TypedDict):
    path: str
    size: int
    sha256: str
    updated_at: float


class AlertInfo(TypedDict):
    n: int  # 0, 1, ... in the order raised
    time: float
    title: str
    text: str
    level: str  # INFO | WARN | ERROR


class Alerts(TypedDict):
    alerts: list[AlertInfo]


class ConsoleLine(TypedDict):
    n: int  # 0, 1, ...: pass the last one seen as ``after`` to read on
    stream: str  # stdout | stderr
    time: float
    text: str  # one line, without its line break


class ConsoleLines(TypedDict):
    lines: list[ConsoleLine]
    cursor: int | None  # the last line's ``n`` (or the ``after`` given when none is new)


class ReadToken(TypedDict):
    token: str
    run: str  # entity/project/run_id
