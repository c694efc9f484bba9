"""``nbrun.plot``: the reference's preset charts. Each returns a ``CustomChart`` to log
(``run.log({"cm": nbrun.plot.confusion_matrix(...)})``); its payload is a ``plot``
(``PlotValue``): the chart's table (stored like any ``Table``), the preset, the title and
``fields``, which map the preset's roles to the table's columns:

=================  ==============================================  ===========================
preset             table columns                                   fields (role -> column)
=================  ==============================================  ===========================
line               the caller's                                    x, y, stroke (optional)
scatter            the caller's                                    x, y
bar                the caller's                                    label, value
histogram          the caller's                                    value
line_series        <xname> (default "x"), lineKey, lineVal          x, stroke, y
pr_curve           class, precision, recall                        x=recall, y=precision,
                                                                   stroke=class
roc_curve          class, fpr, tpr                                 x=fpr, y=tpr, stroke=class
confusion_matrix   Actual, Predicted, nPredictions                 actual, predicted, value
=================  ==============================================  ===========================

Curves and the confusion matrix are computed with NumPy alone (no scikit-learn needed).
``split_table`` is accepted for compatibility; it has no effect in nbrun (the table travels
inside the chart's payload).

``CustomChart`` is in ``plot_chart`` and the classifier presets in ``plot_classification``;
this module re-exports them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nbrun.data_types.plot_chart import CustomChart, as_list, chart_title
from nbrun.data_types.plot_classification import confusion_matrix, pr_curve, roc_curve
from nbrun.data_types.table import Table
from nbrun.errors import InvalidValueError

__all__ = [
    "CustomChart",
    "bar",
    "confusion_matrix",
    "histogram",
    "line",
    "line_series",
    "pr_curve",
    "roc_curve",
    "scatter",
]


# -- charts of a table the caller made ---------------------------------------------------------


def line(
    table: Table,
    x: str,
    y: str,
    stroke: str | None = None,
    title: str | None = None,
    split_table: bool = False,
) -> CustomChart:
    """A line chart of column ``y`` against column ``x``, one line per value of ``stroke``."""
    fields = _fields("line", table, x=x, y=y, stroke=stroke)
    return CustomChart(table, "line", fields, chart_title("line", title), split_table)


def scatter(
    table: Table, x: str, y: str, title: str | None = None, split_table: bool = False
) -> CustomChart:
    """A scatter plot of column ``y`` against column ``x``."""
    fields = _fields("scatter", table, x=x, y=y)
    return CustomChart(table, "scatter", fields, chart_title("scatter", title), split_table)


def bar(
    table: Table, label: str, value: str, title: str | None = None, split_table: bool = False
) -> CustomChart:
    """A bar chart: one bar per row, named by column ``label``, as long as column ``value``."""
    fields = _fields("bar", table, label=label, value=value)
    return CustomChart(table, "bar", fields, chart_title("bar", title), split_table)


def histogram(
    table: Table, value: str, title: str | None = None, split_table: bool = False
) -> CustomChart:
    """A histogram of column ``value`` (binned when drawn)."""
    fields = _fields("histogram", table, value=value)
    return CustomChart(table, "histogram", fields, chart_title("histogram", title), split_table)


def line_series(
    xs: Any,
    ys: Any,
    keys: Sequence[str] | None = None,
    title: str | None = None,
    xname: str | None = None,
    split_table: bool = False,
) -> CustomChart:
    """Several lines in one chart: ``ys`` is a list of series; ``xs`` one list of x values
    for all of them, or one list per series; ``keys`` names the lines (``line_0``, ...);
    ``xname`` names the x axis (the x column)."""
    series_y = [_values(item, f"ys[{i}]") for i, item in enumerate(as_list(ys, "ys"))]
    xs_list = as_list(xs, "xs")
    if xs_list and _is_series(xs_list[0]):
        series_x = [_values(item, f"xs[{i}]") for i, item in enumerate(xs_list)]
    else:
        series_x = [_values(xs_list, "xs")] * len(series_y)
    if len(series_x) != len(series_y):
        raise InvalidValueError(
            f"Number of x-series ({len(series_x)}) must match y-series ({len(series_y)})."
        )
    names = [f"line_{i}" for i in range(len(series_y))] if keys is None else list(keys)
    if isinstance(keys, str) or len(names) != len(series_y):
        raise InvalidValueError(
            f"Number of keys ({1 if isinstance(keys, str) else len(names)}) must match "
            f"y-series ({len(series_y)})."
        )
    for i, (x_values, y_values) in enumerate(zip(series_x, series_y, strict=True)):
        if len(x_values) != len(y_values):
            raise InvalidValueError(
                f"plot.line_series: series {i} has {len(x_values)} x values and "
                f"{len(y_values)} y values"
            )
    x_column = "x" if xname is None else xname
    if not isinstance(x_column, str) or x_column in ("lineKey", "lineVal"):
        raise InvalidValueError(
            f"plot.line_series: xname must be a string other than 'lineKey' and 'lineVal'; "
            f"got {xname!r}"
        )
    data = [
        [x, str(name), y]
        for name, x_values, y_values in zip(names, series_x, series_y, strict=True)
        for x, y in zip(x_values, y_values, strict=True)
    ]
    table = Table(columns=[x_column, "lineKey", "lineVal"], data=data)
    fields = {"x": x_column, "stroke": "lineKey", "y": "lineVal"}
    return CustomChart(table, "line_series", fields, chart_title("line_series", title), split_table)


# -- helpers ---------------------------------------------------------------------------------


def _fields(preset: str, table: Any, **roles: str | None) -> dict[str, str]:
    if not isinstance(table, Table):
        raise InvalidValueError(
            f"plot.{preset}: table must be an nbrun.Table, got {type(table).__name__}"
        )
    fields = {}
    for role, column in roles.items():
        if column is None and role == "stroke":
            continue
        if column not in table.columns:
            raise InvalidValueError(
                f"plot.{preset}: {role}={column!r} is not a column of the table (columns: "
                f"{table.columns})"
            )
        fields[role] = str(column)
    return fields


def _is_series(value: Any) -> bool:
    if type(value).__module__ == "numpy":
        return getattr(value, "ndim", 0) >= 1
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def _values(value: Any, name: str) -> list[Any]:
    if type(value).__module__ == "numpy" and hasattr(value, "tolist"):
        items = value.tolist()
        if not isinstance(items, list):
            raise InvalidValueError(f"plot.line_series: {name} must be a list, got a scalar")
        return items
    return as_list(value, f"plot.line_series: {name}")
