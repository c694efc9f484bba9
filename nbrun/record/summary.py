"""How history rows and metric definitions fold into a run's summary.

This is part of what a record stream means, so it lives beside the format: the SDK folds rows
as they are logged, and readers (the query API, ``nbrun sync``, the server) replay a log through
the same code and get the same summary.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from typing import Any

from nbrun.protocol.keys import matching_definition

SUMMARY_AGGREGATES = ("min", "max", "mean", "last", "first", "best", "copy", "none")
GOALS = ("minimize", "maximize")
_GOAL_ALIASES = {"min": "minimize", "max": "maximize"}


@dataclasses.dataclass(frozen=True)
class MetricDefinition:
    """One metric's customisation, as ``define_metric`` records it (``None`` = not set)."""

    name: str
    step_metric: str | None = None
    step_sync: bool | None = None
    hidden: bool | None = None
    summary: tuple[str, ...] | None = None
    goal: str | None = None

    @property
    def is_glob(self) -> bool:
        return self.name.endswith("*")

    def merged_over(self, earlier: MetricDefinition) -> MetricDefinition:
        """This definition with unset fields taken from ``earlier`` (the reference's merge)."""
        return dataclasses.replace(
            self,
            **{
                f.name: getattr(earlier, f.name)
                for f in dataclasses.fields(self)
                if getattr(self, f.name) is None
            },
        )

    def to_payload(self) -> dict[str, Any]:
        payload = dataclasses.asdict(self)
        payload["summary"] = list(self.summary) if self.summary is not None else None
        return payload

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> MetricDefinition:
        summary = payload.get("summary")
        return cls(
            name=payload["name"],
            step_metric=payload.get("step_metric"),
            step_sync=payload.get("step_sync"),
            hidden=payload.get("hidden"),
            summary=tuple(summary) if summary is not None else None,
            goal=payload.get("goal"),
        )


def parse_summary_option(summary: str | Iterable[str] | None) -> tuple[str, ...] | None:
    """Parse ``"min,max"`` (or a list) into aggregates, raising ``ValueError`` on unknown ones."""
    if summary is None:
        return None
    parts = summary.split(",") if isinstance(summary, str) else list(summary)
    aggregates = tuple(dict.fromkeys(p.strip().lower() for p in parts if p.strip()))
    unknown = [a for a in aggregates if a not in SUMMARY_AGGREGATES]
    if unknown:
        raise ValueError(
            f"define_metric: unknown summary aggregate(s) {unknown}; "
            f"use any of {', '.join(SUMMARY_AGGREGATES)}"
        )
    return aggregates


def parse_goal(goal: str | None) -> str | None:
    """Accept minimize/maximize (or min/max), raising ``ValueError`` otherwise."""
    if goal is None:
        return None
    normal = _GOAL_ALIASES.get(goal.lower(), goal.lower())
    if normal not in GOALS:
        raise ValueError(f"define_metric: goal must be 'minimize' or 'maximize', got {goal!r}")
    return normal


class MetricTable:
    """Metric definitions by name, with trailing-``*`` globs; exact names win over globs and
    longer glob prefixes over shorter ones."""

    def __init__(self) -> None:
        self._exact: dict[str, MetricDefinition] = {}
        self._globs: dict[str, MetricDefinition] = {}
        self._cache: dict[str, MetricDefinition | None] = {}
        # Plain attributes, not properties: the logging hot path reads them on every row.
        self.any_defined = False
        self.has_step_sync = False

    def definitions(self) -> list[MetricDefinition]:
        return [*self._exact.values(), *self._globs.values()]

    def define(self, definition: MetricDefinition, overwrite: bool = False) -> MetricDefinition:
        """Add ``definition``, merged over an earlier one of the same name unless ``overwrite``."""
        table = self._globs if definition.is_glob else self._exact
        earlier = table.get(definition.name)
        if earlier is not None and not overwrite:
            definition = definition.merged_over(earlier)
        table[definition.name] = definition
        self._cache.clear()
        self.any_defined = True
        self.has_step_sync = any(
            d.step_metric is not None and d.step_sync is not False for d in self.definitions()
        )
        return definition

    def lookup(self, key: str) -> MetricDefinition | None:
        """The definition that applies to ``key``, if any."""
        try:
            return self._cache[key]
        except KeyError:
            pass
        found = self._exact.get(key)
        if found is None:
            name = matching_definition(self._globs, key)
            found = None if name is None else self._globs[name]
        self._cache[key] = found
        return found


def _is_number(value: Any) -> bool:
    kind = type(value)
    return (kind is int or kind is float) and not (kind is float and math.isnan(value))


class SummaryFolder:
    """Keeps a run's summary: the last value of each key, or the aggregates its metric
    definition asks for; values set by hand hold until that key is logged again."""

    def __init__(self, metrics: MetricTable) -> None:
        self.metrics = metrics
        self.values: dict[str, Any] = {}
        # Running state per (key, aggregate) for mean/first/best: kept apart from values so a
        # manual summary edit does not corrupt the aggregation.
        self._mean: dict[str, tuple[int, float]] = {}
        self._extrema: dict[tuple[str, str], float] = {}
        self._first: dict[str, Any] = {}

    def to_state(self) -> dict[str, Any]:
        """Everything needed to go on folding later (JSON/msgpack-serialisable)."""
        return {
            "values": self.values,
            "mean": {key: list(pair) for key, pair in self._mean.items()},
            "extrema": [[key, kind, value] for (key, kind), value in self._extrema.items()],
            "first": self._first,
        }

    @classmethod
    def from_state(cls, metrics: MetricTable, state: Mapping[str, Any]) -> SummaryFolder:
        """A folder that continues where :meth:`to_state` left off."""
        folder = cls(metrics)
        folder.values = dict(state.get("values", {}))
        folder._mean = {key: (int(c), float(t)) for key, (c, t) in state.get("mean", {}).items()}
        folder._extrema = {(key, kind): value for key, kind, value in state.get("extrema", [])}
        folder._first = dict(state.get("first", {}))
        return folder

    def apply_row(self, row: dict[str, Any]) -> None:
        """Fold one history row into the summary."""
        if not self.metrics.any_defined:
            self.values.update(row)
            return
        lookup = self.metrics.lookup
        for key, value in row.items():
            definition = lookup(key)
            if definition is None or definition.summary is None:
                self.values[key] = value
            else:
                self._aggregate(key, value, definition)

    def apply_rows(self, rows: Iterable[dict[str, Any]]) -> None:
        """Fold history rows in order (as :meth:`apply_row` for each)."""
        if not self.metrics.any_defined:
            update = self.values.update
            for row in rows:
                update(row)
            return
        for row in rows:
            self.apply_row(row)

    def apply_manual(self, update: Mapping[str, Any], remove: Iterable[str] = ()) -> None:
        """Apply values the user set (or deleted) by hand."""
        self.values.update(update)
        for key in remove:
            self.values.pop(key, None)

    def _aggregate(self, key: str, value: Any, definition: MetricDefinition) -> None:
        aggregates = definition.summary or ()
        if "none" in aggregates:
            return
        if aggregates == ("copy",):  # the reference's deprecated plain copy
            self.values[key] = value
            return
        current = self.values.get(key)
        entry: dict[str, Any] = dict(current) if isinstance(current, dict) else {}
        self._first.setdefault(key, value)
        number = _is_number(value)
        for aggregate in aggregates:
            if aggregate in ("last", "copy"):
                entry["last"] = value
            elif aggregate == "first":
                entry["first"] = self._first[key]
            elif not number:
                continue
            elif aggregate == "mean":
                count, total = self._mean.get(key, (0, 0.0))
                self._mean[key] = (count + 1, total + value)
                entry["mean"] = (total + value) / (count + 1)
            else:
                kind = aggregate
                if kind == "best":
                    kind = "max" if definition.goal == "maximize" else "min"
                prior = self._extrema.get((key, kind))
                better = prior is None or (value < prior if kind == "min" else value > prior)
                if better:
                    self._extrema[(key, kind)] = value
                entry[aggregate] = value if better else prior
        self.values[key] = entry
