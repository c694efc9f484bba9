"""The key rules (flattening, sections, metric globs) agree in every Python part that applies
them, on the vectors the TypeScript tests run too (tests/vectors/keys.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nbrun.jupyter.live_history import LiveHistory
from nbrun.protocol.keys import flatten, matching_definition, section_of
from nbrun.record.summary import MetricDefinition, MetricTable
from nbrun.server.store.history import scalar_columns

VECTORS = json.loads((Path(__file__).parents[2] / "vectors" / "keys.json").read_text())


def numeric(flat: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in flat.items() if type(v) in (int, float, bool)}


@pytest.mark.parametrize("case", VECTORS["flatten"])
def test_flatten_gives_the_vectors_dotted_keys(case: dict[str, Any]) -> None:
    assert flatten(case["values"]) == case["flat"]


@pytest.mark.parametrize("case", VECTORS["flatten"])
def test_the_server_stores_the_numeric_keys_flatten_gives(case: dict[str, Any]) -> None:
    columns = scalar_columns([{**case["values"], "_step": 0}])
    assert {key: column.values[0] for key, column in columns.items()} == numeric(case["flat"])


@pytest.mark.parametrize("case", VECTORS["flatten"])
def test_the_live_widget_charts_the_numeric_keys_flatten_gives(case: dict[str, Any]) -> None:
    history = LiveHistory(lambda keys: {})
    history.offer({**case["values"], "_step": 0})
    history.drain()
    charted = {chart.key for chart in history.charts()}
    assert charted == {k for k, v in numeric(case["flat"]).items() if type(v) is not bool}


@pytest.mark.parametrize("case", VECTORS["sections"])
def test_sections_are_the_text_before_the_last_slash(case: dict[str, str]) -> None:
    assert section_of(case["key"]) == case["section"]


@pytest.mark.parametrize("case", VECTORS["metric_lookup"])
def test_the_exact_definition_wins_then_the_longest_glob(case: dict[str, Any]) -> None:
    assert matching_definition(case["defined"], case["key"]) == case["match"]
    table = MetricTable()
    for name in case["defined"]:
        table.define(MetricDefinition(name=name, hidden=True))
    found = table.lookup(case["key"])
    assert (found.name if found is not None else None) == case["match"]
