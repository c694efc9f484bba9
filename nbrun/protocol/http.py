"""The backend's HTTP API as the client and the server both see it: paths and payload shapes.

Typed once, here, so ``nbrun.sync`` (client) and ``nbrun.server`` never drift apart. All JSON
unless noted; every request but ``/health`` carries ``Authorization: Bearer <token>``.
``R`` stands for ``/api/v1/runs/{entity}/{project}/{run_id}`` (see :func:`run_path`).

- ``GET /api/v1/health`` -> ``Health`` (no auth).
- ``POST R/records``, body a msgpack ``RecordBatch`` (``Content-Type: application/msgpack``,
  optionally ``Content-Encoding: gzip``; at most ``nbrun.protocol.limits.MAX_BATCH_BYTES``
  inflated, else 413) -> ``BatchAck``. Applied idempotently by sequence number in one
  transaction; records at or below ``acked_seq`` are skipped; a batch starting past
  ``acked_seq + 1`` gets 409 with ``BatchAck`` so the client resends from there. A record that
  breaks a rule of its own (an unknown kind, a malformed payload, a limit) is refused by itself:
  the rest are stored, ``acked_seq`` moves past it, and ``BatchAck.refused`` says which and why.
  When every new record of a batch is refused the answer is 422 with the same ``BatchAck``.
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
- ``GET R/tables/{path}`` -> ``TablePage``: one page of the run's table file ``path`` (a
  ``table-file``'s JSON, see ``nbrun.protocol.media``); query ``offset``, ``limit`` (1 to
  ``MAX_TABLE_PAGE``), ``sort`` (a column name), ``desc``, ``filter`` (text a row must contain).
- ``GET R/alerts`` -> ``Alerts``: the run's alerts in the order raised.
- ``GET R/console`` -> ``ConsoleLines``; query ``after`` (a line number: lines after it; the
  cursor of a live tail), ``limit`` (default 1000).
- ``GET R/stream`` -> server-sent events (see ``nbrun.server.routes.stream``): ``rows``,
  ``console`` (``ConsoleLines``), ``alerts`` (``Alerts``), ``run``, ``end``.
- ``POST R/tokens`` -> ``ReadToken``: a read-only token scoped to this run (needs a full key).
- ``POST /api/v1/blobs/missing`` with ``BlobList`` -> ``BlobList``: those of the given SHA-256
  the server does not store (at most ``MAX_BLOBS_PER_QUERY``); ``PUT /api/v1/blobs/{sha256}``,
  body the bytes -> ``BlobInfo`` (422 when the bytes hash to something else). Artifact blobs
  go up this way before the ``artifact`` record that names them (``nbrun.record.types``).
- ``A`` stands for ``/api/v1/artifacts/{entity}/{project}`` (see :func:`artifacts_path`).
  ``GET A`` -> ``ArtifactCollections``, query ``type``; ``GET A/{name}`` ->
  ``ArtifactVersions`` (newest first); ``GET A/{name}/{version}`` (``v3``, an alias or a
  digest) -> ``ArtifactVersion``; ``GET A/{name}/{version}/files/{path}`` -> an entry's bytes.
- ``GET R/artifacts`` -> ``RunArtifacts``: the versions the run logged and used.
- ``GET A/{name}/{version}/lineage`` -> ``Lineage``: runs and versions within ``hops`` (query,
  1 to ``LINEAGE_MAX_HOPS``) of the version; its 1-hop edges give who logged and used it.

Errors are ``{"detail": str}`` with a 4xx status that names what was wrong.

NaN and infinities: JSON has no literal for them, so every JSON answer and every event's data
writes a non-finite float, wherever it sits (series, rows, summary, config), as the string
``"NaN"``, ``"Infinity"`` or ``"-Infinity"`` (``JSON_NAN``, ``JSON_POS_INF``,
``JSON_NEG_INF``; as W&B's exports and JavaScript's ``Number()`` spell them), never as null.
In JSON a logged string spelled the same cannot be told from the float; msgpack answers
(``Accept: application/msgpack``, what the Python client asks for) keep both exactly.
"""

from __future__ import annotations

import sys
from typing import Any, Final, TypedDict

if sys.version_info >= (3, 11):
    from typing import NotRequired
else:  # Python 3.10
    from typing_extensions import NotRequired

API_PREFIX: Final = "/api/v1"
# Entities, projects and run ids as paths carry them: no "/", "\\" or control characters.
PATH_NAME_PATTERN: Final = r"^[^\x00-\x1f\x7f/\\]+$"
MAX_PATH_NAME_CHARS: Final = 128
MSGPACK_CONTENT_TYPE: Final = "application/msgpack"
AUTH_HEADER: Final = "Authorization"
# Non-finite floats in JSON answers and events (see above).
JSON_NAN: Final = "NaN"
JSON_POS_INF: Final = "Infinity"
JSON_NEG_INF: Final = "-Infinity"


def run_path(entity: str, project: str, run_id: str) -> str:
    """The URL path of one run's resource (append ``/records``, ``/history``, ...)."""
    return f"{API_PREFIX}/runs/{entity}/{project}/{run_id}"


def artifacts_path(entity: str, project: str) -> str:
    """The URL path of a project's artifacts (append ``/{name}``, ``/{name}/{version}``)."""
    return f"{API_PREFIX}/artifacts/{entity}/{project}"


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
    # True when the log ends without an exit record and its writer process is known to be gone
    # (``nbrun sync`` on the writer's host): the run is marked crashed. Default false.
    crashed: NotRequired[bool]


class RefusedRecord(TypedDict):
    seq: int
    kind: str
    reason: str


class BatchAck(TypedDict):
    acked_seq: int  # the highest sequence number the server has applied or refused
    refused: NotRequired[list[RefusedRecord]]  # records of this batch refused, and why


class ProjectInfo(TypedDict):
    entity: str
    project: str
    run_count: int
    last_activity: float | None


class MetricInfo(TypedDict):
    """One ``define_metric`` definition as the server reports it (every field; None: not set).
    A name ending in ``*`` is a glob over key prefixes (see :mod:`nbrun.protocol.keys`)."""

    name: str
    step_metric: str | None
    step_sync: bool | None
    hidden: bool | None
    summary: list[str] | None
    goal: str | None


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
    metrics: list[MetricInfo]  # define_metric definitions
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
    refused_records: int  # records the server refused (see BatchAck.refused)


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


MAX_TABLE_PAGE: Final = 1000  # rows per TablePage at most


class TablePage(TypedDict):
    """A page of a table's rows, filtered (a case-insensitive substring of any cell's text) and
    sorted (numbers by value, then text, then other values; nulls and NaN last either way)."""

    columns: list[str]
    rows: list[list[Any]]  # cells as the table file holds them (media payloads whole)
    index: list[int]  # each row's position in the table file
    offset: int  # of the first row among the filtered, sorted rows
    total: int  # rows that pass the filter
    nrows: int  # rows in the table


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


MAX_BLOBS_PER_QUERY: Final = 1000


class BlobList(TypedDict):
    sha256: list[str]


class BlobInfo(TypedDict):
    sha256: str
    size: int


class ArtifactVersionInfo(TypedDict):
    entity: str
    project: str
    name: str
    type: str
    version: str  # "v0", "v1", ... in the order the backend committed them
    digest: str
    size: int
    files: int
    description: str | None
    metadata: dict[str, Any]
    aliases: list[str]
    tags: list[str]
    created_at: float
    logged_by: str | None  # the logging run as "entity/project/run_id"


class ArtifactVersion(ArtifactVersionInfo):
    manifest: dict[str, Any]  # a nbrun.protocol.artifacts.Manifest


class ArtifactVersions(TypedDict):
    versions: list[ArtifactVersionInfo]


class ArtifactCollectionInfo(TypedDict):
    name: str
    type: str
    versions: int
    updated_at: float


class ArtifactCollections(TypedDict):
    artifacts: list[ArtifactCollectionInfo]


class UsedArtifactInfo(ArtifactVersionInfo):
    use_as: str | None


class RunArtifacts(TypedDict):
    logged: list[ArtifactVersionInfo]
    used: list[UsedArtifactInfo]


LINEAGE_DEFAULT_HOPS: Final = 2
LINEAGE_MAX_HOPS: Final = 4
LINEAGE_MAX_NODES: Final = 200


class LineageNode(TypedDict):
    id: str  # "run:entity/project/run_id" or "artifact:entity/project/name:v3"
    kind: str  # "run" | "artifact"
    entity: str
    project: str
    name: str  # the run's display name, or the artifact's name
    run_id: str | None  # runs only
    state: str | None  # runs only: a RunInfo state
    type: str | None  # versions only
    version: str | None  # versions only: "v3"
    aliases: list[str]  # versions only (empty for runs)


class LineageEdge(TypedDict):
    source: str  # a LineageNode id
    target: str
    kind: str  # "logged" (run -> version) | "used" (version -> run)


class Lineage(TypedDict):
    root: str  # the id of the version asked for
    nodes: list[LineageNode]  # the root first, then in the order reached
    edges: list[LineageEdge]
    truncated: bool  # LINEAGE_MAX_NODES reached: some nodes were left out
