"""How ``nbrun.Table`` reads its arguments: column names (``check_columns``), rows from a list or
a 2-D NumPy array (``rows_of``) or a pandas DataFrame (``frame_rows``), one column's values
(``column_values``, for ``add_column``) and per-column options such as ``optional=``
(``per_column``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from nbrun.errors import InvalidValueError


def per_column(value: Any, name: str, columns: list[Any], kind: type | None) -> list[Any]:
    """``value`` for each column: one value for all, or a list with one per column."""
    if isinstance(value, list):
        if len(value) != len(columns):
            raise InvalidValueError(
                f"Table {name} has {len(value)} entries for {len(columns)} columns; pass one "
                "value or one per column"
            )
        items = value
    else:
        items = [value] * len(columns)
    if kind is bool and not all(isinstance(item, bool) for item in items):
        raise InvalidValueError(
            f"Table {name} must be True, False or a list of them; got {value!r}"
        )
    return items


def check_columns(columns: Any) -> list[str | int]:
    """The column names as a list of unique strings and ints; raise otherwise."""
    if isinstance(columns, (str, bytes)) or not isinstance(columns, Sequence):
        if type(columns).__module__.startswith(("numpy", "pandas")):
            columns = list(columns)
        else:
            raise InvalidValueError(
                f"Table columns must be a list of strings or ints, got {type(columns).__name__}"
            )
    checked: list[str | int] = []
    for column in columns:
        if type(column).__module__ == "numpy" and hasattr(column, "item"):
            column = column.item()  # e.g. numpy.str_ or numpy.int64 names of a DataFrame
        if isinstance(column, bool) or not isinstance(column, (str, int)):
            raise InvalidValueError(
                f"Table columns must be strings or ints; {column!r} is a {type(column).__name__}"
            )
        if isinstance(column, str) and not column.isascii():
            try:
                column.encode("utf-8")
            except UnicodeEncodeError:
                raise InvalidValueError(
                    f"Table column name {column!r} is not valid text (a lone surrogate)"
                ) from None
        checked.append(str(column) if isinstance(column, str) else int(column))
    counts = Counter(str(column) for column in checked)
    duplicates = sorted(name for name, count in counts.items() if count > 1)
    if duplicates:
        raise InvalidValueError(f"Table columns must be unique; repeated: {duplicates}")
    return checked


def rows_of(data: Any, name: str) -> list[Sequence[Any]]:
    """The rows of ``data`` (the argument ``name``): a list of rows or a 2-D NumPy array."""
    if type(data).__module__ == "numpy" and hasattr(data, "ndim"):
        if data.ndim != 2:
            raise InvalidValueError(
                f"Table {name} as a NumPy array must be 2-D (rows x columns); got shape "
                f"{data.shape}"
            )
        return list(data) if data.dtype.kind in "OM" else data.tolist()
    if isinstance(data, (str, bytes, Mapping)) or not isinstance(data, Sequence):
        raise InvalidValueError(
            f"Table {name} must be a list of rows (lists or tuples), a 2-D NumPy array or a "
            f"pandas DataFrame; got {type(data).__name__}"
        )
    rows: list[Sequence[Any]] = []
    for index, row in enumerate(data):
        if type(row).__module__ == "numpy" and getattr(row, "ndim", 0) == 1:
            row = list(row)
        if isinstance(row, (str, bytes, Mapping)) or not isinstance(row, Sequence):
            raise InvalidValueError(
                f"Table {name}[{index}] must be a row (a list or tuple of values); got "
                f"{type(row).__name__}"
            )
        rows.append(row)
    return rows


def is_dataframe(value: Any) -> bool:
    """Whether ``value`` is a pandas DataFrame (without importing pandas)."""
    return _is_pandas(value) and type(value).__name__ == "DataFrame"


def _is_pandas(value: Any) -> bool:
    return type(value).__module__.partition(".")[0] == "pandas"


def frame_rows(frame: Any, name: str) -> tuple[list[Any], list[Sequence[Any]]]:
    """The column names and rows of a pandas DataFrame (the argument ``name``)."""
    if not is_dataframe(frame):
        raise InvalidValueError(
            f"Table {name} must be a pandas DataFrame, got {type(frame).__module__}."
            f"{type(frame).__qualname__}"
        )
    columns = list(frame.columns)
    values = [_series_values(frame.iloc[:, index]) for index in range(len(columns))]
    return columns, [list(row) for row in zip(*values, strict=True)] if values else []


def _series_values(series: Any) -> list[Any]:
    """A DataFrame column's values; missing ones (NaN of a text column, NaT, NA) as None."""
    values: list[Any] = series.tolist()
    if series.dtype.kind not in "biufc":
        missing = series.isna().tolist()
        values = [None if gone else value for value, gone in zip(values, missing, strict=True)]
    return values


def column_values(data: Any) -> list[Any]:
    """The values of one column for ``add_column``: a list, tuple, NumPy array or pandas Series."""
    module = type(data).__module__
    if module == "numpy" and hasattr(data, "ndim"):
        if data.ndim == 0:
            raise InvalidValueError(
                "Table.add_column data must be a list or an array, got a scalar"
            )
        return list(data) if data.ndim > 1 or data.dtype.kind in "OM" else data.tolist()
    if _is_pandas(data) and hasattr(data, "tolist"):
        return data.tolist()  # type: ignore[no-any-return]
    if isinstance(data, (list, tuple)):
        return list(data)
    raise InvalidValueError(
        f"Table.add_column data must be a list or a NumPy array, got {type(data).__name__}"
    )
