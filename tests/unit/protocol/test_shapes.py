"""Payloads are checked against the TypedDicts that define them (nbrun.record.types), so the
server's validation has no copy of the shapes of its own."""

from __future__ import annotations

from typing import Any

import pytest

from nbrun.protocol.shapes import shape_problem
from nbrun.record import types

GOOD: list[tuple[str, dict[str, Any]]] = [
    (types.ALERT, {"title": "t", "text": "x"}),  # level and time may be missing
    (types.ALERT, {"title": "t", "text": "x", "level": "WARN", "time": 1}),
    (types.METRIC, {"name": "val/*", "summary": ["max"], "goal": None}),
    (types.CONSOLE, {"stream": "stderr", "text": "a\n", "time": 1.5}),
    (types.FILES, {"files": [{"path": "a.txt", "policy": "now"}]}),
    (types.RUN, {"name": "r", "tags": ["a"], "future_field": {"x": 1}}),
    (types.EXIT, {"exit_code": 0}),
]
BAD: list[tuple[str, dict[str, Any], str]] = [
    (types.ALERT, {"title": "t"}, "needs text"),
    (types.METRIC, {"summary": ["max"]}, "needs name"),
    (types.METRIC, {"name": "a", "summary": "max"}, "'summary' must be a list of strings or null"),
    (types.CONSOLE, {"stream": "stdin", "text": "", "time": 1}, "stdout or stderr, got 'stdin'"),
    (types.FILES, {"files": [{"path": 3}]}, "'files' must be a list of FileEntry maps"),
    (types.RUN, {"resumed": 1}, "'resumed' must be true or false or null, got 1"),
    (types.EXIT, {"exit_code": True}, "'exit_code' must be an integer, got True"),
    (types.CONFIG, {"update": [1]}, "'update' must be a map, got [1]"),
]


@pytest.mark.parametrize(("kind", "payload"), GOOD)
def test_payloads_that_fit_their_definition_pass(kind: str, payload: dict[str, Any]) -> None:
    assert shape_problem(types.PAYLOADS[kind], payload) is None


@pytest.mark.parametrize(("kind", "payload", "problem"), BAD)
def test_payloads_that_do_not_fit_are_named(
    kind: str, payload: dict[str, Any], problem: str
) -> None:
    found = shape_problem(types.PAYLOADS[kind], payload)
    assert found is not None and problem in found


def test_every_record_kind_but_history_has_a_definition() -> None:
    assert set(types.PAYLOADS) == types.KINDS - {types.HISTORY}
