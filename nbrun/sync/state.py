"""How far a run's record log has been uploaded: kept next to the log, so a later sender
(the next session, or ``nbrun sync``) carries on where the last one stopped."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import orjson

from nbrun.record.framing import HEADER_SIZE

STATE_FILE = "sync.json"


@dataclasses.dataclass
class SyncState:
    """Upload progress of one run directory."""

    offset: int = HEADER_SIZE  # log offset up to which every record is acknowledged
    acked_seq: int = 0  # the server's acknowledgement
    synced: bool = False  # the exit record is acknowledged and the files uploaded
    base_url: str | None = None
    uploaded: dict[str, list[int]] = dataclasses.field(
        default_factory=dict
    )  # path: [mtime_ns, size]
    # Records the backend refused: how many, and the latest few ({"seq", "kind", "reason"}).
    refused_count: int = 0
    refused: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    # Whether the backend's own record of this run id was checked before the first upload (a
    # run that started without knowing it, offline or with the backend away, must not have its
    # records taken for ones the backend already holds), and the shift that check decided.
    reconciled: bool = False
    seq_offset: int = 0
    step_offset: int = 0
    crash_reported: bool = False  # the backend was told the run crashed

    @classmethod
    def load(cls, run_dir: Path) -> SyncState:
        path = run_dir / STATE_FILE
        try:
            data: dict[str, Any] = orjson.loads(path.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return cls()
        fields = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in fields})

    def save(self, run_dir: Path) -> None:
        path = run_dir / STATE_FILE
        temporary = path.with_name(f".{STATE_FILE}.tmp")
        temporary.write_bytes(orjson.dumps(dataclasses.asdict(self)))
        os.replace(temporary, path)
