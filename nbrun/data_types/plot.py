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
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from nbrun import termlog
from nbrun.data_types import curves
from nbrun.data_types.media import Media, MediaFile
from nbrun.data_types.table import Table
from nbrun.errors import InvalidValueError
from nbrun.protocol.media import PLOT, PLOT_PRESETS

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


class CustomChart(Media):
    """A preset chart of a table: what every ``nbrun.plot`` function returns."""

    def __init__(
        self,
        table: Table,
        preset: str,
        fields: dict[str, str],
        title: str | None = None,
        split_table: bool = False,
    ) -> None:
        if preset not in PLOT_PRESETS:
            raise InvalidValueError(
                f"CustomChart preset must be one of {', '.join(PLOT_PRESETS)}; got {preset!r}"
            )
        self.table = table
        self.preset = preset
        self.fields = dict(fields)
        self.title = title
        self.split_table = split_table

    def _nbrun_value(self) -> dict[str, Any]:
        return {
            "_type": PLOT,
            "preset": self.preset,
            "title": self.title,
            "fields": dict(self.fields),
            "table": self.table._nbrun_value(),
        }

    def _nbrun_files(self) -> list[MediaFile]:
        return self.table._nbrun_files()

    def _nbrun_logged(self) -> None:
        self.table._nbrun_logged()

    def __repr__(self) -> str:
        return f"CustomChart({self.preset}, title={self.title!r}, {self.table!r})"


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
    return CustomChart(table, "line", fields, _title("line", title), split_table)


def scatter(
    table: Table, x: str, y: str, title: str | None = None, split_table: bool = False
) -> CustomChart:
    """A scatter plot of column ``y`` against column ``x``."""
    fields = _fields("scatter", table, x=x, y=y)
    return CustomChart(table, "scatter", fields, _title("scatter", title), split_table)


def bar(
    table: Table, label: str, value: str, title: str | None = None, split_table: bool = False
) -> CustomChart:
    """A bar chart: one bar per row, named by column ``label``, as long as column ``value``."""
    fields = _fields("bar", table, label=label, value=value)
    return CustomChart(table, "bar", fields, _title("bar", title), split_table)


def histogram(
    table: Table, value: str, title: str | None = None, split_table: bool = False
) -> CustomChart:
    """A histogram of column ``value`` (binned when drawn)."""
    fields = _fields("histogram", table, value=value)
    return CustomChart(table, "histogram", fields, _title("histogram", title), split_table)


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
    series_y = [_values(item, f"ys[{i}]") for i, item in enumerate(_sequence(ys, "ys"))]
    xs_list = _sequence(xs, "xs")
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
    return CustomChart(table, "line_series", fields, _title("line_series", title), split_table)


# -- classifier charts computed here -----------------------------------------------------------


def pr_curve(
    y_true: Any = None,
    y_probas: Any = None,
    labels: Sequence[str] | None = None,
    classes_to_plot: Sequence[Any] | None = None,
    interp_size: int = 21,
    title: str | None = None,
    split_table: bool = False,
) -> CustomChart:
    """Precision against recall for each class (one-vs-rest), at ``interp_size`` recall points
    from 0 to 1; ``y_probas`` holds one score column per class (N x K)."""
    if not isinstance(interp_size, int) or isinstance(interp_size, bool) or interp_size < 2:
        raise InvalidValueError(
            f"plot.pr_curve: interp_size must be an int >= 2, got {interp_size!r}"
        )
    import numpy as np

    recall_points = np.linspace(0, 1, interp_size)[::-1]
    rows: list[list[Any]] = []
    for label, positive, scores in _one_vs_rest(
        "pr_curve", y_true, y_probas, labels, classes_to_plot
    ):
        if not positive.any():
            termlog.warn(f"plot.pr_curve: class {label!r} has no samples in y_true; left out")
            continue
        precision = curves.interpolated_precision(positive, scores, recall_points)
        rows.extend(
            [label, _round(p), _round(r)]
            for p, r in zip(precision.tolist(), recall_points.tolist(), strict=True)
        )
    table = _curve_table("pr_curve", ["class", "precision", "recall"], rows)
    fields = {"x": "recall", "y": "precision", "stroke": "class"}
    return CustomChart(
        table, "pr_curve", fields, _title("pr_curve", title, "Precision-Recall Curve"), split_table
    )


def roc_curve(
    y_true: Any = None,
    y_probas: Any = None,
    labels: Sequence[str] | None = None,
    classes_to_plot: Sequence[Any] | None = None,
    title: str | None = None,
    split_table: bool = False,
) -> CustomChart:
    """True against false positive rate for each class (one-vs-rest); ``y_probas`` holds one
    score column per class (N x K)."""
    rows: list[list[Any]] = []
    for label, positive, scores in _one_vs_rest(
        "roc_curve", y_true, y_probas, labels, classes_to_plot
    ):
        if positive.all() or not positive.any():
            termlog.warn(
                f"plot.roc_curve: class {label!r} needs both positive and negative samples in "
                "y_true; left out"
            )
            continue
        fpr, tpr = curves.roc_curve(positive, scores)
        rows.extend(
            [label, _round(f), _round(t)] for f, t in zip(fpr.tolist(), tpr.tolist(), strict=True)
        )
    table = _curve_table("roc_curve", ["class", "fpr", "tpr"], rows)
    fields = {"x": "fpr", "y": "tpr", "stroke": "class"}
    return CustomChart(
        table, "roc_curve", fields, _title("roc_curve", title, "ROC Curve"), split_table
    )


def confusion_matrix(
    probs: Any = None,
    y_true: Any = None,
    preds: Any = None,
    class_names: Sequence[str] | None = None,
    title: str | None = None,
    split_table: bool = False,
) -> CustomChart:
    """Counts of (actual, predicted) class pairs, from ``preds`` (predicted labels) or
    ``probs`` (N x K scores, the highest wins) and ``y_true``; ``class_names`` names the
    classes (labels are then their indexes, or the names themselves)."""
    import numpy as np

    if probs is not None and preds is not None:
        raise InvalidValueError("Only one of `probs` or `preds` should be provided, not both.")
    if probs is None and preds is None:
        raise InvalidValueError(
            "plot.confusion_matrix needs preds= (predicted labels) or probs= (N x K scores)"
        )
    if y_true is None:
        raise InvalidValueError("plot.confusion_matrix needs y_true= (the true labels)")
    if probs is not None:
        scores = _numbers(probs, "probs", "confusion_matrix")
        if scores.ndim != 2 or scores.shape[1] == 0:
            raise InvalidValueError(
                f"plot.confusion_matrix: probs must be N x K (one score per class); got shape "
                f"{scores.shape}"
            )
        predicted = np.argmax(scores, axis=1).tolist()
    else:
        predicted = _labels(preds, "preds", "confusion_matrix")
    actual = _labels(y_true, "y_true", "confusion_matrix")
    if len(predicted) != len(actual):
        raise InvalidValueError("The number of predictions and true labels must be equal.")
    if class_names is not None:
        names = [str(name) for name in _sequence(class_names, "class_names")]
        if len(set(names)) != len(names):
            raise InvalidValueError(f"plot.confusion_matrix: class_names repeat a name: {names}")
        if len(set(predicted)) > len(names):
            raise InvalidValueError(
                "The number of unique predicted classes exceeds the number of class names."
            )
        if len(set(actual)) > len(names):
            raise InvalidValueError(
                "The number of unique true labels exceeds the number of class names."
            )
        index = _class_indexes(names, actual + predicted)
    else:
        try:
            classes = sorted(set(actual) | set(predicted))
        except TypeError:
            raise InvalidValueError(
                "plot.confusion_matrix: y_true and preds mix labels that cannot be ordered; "
                "pass class_names="
            ) from None
        names = [f"Class_{i + 1}" for i in range(len(classes))]
        index = {value: i for i, value in enumerate(classes)}
    size = len(names)
    if size * size > Table.MAX_ARTIFACT_ROWS:
        raise InvalidValueError(
            f"plot.confusion_matrix: {size} classes make {size * size} cells, more than a table "
            f"stores (Table.MAX_ARTIFACT_ROWS = {Table.MAX_ARTIFACT_ROWS})"
        )
    pairs = np.array(
        [index[a] * size + index[p] for a, p in zip(actual, predicted, strict=True)], dtype=np.int64
    )
    counts = np.bincount(pairs, minlength=size * size).reshape(size, size).tolist()
    data = [[names[i], names[j], counts[i][j]] for i in range(size) for j in range(size)]
    table = Table(columns=["Actual", "Predicted", "nPredictions"], data=data)
    fields = {"actual": "Actual", "predicted": "Predicted", "value": "nPredictions"}
    return CustomChart(
        table,
        "confusion_matrix",
        fields,
        _title("confusion_matrix", title, "Confusion Matrix Curve"),
        split_table,
    )


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


def _title(preset: str, title: Any, default: str | None = None) -> str | None:
    if title is None:
        return default
    if not isinstance(title, str):
        raise InvalidValueError(
            f"plot.{preset}: title must be a string, got {type(title).__name__}"
        )
    return title


def _sequence(value: Any, name: str) -> list[Any]:
    if type(value).__module__ == "numpy" and hasattr(value, "ndim") and value.ndim >= 1:
        return list(value)
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        if type(value).__module__.partition(".")[0] == "pandas" and hasattr(value, "tolist"):
            return list(value.tolist())
        raise InvalidValueError(f"{name} must be a list or an array, got {type(value).__name__}")
    return list(value)


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
    return _sequence(value, f"plot.line_series: {name}")


def _numbers(value: Any, name: str, preset: str) -> Any:
    import numpy as np

    if hasattr(value, "detach"):  # torch
        value = value.detach().cpu().numpy()
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InvalidValueError(f"plot.{preset}: {name} must hold numbers: {exc}") from None
    if not np.isfinite(array).all():
        raise InvalidValueError(f"plot.{preset}: {name} holds NaN or infinite values")
    return array


def _labels(value: Any, name: str, preset: str) -> list[Any]:
    """Class labels as plain Python values (ints, strings, ...)."""
    import numpy as np

    if hasattr(value, "detach"):  # torch
        value = value.detach().cpu().numpy()
    if isinstance(value, (str, bytes)):
        raise InvalidValueError(f"plot.{preset}: {name} must be a list or an array of labels")
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise InvalidValueError(f"plot.{preset}: {name} must be a list of labels: {exc}") from None
    if array.ndim != 1:
        raise InvalidValueError(
            f"plot.{preset}: {name} must be one label per sample (1-D); got shape {array.shape}"
        )
    if array.dtype.kind == "f":
        if not np.isfinite(array).all() or not (array == np.round(array)).all():
            raise InvalidValueError(
                f"plot.{preset}: {name} holds non-integer numbers; labels are class indexes or "
                "names"
            )
        array = array.astype(np.int64)
    if array.dtype.kind not in "biuUSO":
        raise InvalidValueError(f"plot.{preset}: {name} has dtype {array.dtype}; expected labels")
    return list(array.tolist())


def _class_indexes(names: list[str], labels: list[Any]) -> dict[Any, int]:
    """Each label's row in the matrix: labels are indexes into ``names``, or names."""
    if all(isinstance(label, int) and not isinstance(label, bool) for label in labels):
        wrong = sorted({label for label in labels if not 0 <= label < len(names)})
        if wrong:
            raise InvalidValueError(
                f"plot.confusion_matrix: labels {wrong[:5]} are no index into class_names "
                f"(0..{len(names) - 1})"
            )
        return {i: i for i in range(len(names))}
    positions = {name: i for i, name in enumerate(names)}
    wrong = sorted({str(label) for label in labels if label not in positions})
    if wrong:
        raise InvalidValueError(
            f"plot.confusion_matrix: labels {wrong[:5]} are neither indexes into class_names "
            f"nor among them ({names})"
        )
    return positions


def _one_vs_rest(
    preset: str, y_true: Any, y_probas: Any, labels: Any, classes_to_plot: Any
) -> list[tuple[Any, Any, Any]]:
    """``(class label, positive mask, scores)`` for each class to plot."""
    import numpy as np

    if y_true is None:
        raise InvalidValueError(f"plot.{preset} needs y_true= (the true labels, one per sample)")
    if y_probas is None:
        raise InvalidValueError(f"plot.{preset} needs y_probas= (N x K scores, one per class)")
    truth = np.asarray(_labels(y_true, "y_true", preset))
    scores = _numbers(y_probas, "y_probas", preset)
    if truth.size == 0:
        raise InvalidValueError(f"plot.{preset}: y_true is empty")
    classes = np.unique(truth)
    if scores.ndim == 1 and len(classes) <= 2:
        scores = np.stack([1.0 - scores, scores], axis=1)  # binary: the positive class's score
    if scores.ndim != 2 or scores.shape[0] != truth.size:
        raise InvalidValueError(
            f"plot.{preset}: y_probas must be N x K (one score per class for each of the "
            f"{truth.size} samples); got shape {scores.shape}"
        )
    columns = scores.shape[1]
    by_value = classes.dtype.kind in "iu" and bool(((classes >= 0) & (classes < columns)).all())
    if not by_value and len(classes) > columns:
        raise InvalidValueError(
            f"plot.{preset}: y_true has {len(classes)} classes but y_probas has {columns} "
            "score columns"
        )
    wanted = None if classes_to_plot is None else set(np.asarray(classes_to_plot).tolist())
    out = []
    for position, cls in enumerate(classes.tolist()):
        if wanted is not None and cls not in wanted:
            continue
        column = cls if by_value else position
        label = cls
        if labels is not None and isinstance(cls, int):
            if not 0 <= cls < len(labels):
                raise InvalidValueError(
                    f"plot.{preset}: labels has {len(labels)} names but y_true holds class {cls}"
                )
            label = str(labels[cls])
        out.append((label, truth == cls, scores[:, column]))
    if not out:
        raise InvalidValueError(
            f"plot.{preset}: none of classes_to_plot {sorted(map(str, wanted or ()))} is in y_true"
        )
    return out


def _curve_table(preset: str, columns: list[str], rows: list[list[Any]]) -> Table:
    if not rows:
        raise InvalidValueError(f"plot.{preset}: no class could be drawn (see the warnings)")
    cap = Table.MAX_ROWS
    if len(rows) > cap:
        termlog.warn(f"plot.{preset}: nbrun uses only {cap} data points to create the plot")
        rows = _sample_per_class(rows, cap)
    return Table(columns=columns, data=rows)


def _sample_per_class(rows: list[list[Any]], cap: int) -> list[list[Any]]:
    """At most ``cap`` rows, an even share per class, each class keeping its first and last."""
    import numpy as np

    groups: dict[Any, list[list[Any]]] = {}
    for row in rows:
        groups.setdefault(row[0], []).append(row)
    share = max(2, cap // len(groups))
    sampled = []
    for group in groups.values():
        if len(group) <= share:
            sampled.extend(group)
        else:
            picks = np.unique(np.linspace(0, len(group) - 1, share).round().astype(int))
            sampled.extend(group[i] for i in picks.tolist())
    return sampled[:cap]


def _round(value: float) -> float:
    return round(value, 3) if math.isfinite(value) else value
