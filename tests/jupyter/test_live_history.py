"""The widget's in-memory series, fed by committed history rows."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from nbrun.jupyter.live_history import BACKLOG_ROWS, LiveHistory, charts_from_rows
from nbrun.record.summary import MetricDefinition, MetricTable


def lookup_in(table: MetricTable) -> Any:
    def lookup(keys: Iterable[str]) -> Mapping[str, MetricDefinition | None]:
        return {key: table.lookup(key) for key in keys}

    return lookup


def rows(n: int, **extra: float) -> list[dict[str, Any]]:
    return [{"_step": i, "_runtime": i / 10, "loss": 1 / (i + 1), **extra} for i in range(n)]


def test_only_finite_scalar_numbers_become_charts() -> None:
    table = MetricTable()
    history = LiveHistory(lookup_in(table))
    for row in rows(3):
        row.update(
            {"name": "x", "flag": True, "image": {"_type": "image-file"}, "nan": math.nan, "n": 2}
        )
        history.offer(row)
    assert history.drain() is True
    charts = {chart.key: chart for chart in history.charts()}
    assert sorted(charts) == ["loss", "n"]  # no _runtime, strings, bools, media or NaN
    assert charts["loss"].points == [(0, 1.0), (1, 0.5), (2, 1 / 3)]
    assert history.last_step == 2


def test_nested_dicts_chart_as_dotted_keys() -> None:
    history = LiveHistory(lookup_in(MetricTable()))
    history.offer({"_step": 0, "opt": {"lr": 0.1, "betas": {"b1": 0.9}}})
    history.drain()
    assert [chart.key for chart in history.charts()] == ["opt.lr", "opt.betas.b1"]


def test_hidden_metrics_are_left_out_even_when_hidden_later() -> None:
    table = MetricTable()
    table.define(MetricDefinition("debug/*", hidden=True))
    history = LiveHistory(lookup_in(table))
    for row in rows(2, **{"debug/grad": 1.0, "acc": 0.5}):
        history.offer(row)
    history.drain()
    assert [chart.key for chart in history.charts()] == ["loss", "acc"]
    table.define(MetricDefinition("acc", hidden=True))
    history.refresh_definitions()
    assert [chart.key for chart in history.charts()] == ["loss"]


def test_a_step_metric_is_the_x_axis_and_rows_without_it_are_skipped() -> None:
    table = MetricTable()
    table.define(MetricDefinition("val/acc", step_metric="epoch"))
    history = LiveHistory(lookup_in(table))
    history.offer({"_step": 0, "val/acc": 0.1})  # no epoch in the row: no point
    history.offer({"_step": 5, "epoch": 1, "val/acc": 0.5})
    history.offer({"_step": 9, "epoch": 2, "val/acc": 0.7})
    history.drain()
    charts = {chart.key: chart for chart in history.charts()}
    assert charts["val/acc"].x_key == "epoch"
    assert charts["val/acc"].points == [(1, 0.5), (2, 0.7)]


def test_a_step_metric_defined_after_the_key_restarts_its_series() -> None:
    table = MetricTable()
    history = LiveHistory(lookup_in(table))
    history.offer({"_step": 0, "epoch": 0, "acc": 0.1})
    history.drain()
    table.define(MetricDefinition("acc", step_metric="epoch"))
    history.refresh_definitions()
    history.offer({"_step": 1, "epoch": 1, "acc": 0.2})
    history.drain()
    acc = next(chart for chart in history.charts() if chart.key == "acc")
    assert (acc.x_key, acc.points) == ("epoch", [(1, 0.2)])


def test_versions_change_only_for_keys_that_got_points() -> None:
    history = LiveHistory(lookup_in(MetricTable()))
    history.offer({"_step": 0, "a": 1.0, "b": 1.0})
    history.drain()
    before = history.versions()
    history.offer({"_step": 1, "a": 2.0})
    history.drain()
    after = history.versions()
    assert after["a"] != before["a"]
    assert after["b"] == before["b"]


def test_a_drain_budget_leaves_the_rest_for_the_next_drain() -> None:
    history = LiveHistory(lookup_in(MetricTable()))
    for row in rows(100):
        history.offer(row)
    history.drain(max_values=30)  # rows of 3 values: 10 rows
    assert history.last_step == 9
    assert history.drain() is True
    assert history.last_step == 99
    assert history.drain() is False


def test_the_queue_is_bounded_when_nobody_drains_it() -> None:
    history = LiveHistory(lookup_in(MetricTable()))
    for row in rows(BACKLOG_ROWS + 500):
        history.offer(row)
    history.drain()
    assert history.rows_seen == BACKLOG_ROWS
    assert history.last_step == BACKLOG_ROWS + 499


def test_charts_from_rows_downsample_a_long_history() -> None:
    charts = charts_from_rows(rows(50_000), limit=100)
    (loss,) = charts
    assert len(loss.points) <= 100
    assert loss.points[0] == (0, 1.0)
    assert loss.points[-1] == (49_999, 1 / 50_000)
