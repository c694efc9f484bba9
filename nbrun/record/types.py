"""Record kinds and payload shapes of the run record log: the one wire format nbrun parts share.

Every record is ``[seq, kind, payload]``: ``seq`` counts from 1 within a log file in write
order, ``kind`` is one of the constants below, ``payload`` a msgpack map. The TypedDicts are
the definition the server checks payloads against (``PAYLOADS``): a required key must be
there, every key present must have its type; keys a reader can default are ``NotRequired``
(the SDK writes them all).
"""

from __future__ import annotations

import sys
from typing import Any, Final, Literal, TypedDict

if sys.version_info >= (3, 11):
    from typing import NotRequired
else:  # Python 3.10
    from typing_extensions import NotRequired

RUN: Final = "run"  # RunRecord: written first, and again by each resumed session
CONFIG: Final = "config"  # ConfigRecord
HISTORY: Final = "history"  # a history row: user keys plus _step, _runtime, _timestamp
SUMMARY: Final = "summary"  # SummaryRecord: values the user set by hand
METRIC: Final = "metric"  # MetricRecord: a define_metric() call
FILES: Final = "files"  # FilesRecord: files placed under the run's files/ folder
ALERT: Final = "alert"  # AlertRecord
PREEMPTING: Final = "preempting"  # {"time": float}
EXIT: Final = "exit"  # ExitRecord: the run finished
CONSOLE: Final = "console"  # ConsoleRecord: captured stdout/stderr lines
METADATA: Final = "metadata"  # MetadataRecord: where the run runs (nbrun-metadata.json)
ARTIFACT: Final = "artifact"  # ArtifactRecord: an artifact version the run logged (an output)
USE_ARTIFACT: Final = "use_artifact"  # UseArtifactRecord: an artifact version the run used

KINDS: Final = frozenset(
    {
        RUN,
        CONFIG,
        HISTORY,
        SUMMARY,
        METRIC,
        FILES,
        ALERT,
        PREEMPTING,
        EXIT,
        CONSOLE,
        METADATA,
        ARTIFACT,
        USE_ARTIFACT,
    }
)


class RunRecord(TypedDict, total=False):
    """Written first, and again by each resumed session (fields a reader shows or continues)."""

    id: str
    entity: str
    project: str
    name: str | None
    notes: str | None
    tags: list[str] | None
    group: str | None
    job_type: str | None
    mode: str
    start_time: float | None
    starting_step: int
    resumed: bool | None
    sweep_id: str | None
    host: str | None
    pid: int
    kernel_id: str | None  # the Jupyter kernel's id (/api/kernels/<id>), if any


class ConfigRecord(TypedDict, total=False):
    update: dict[str, Any]
    remove: list[str]


class SummaryRecord(TypedDict, total=False):
    update: dict[str, Any]
    remove: list[str]


class MetricRecord(TypedDict):
    name: str
    step_metric: NotRequired[str | None]
    step_sync: NotRequired[bool | None]
    hidden: NotRequired[bool | None]
    summary: NotRequired[list[str] | None]
    goal: NotRequired[str | None]


class FileEntry(TypedDict):
    path: str  # relative to the run's files/ folder, "/"-separated
    policy: str  # "live" | "now" | "end"


class FilesRecord(TypedDict, total=False):
    files: list[FileEntry]


class AlertRecord(TypedDict):
    title: str
    text: str
    level: NotRequired[str]  # INFO when missing
    time: NotRequired[float]  # when the server got it, when missing


class PreemptingRecord(TypedDict, total=False):
    time: float


class ExitRecord(TypedDict):
    exit_code: int  # 32-bit
    time: NotRequired[float]
    runtime: NotRequired[float]
    summary: NotRequired[dict[str, Any]]


class ConsoleRecord(TypedDict):
    stream: Literal["stdout", "stderr"]
    text: str  # whole lines, each ending in "\n" (a very long line may come in pieces)
    time: float


class MetadataRecord(TypedDict, total=False):
    """What ``files/nbrun-metadata.json`` holds; ``program`` is what readers show."""

    program: str | None  # the script's path, a notebook's name, or "<python>"
    host: str | None
    python: str | None
    args: list[str] | None
    cwd: str | None
    git: dict[str, Any] | None


class ArtifactRecord(TypedDict):
    """A version the run logged. Its manifest (``nbrun.protocol.artifacts.Manifest``, JSON) and
    every entry's bytes are blobs named by SHA-256: in the run folder's ``artifacts/blobs``,
    uploaded before the record is sent. The backend numbers versions; logging a digest the
    artifact already has adds the aliases and tags to that version instead.

    With a ``distributed_id`` the record is one part of a distributed version
    (``upsert_artifact`` / ``finish_artifact``): ``digest``, ``manifest``, ``size`` and
    ``files`` describe this run's part only. A part with ``final`` false waits, invisible to
    reads; the first ``final`` record of that (collection, distributed_id) merges the waiting
    parts and its own (``nbrun.protocol.artifacts.merged_contents``: a path in two parts keeps
    the later part's entry), stores the merged manifest, and commits it as a version (numbered
    then, ``latest``; aliases and tags of every part). Parts upserted after that make the next
    distributed version."""

    client_id: str  # unique per logged version object: applying the record twice is a no-op
    name: str
    type: str
    digest: str  # nbrun.protocol.artifacts.manifest_digest of the manifest's contents
    manifest: str  # the manifest JSON's SHA-256
    size: int  # bytes of all entries
    files: int  # entries
    description: NotRequired[str | None]
    metadata: NotRequired[dict[str, Any]]
    aliases: NotRequired[list[str]]  # "latest" is always added by the backend
    tags: NotRequired[list[str]]
    project: NotRequired[str]  # where the version goes, when not the run's project
    time: NotRequired[float]
    distributed_id: NotRequired[str | None]  # a part of a distributed version (see above)
    final: NotRequired[bool]  # with distributed_id: finish the version (finish_artifact)


class UseArtifactRecord(TypedDict):
    """A version the run used as an input, named by its digest (resolved when read, so a use
    may reach the backend before the version it names)."""

    entity: str
    project: str
    name: str
    digest: str
    use_as: NotRequired[str | None]
    time: NotRequired[float]


# The payload shape of each kind but history (a row: user keys plus the int ``_step``).
PAYLOADS: Final[dict[str, type]] = {
    RUN: RunRecord,
    CONFIG: ConfigRecord,
    SUMMARY: SummaryRecord,
    METRIC: MetricRecord,
    FILES: FilesRecord,
    ALERT: AlertRecord,
    PREEMPTING: PreemptingRecord,
    EXIT: ExitRecord,
    CONSOLE: ConsoleRecord,
    METADATA: MetadataRecord,
    ARTIFACT: ArtifactRecord,
    USE_ARTIFACT: UseArtifactRecord,
}
