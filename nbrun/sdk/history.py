"""The run's step logic: turning ``log()`` calls into committed history rows.

Each ``log`` makes a new step by default; ``commit=False`` accumulates into the current step;
an explicit ``step`` fills that step's row until a later step (or a commit) closes it; a step
below the current one is dropped with a warning, once per key.
"""

from __future__ import annotations

import operator
import threading
import time
from collections.abc import Callable
from typing import Any

from nbrun import termlog
from nbrun.record.summary import MetricTable, SummaryFolder
from nbrun.record.types import HISTORY


class History:
    """Owns ``step`` and the open row; appends each committed row as a history record."""

    def __init__(
        self,
        append: Callable[[str, Any], None],
        summary: SummaryFolder,
        metrics: MetricTable,
        start_time: float,
        starting_step: int,
    ) -> None:
        self.step = starting_step
        self._append = append
        self._summary = summary
        self._metrics = metrics
        self._start_time = start_time
        self._pending: dict[str, Any] = {}
        self.lock = threading.Lock()
        self.closed = False
        self._warned_past_step: set[str] = set()
        # Last logged value of each key some metric uses as its x axis (for step_sync).
        self._step_metric_values: dict[str, Any] = {}
        # Gets each committed row too (the notebook widget's queue): must be as cheap as an append.
        self.tap: Callable[[dict[str, Any]], None] | None = None

    def log(self, row: dict[str, Any], step: Any, commit: bool | None) -> bool:
        """Record one ``log()`` call's already converted ``row``; False once closed."""
        with self.lock:
            if self.closed:
                return False
            if step is None:
                if self._pending:
                    self._pending.update(row)
                else:
                    self._pending = row
                if commit is None or commit:
                    self._commit()
                return True
            step = as_step(step)
            if step < self.step:
                self._warn_past_step(row, step)
                return True
            if step > self.step:
                if self._pending:
                    self._commit()
                self.step = step
            if self._pending:
                self._pending.update(row)
            else:
                self._pending = row
            if commit:
                self._commit()
            return True

    def close(self) -> None:
        """Commit the open row, if any, and refuse further rows (at finish)."""
        with self.lock:
            if self._pending:
                self._commit()
            self.closed = True

    def _commit(self) -> None:
        row = self._pending
        self._pending = {}
        if self._metrics.has_step_sync:
            self._sync_step_metrics(row)
        now = time.time()
        row["_step"] = self.step
        row["_runtime"] = now - self._start_time
        row["_timestamp"] = now
        self._summary.apply_row(row)
        self._append(HISTORY, row)
        if self.tap is not None:
            self.tap(row)
        self.step += 1

    def _sync_step_metrics(self, row: dict[str, Any]) -> None:
        lookup = self._metrics.lookup
        remembered = self._step_metric_values
        for definition in self._metrics.definitions():
            if definition.step_metric is not None and definition.step_metric in row:
                remembered[definition.step_metric] = row[definition.step_metric]
        for key in list(row):
            found = lookup(key)
            if found is None or found.step_metric is None or found.step_sync is False:
                continue
            if found.step_metric not in row and found.step_metric in remembered:
                row[found.step_metric] = remembered[found.step_metric]

    def _warn_past_step(self, row: dict[str, Any], step: int) -> None:
        fresh = [key for key in row if key not in self._warned_past_step]
        if not fresh:
            return
        self._warned_past_step.update(fresh)
        termlog.warn(
            f"log(step={step}) is below the current step {self.step}: steps only increase, so "
            f"{', '.join(repr(k) for k in fresh)} at step {step} were dropped "
            "(this warning shows once per key)"
        )


def as_step(step: Any) -> int:
    if isinstance(step, bool):
        raise TypeError(f"log(): step must be an integer, got {step!r}")
    try:
        value = operator.index(step)
    except TypeError:
        raise TypeError(f"log(): step must be an integer, got {step!r}") from None
    if value < 0:
        raise ValueError(f"log(): step must be >= 0, got {value}")
    return value
