"""Record kinds and payload shapes of the run record log: the one wire format nbrun parts share.

Every record is ``[seq, kind, payload]``: ``seq`` counts from 1 within a log file in write
order, ``kind`` is one of the constants below, ``payload`` a msgpack map.
"""

from __future__ import annotations

import sys
from typing import Any, Final, TypedDict

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

KINDS: Final = frozenset(
    {RUN, CONFIG, HISTORY, SUMMARY, METRIC, FILES, ALERT, PREEMPTING, EXIT, CONSOLE, METADATA}
)


class RunRecord(TypedDict):
    id: str
    entity: str
    project: str
    name: str
    notes: str | None
    tags: list[str]
    group: str | None
    job_type: str | None
    mode: str
    start_time: float
    starting_step: int
    resumed: bool
    sweep_id: str | None
    host: str
    pid: int
    kernel_id: NotRequired[str | None]  # the Jupyter kernel's id (/api/kernels/<id>), if any


class ConfigRecord(TypedDict):
    update: dict[str, Any]
    remove: list[str]


class SummaryRecord(TypedDict):
    update: dict[str, Any]
    remove: list[str]


class MetricRecord(TypedDict):
    name: str
    step_metric: str | None
    step_sync: bool | None
    hidden: bool | None
    summary: list[str] | None
    goal: str | None


class FileEntry(TypedDict):
    path: str  # relative to the run's files/ folder, "/"-separated
    policy: str  # "live" | "now" | "end"


class FilesRecord(TypedDict):
    files: list[FileEntry]


class AlertRecord(TypedDict):
    title: str
    text: str
    level: str
    time: float


class ExitRecord(TypedDict):
    exit_code: int
    time: float
    runtime: float
    summary: dict[str, Any]


class ConsoleRecord(TypedDict):
    stream: str  # "stdout" | "stderr"
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
