"""A run's scalar metrics as downsampled series, and its media values as the last few steps
per key, fed by ``run.log`` for the live widget.

The caller's thread only appends each committed history row to a bounded queue (``offer``);
the widget thread folds the queued rows into one ``SeriesBuffer`` per key and one short
``MediaSeries`` per media key (``drain``). Media payloads are leaves, never charted; they are
kept as they are (small references), drawn later by the widget thread. Memory stays bounded
whatever the run length.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from nbrun.jupyter.ring_buffer import SeriesBuffer
from nbrun.jupyter.snapshot import Chart
from nbrun.protocol.keys import MEDIA_TYPE_KEY
from nbrun.record.summary import MetricDefinition

STEP_KEY = "_step"
# Rows waiting for the widget thread. Past this many (a thread far behind, or gone), the oldest
# are dropped from the charts -- never from the run's history, which the record log holds.
BACKLOG_ROWS = 20_000
MEDIA_STEPS = 16  # the most recent values kept per media key

# One key's points from a drain: xs, ys and its x key (None: ``_step``).
_Batch = tuple[list[float], list[float], "str | None"]
Lookup = Callable[[Iterable[str]], Mapping[str, MetricDefinition | None]]


class _Series:
    __slots__ = ("buffer", "hidden", "version", "x_key")

    def __init__(self, x_key: str, hidden: bool, capacity: int) -> None:
        self.x_key = x_key
        self.hidden = hidden
        self.buffer = SeriesBuffer(capacity)
        self.version = 0  # bumped when points are added


@dataclasses.dataclass(frozen=True)
class MediaEntry:
    """One logged media value: a payload, or a list of payloads (a gallery) under one key."""

    seq: int  # in order of arrival, over all keys
    step: int | None
    value: Any


class MediaSeries:
    """The last ``MEDIA_STEPS`` values logged under one media key."""

    __slots__ = ("entries", "hidden")

    def __init__(self, hidden: bool) -> None:
        self.hidden = hidden
        self.entries: deque[MediaEntry] = deque(maxlen=MEDIA_STEPS)


class LiveHistory:
    """Per-key downsampled series of the scalar numbers in a run's history rows.

    ``lookup`` maps keys to their metric definitions (for ``hidden`` and ``step_metric``); it
    is called on the widget thread only, so it must take whatever lock guards the definitions.
    """

    def __init__(self, lookup: Lookup, capacity: int = 128) -> None:
        self._lookup = lookup
        self._capacity = capacity
        self._rows: deque[dict[str, Any]] = deque(maxlen=BACKLOG_ROWS)
        # The whole cost on the caller's thread: deque.append is atomic and takes no lock.
        self.offer: Callable[[dict[str, Any]], None] = self._rows.append
        self._series: dict[str, _Series] = {}  # in order of first appearance
        self._media: dict[str, MediaSeries] = {}  # in order of first appearance
        self._media_seq = itertools.count()
        self.last_step: int | None = None
        self.rows_seen = 0

    def drain(self, max_values: int | None = None) -> bool:
        """Fold the queued rows into the series, stopping after the row that passes
        ``max_values`` values (the rest wait for the next call); True when anything was added."""
        rows = self._rows
        batch: dict[str, _Batch] = {}
        count = values = 0
        budget = max_values if max_values is not None else -1
        while rows and values != budget:
            try:
                row = rows.popleft()
            except IndexError:  # cannot happen with one consumer; kept for safety
                break
            count += 1
            if budget > 0:
                values = min(budget, values + len(row))
            step = row.get(STEP_KEY)
            if type(step) is int:
                self.last_step = step
            else:
                step = None
            self._fold(row.items(), row, step, batch, "")
        if not count:
            return False
        self.rows_seen += count
        for key, (xs, ys, _) in batch.items():
            if ys:
                series = self._series[key]
                series.buffer.extend(xs, ys)
                series.version += 1
        return True

    def _fold(
        self,
        items: Iterable[tuple[str, Any]],
        row: Mapping[str, Any],
        step: int | None,
        batch: dict[str, _Batch],
        prefix: str,
    ) -> None:
        """Append each finite number of ``items`` to its key's batch, flattened as
        :func:`nbrun.protocol.keys.flatten` does (the vectors test checks they agree). The
        widget thread's hot loop: kept to plain bytecode, no calls per value."""
        for key, value in items:
            kind = type(value)
            if kind is float:
                if value - value != 0.0:  # NaN or infinite: nothing to draw
                    continue
            elif kind is not int:
                if kind is dict:
                    if MEDIA_TYPE_KEY not in value:
                        self._fold(value.items(), row, step, batch, f"{prefix}{key}.")
                    elif prefix or key[:1] != "_":  # media payloads are leaves, never charted
                        self._add_media(prefix + key, step, value)
                elif (
                    kind is list
                    and value
                    and type(value[0]) is dict
                    and MEDIA_TYPE_KEY in value[0]
                    and (prefix or key[:1] != "_")
                ):  # a list of media under one key: a gallery
                    self._add_media(prefix + key, step, value)
                continue
            if prefix:
                key = prefix + key
            elif key[:1] == "_":
                continue
            entry = batch.get(key)
            if entry is None:
                entry = batch[key] = ([], [], self._x_key(key))
            x_key = entry[2]
            if x_key is None:
                if step is None:
                    continue
                entry[0].append(step)
            else:
                x = row.get(x_key)
                if not (type(x) is float or type(x) is int) or x - x != 0:
                    continue
                entry[0].append(x)
            entry[1].append(value)

    def _add_media(self, key: str, step: int | None, value: Any) -> None:
        series = self._media.get(key)
        if series is None:
            series = self._media[key] = MediaSeries(self._hidden(key))
        series.entries.append(MediaEntry(next(self._media_seq), step, value))

    def _hidden(self, key: str) -> bool:
        return _axis_and_visibility(self._lookup([key]).get(key))[1]

    def _x_key(self, key: str) -> str | None:
        """The key's x axis for batching: None for ``_step``, else its step metric."""
        series = self._series.get(key)
        if series is None:
            series = self._add_series(key)
        return None if series.x_key == STEP_KEY else series.x_key

    def _add_series(self, key: str) -> _Series:
        definition = self._lookup([key]).get(key)
        series = _Series(*_axis_and_visibility(definition), self._capacity)
        self._series[key] = series
        return series

    def refresh_definitions(self) -> None:
        """Pick up ``define_metric`` calls made after a key first appeared: ``hidden`` applies
        at once; a changed ``step_metric`` restarts that key's series on its new x axis."""
        if self._media:
            media_definitions = self._lookup(list(self._media))
            for key, media in self._media.items():
                media.hidden = _axis_and_visibility(media_definitions.get(key))[1]
        if not self._series:
            return
        definitions = self._lookup(list(self._series))
        for key, series in self._series.items():
            x_key, hidden = _axis_and_visibility(definitions.get(key))
            series.hidden = hidden
            if x_key != series.x_key:
                self._series[key] = _Series(x_key, hidden, self._capacity)

    def versions(self) -> dict[str, int]:
        """Each visible key's version: it changes whenever the key's chart would."""
        return {key: s.version for key, s in self._series.items() if not s.hidden}

    def charts(self, limit: int = 200, keys: Iterable[str] | None = None) -> list[Chart]:
        """The visible keys' charts (or just ``keys``), at most about ``limit`` points each."""
        wanted = self._series.keys() if keys is None else keys
        charts = []
        for key in wanted:
            series = self._series.get(key)
            if series is None or series.hidden or not series.buffer.count:
                continue
            charts.append(Chart(key=key, x_key=series.x_key, points=series.buffer.points(limit)))
        return charts

    def media(self) -> list[tuple[str, MediaSeries]]:
        """The visible media keys with their recent values, in order of first appearance."""
        return [(key, m) for key, m in list(self._media.items()) if not m.hidden and m.entries]


def _axis_and_visibility(definition: MetricDefinition | None) -> tuple[str, bool]:
    if definition is None:
        return STEP_KEY, False
    return definition.step_metric or STEP_KEY, bool(definition.hidden)


def history_from_rows(rows: Iterable[dict[str, Any]], lookup: Lookup | None = None) -> LiveHistory:
    """History rows read from anywhere (e.g. a record log) folded as the live widget folds
    them: charts downsampled the same way, the last values of each media key."""
    history = LiveHistory(lookup or (lambda keys: {}))
    for row in rows:
        history.offer(row)
        if len(history._rows) >= BACKLOG_ROWS // 2:
            history.drain()
    history.drain()
    return history


def charts_from_rows(
    rows: Iterable[dict[str, Any]], lookup: Lookup | None = None, limit: int = 200
) -> list[Chart]:
    """Charts of history rows read from anywhere, downsampled as the live widget's."""
    return history_from_rows(rows, lookup).charts(limit)
