"""Folds a record log into the run's state: what readers show and what a resumed run continues."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from nbrun.record import types
from nbrun.record.reader import RecordLogReader
from nbrun.record.summary import MetricDefinition, MetricTable, SummaryFolder


@dataclasses.dataclass
class RunState:
    """Everything a record log says about its run, up to its last intact record."""

    run: dict[str, Any] = dataclasses.field(default_factory=dict)
    config: dict[str, Any] = dataclasses.field(default_factory=dict)
    metrics: MetricTable = dataclasses.field(default_factory=MetricTable)
    summary: SummaryFolder | None = None
    files: dict[str, str] = dataclasses.field(default_factory=dict)
    alerts: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    metadata: dict[str, Any] = dataclasses.field(default_factory=dict)
    exit: dict[str, Any] | None = None
    preempting: bool = False
    # Set by a backend that learnt the run's writer died without an exit record (not a record).
    crashed: bool = False
    # Records a backend refused: how many, and the latest few (seq, kind, reason).
    refused_count: int = 0
    refused: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    last_step: int | None = None
    history_rows: int = 0
    valid_end: int = 0
    last_seq: int = 0
    torn: bool = False

    def __post_init__(self) -> None:
        if self.summary is None:
            self.summary = SummaryFolder(self.metrics)

    @property
    def summary_values(self) -> dict[str, Any]:
        assert self.summary is not None
        return self.summary.values

    def to_state(self) -> dict[str, Any]:
        """The state as plain data (JSON/msgpack-serialisable), e.g. for a server to keep per run
        and continue folding batch by batch with :meth:`from_state` and :meth:`apply`."""
        assert self.summary is not None
        return {
            "run": self.run,
            "config": self.config,
            "metrics": [d.to_payload() for d in self.metrics.definitions()],
            "summary": self.summary.to_state(),
            "files": self.files,
            "alerts": self.alerts,
            "metadata": self.metadata,
            "exit": self.exit,
            "preempting": self.preempting,
            "crashed": self.crashed,
            "refused_count": self.refused_count,
            "refused": self.refused,
            "last_step": self.last_step,
            "history_rows": self.history_rows,
            "last_seq": self.last_seq,
        }

    @classmethod
    def from_state(cls, data: dict[str, Any]) -> RunState:
        """Rebuild a state saved by :meth:`to_state`."""
        metrics = MetricTable()
        for payload in data.get("metrics", ()):
            metrics.define(MetricDefinition.from_payload(payload), overwrite=True)
        return cls(
            run=dict(data.get("run", {})),
            config=dict(data.get("config", {})),
            metrics=metrics,
            summary=SummaryFolder.from_state(metrics, data.get("summary", {})),
            files=dict(data.get("files", {})),
            alerts=list(data.get("alerts", ())),
            metadata=dict(data.get("metadata") or {}),
            exit=data.get("exit"),
            preempting=bool(data.get("preempting", False)),
            crashed=bool(data.get("crashed", False)),
            refused_count=int(data.get("refused_count", 0)),
            refused=list(data.get("refused") or ()),
            last_step=data.get("last_step"),
            history_rows=int(data.get("history_rows", 0)),
            last_seq=int(data.get("last_seq", 0)),
        )

    def apply_rows(self, rows: list[dict[str, Any]]) -> None:
        """Fold consecutive history rows (what :meth:`apply` does for each, in one go)."""
        if not rows:
            return
        assert self.summary is not None
        self.summary.apply_rows(rows)
        self.last_step = rows[-1].get("_step", self.last_step)
        self.history_rows += len(rows)

    def apply(self, kind: str, payload: Any) -> None:
        """Fold one record into the state."""
        assert self.summary is not None
        if kind == types.HISTORY:
            self.summary.apply_row(payload)
            self.last_step = payload.get("_step", self.last_step)
            self.history_rows += 1
        elif kind == types.CONFIG:
            self.config.update(payload.get("update", {}))
            for key in payload.get("remove", ()):
                self.config.pop(key, None)
        elif kind == types.SUMMARY:
            self.summary.apply_manual(payload.get("update", {}), payload.get("remove", ()))
        elif kind == types.METRIC:
            self.metrics.define(MetricDefinition.from_payload(payload), overwrite=True)
        elif kind == types.RUN:
            self.run = dict(payload)
            self.exit = None
            self.preempting = False
            self.crashed = False
        elif kind == types.FILES:
            for entry in payload.get("files", ()):
                self.files[entry["path"]] = entry["policy"]
        elif kind == types.ALERT:
            self.alerts.append(dict(payload))
        elif kind == types.METADATA:
            self.metadata = dict(payload)
        elif kind == types.PREEMPTING:
            self.preempting = True
        elif kind == types.EXIT:
            self.exit = dict(payload)
        # Console lines are not state; unknown kinds come from newer writers: skipping them
        # keeps old readers working.


KEPT_REFUSALS = 20


def note_refused(state: RunState, refused: list[dict[str, Any]]) -> None:
    """Count refused records (``{"seq", "kind", "reason"}``), keeping the latest few."""
    state.refused_count += len(refused)
    state.refused = (state.refused + refused)[-KEPT_REFUSALS:]


def replay_log(path: Path | str) -> RunState:
    """Read a whole record log and return the run's state."""
    reader = RecordLogReader(path)
    state = RunState()
    for _seq, kind, payload in reader:
        state.apply(kind, payload)
    state.valid_end = reader.valid_end
    state.last_seq = reader.last_seq
    state.torn = reader.torn
    return state
