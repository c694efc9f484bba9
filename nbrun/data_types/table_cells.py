"""What an ``nbrun.Table`` cell may hold: ``normalise_cell`` turns figures into media and missing
values into None as a cell enters the table; ``cell_kind`` names a cell's type ("number",
"string", "Image", ...), the name one column keeps, and raises for a value no table can store;
``dtype_kind`` reads the same name from a ``dtype=`` argument.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from nbrun.data_types.figures import figure_media
from nbrun.data_types.media import Media
from nbrun.errors import InvalidValueError

_INT_MIN = -(1 << 63)
_INT_MAX = (1 << 64) - 1
_STORABLE = (
    "numbers, strings, booleans, timestamps, lists, dicts, NumPy values or nbrun media "
    "(Image, Html, Plotly, Table, ...)"
)
# dtype= names for Python types; a Media class stands for itself.
_DTYPE_KINDS: dict[Any, str] = {
    int: "number",
    float: "number",
    str: "string",
    bool: "boolean",
    list: "list",
    tuple: "list",
    dict: "dict",
    datetime.datetime: "timestamp",
    datetime.date: "timestamp",
}


def normalise_cell(value: Any) -> Any:
    """A cell as stored in ``table.data``: figures become media, missing values None."""
    kind = type(value)
    if value is None or kind in (str, int, float, bool):
        return value
    if kind.__name__ in ("NaTType", "NAType"):
        return None
    if kind.__module__.startswith(("plotly.", "matplotlib.")):
        media = figure_media(value)
        if media is not None:
            return media
    return value


def cell_kind(value: Any, column: Any, row: int) -> str:
    """The type name of a (non-None) cell: what one column must keep; raise if unstorable."""
    kind = type(value)
    if kind is float:
        return "number"
    if kind is int:
        if not _INT_MIN <= value <= _INT_MAX:
            raise InvalidValueError(
                f"Table column {column!r}: row {row} holds an integer too large to store"
            )
        return "number"
    if kind is str:
        if not value.isascii():
            _check_text(value, column, row)
        return "string"
    if kind is bool:
        return "boolean"
    if isinstance(value, Media):
        return type(value).__name__
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return cell_kind(int(value) if isinstance(value, int) else float(value), column, row)
    if isinstance(value, str):
        return cell_kind(str(value), column, row)
    if isinstance(value, (datetime.datetime, datetime.date)):
        return "timestamp"
    if isinstance(value, (list, tuple)):
        for item in value:
            _check_nested(item, column, row)
        return "list"
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidValueError(
                    f"Table column {column!r}: row {row} holds a dict with key {key!r}; "
                    "dict keys must be strings"
                )
            _check_nested(item, column, row)
        return "dict"
    if kind.__module__ == "numpy":
        code = value.dtype.kind
        if getattr(value, "ndim", 0) == 0:
            scalar_kinds = {"b": "boolean", "i": "number", "u": "number", "f": "number"}
            if code in scalar_kinds:
                return scalar_kinds[code]
            if code in "UM":
                return "string" if code == "U" else "timestamp"
        elif code in "biufUM":
            return "list"
        elif code == "O":
            for item in value.ravel():
                _check_nested(item, column, row)
            return "list"
    raise InvalidValueError(
        f"Table column {column!r}: row {row} holds a {kind.__module__}.{kind.__qualname__}, "
        f"which a Table cannot store; use {_STORABLE}"
    )


def dtype_kind(dtype: Any, column: Any) -> str:
    """The type name ``dtype`` (``int``, ``str``, ``nbrun.Image``, ...) fixes for ``column``."""
    if isinstance(dtype, type) and dtype in _DTYPE_KINDS:
        return _DTYPE_KINDS[dtype]
    if isinstance(dtype, type) and issubclass(dtype, Media):
        return dtype.__name__
    if isinstance(dtype, Media):  # an example object, as the reference allows
        return type(dtype).__name__
    raise InvalidValueError(
        f"Table dtype for column {column!r} must be int, float, str, bool, list, dict, "
        f"datetime or an nbrun media class (nbrun.Image, ...); got {dtype!r}"
    )


def short_repr(value: Any) -> str:
    """``repr(value)``, cut to 60 characters for an error message."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_nested(value: Any, column: Any, row: int) -> None:
    if value is not None and type(value).__name__ not in ("NaTType", "NAType"):
        cell_kind(value, column, row)


def _check_text(value: str, column: Any, row: int) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidValueError(
            f"Table column {column!r}: row {row} holds a string that is not valid text "
            "(a lone surrogate)"
        ) from None
