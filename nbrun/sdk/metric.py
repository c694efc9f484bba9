"""``run.define_metric``: validating a definition and the ``Metric`` object it returns."""

from __future__ import annotations

from typing import Any

from nbrun.protocol.limits import key_problem
from nbrun.record.summary import MetricDefinition, parse_goal, parse_summary_option


class Metric:
    """A metric's definition as ``define_metric`` left it (read-only)."""

    __slots__ = ("_definition",)

    def __init__(self, definition: MetricDefinition) -> None:
        self._definition = definition

    name = property(lambda self: self._definition.name)
    step_metric = property(lambda self: self._definition.step_metric)
    step_sync = property(lambda self: self._definition.step_sync)
    hidden = property(lambda self: self._definition.hidden)
    summary = property(lambda self: self._definition.summary)
    goal = property(lambda self: self._definition.goal)

    def __repr__(self) -> str:
        fields = {k: v for k, v in self._definition.to_payload().items() if v is not None}
        return f"Metric({', '.join(f'{k}={v!r}' for k, v in fields.items())})"


def build_definition(
    name: Any,
    step_metric: Any,
    step_sync: bool | None,
    hidden: bool | None,
    summary: str | None,
    goal: str | None,
) -> MetricDefinition:
    """Check ``define_metric`` arguments and build the definition, raising naming the problem."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"define_metric: name must be a non-empty string, got {name!r}")
    for given in (name, step_metric if isinstance(step_metric, str) else None):
        problem = key_problem(given) if given is not None else None
        if problem is not None:
            raise ValueError(f"define_metric: {problem}")
    if "*" in name[:-1]:
        raise ValueError(f"define_metric: {name!r}: '*' is allowed only at the end of a name")
    if isinstance(step_metric, Metric):
        step_metric = step_metric.name
    if step_metric is not None and (not isinstance(step_metric, str) or not step_metric):
        raise ValueError(f"define_metric: step_metric must be a metric name, got {step_metric!r}")
    if step_metric is not None and "*" in step_metric:
        raise ValueError(f"define_metric: step_metric {step_metric!r} cannot be a glob")
    for flag_name, flag in (("step_sync", step_sync), ("hidden", hidden)):
        if flag is not None and not isinstance(flag, bool):
            raise ValueError(
                f"define_metric: {flag_name} must be True, False or None, got {flag!r}"
            )
    if step_sync is None and step_metric is not None:
        step_sync = True
    return MetricDefinition(
        name=name,
        step_metric=step_metric,
        step_sync=step_sync,
        hidden=hidden,
        summary=parse_summary_option(summary),
        goal=parse_goal(goal),
    )
