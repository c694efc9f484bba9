"""``nbrun.Table``: rows and columns logged into the history, stored once as a JSON file of the
run (``TableData``: ``{"columns": [...], "data": [[...], ...]}``) with a ``table-file`` payload.

Cells hold numbers, strings, booleans, timestamps, lists, dicts, NumPy values or nbrun media
(``Image``, ``Html``, ``Plotly``, another ``Table``, ...): a media cell's file is stored with the
table and the JSON holds its payload. A column keeps one type (``None`` aside, unless
``optional=False``), as in the reference; ``allow_mixed_types=True`` lifts that.

Row caps, as the reference has them: ``Table.MAX_ROWS`` (10,000) is the size of the tables
``nbrun.plot`` builds (they sample down to it, with a warning); a logged table stores at most
``Table.MAX_ARTIFACT_ROWS`` (200,000, the most the reference's UI shows) rows and warns when
it truncates. Both are class attributes a program may raise.

``log_mode`` follows the reference: ``"IMMUTABLE"`` (the default) stores the table as it is the
first time it is logged, and later logs of the same object record that same content (mutating
it afterwards warns once); ``"MUTABLE"`` stores what it holds at each log; ``"INCREMENTAL"``
adds rows only (``add_column`` and ``add_computed_columns`` raise) and each log stores every
row so far (the reference uploads only the new rows to an artifact; nbrun has no artifacts
yet, so the file holds them all).

The class keeps the rows and the type of each column; what a cell may hold is in
``table_cells``, what a log stores in ``table_file`` and how arguments (lists, NumPy, pandas)
are read in ``table_input``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, ClassVar, Literal

from nbrun import termlog
from nbrun.data_types.media import Media, MediaFile
from nbrun.data_types.table_cells import cell_kind, dtype_kind, normalise_cell, short_repr
from nbrun.data_types.table_file import LoggedTable, StoredTable
from nbrun.data_types.table_input import (
    check_columns,
    column_values,
    frame_rows,
    is_dataframe,
    per_column,
    rows_of,
)
from nbrun.errors import InvalidValueError
from nbrun.protocol.media import TABLE

LogMode = Literal["IMMUTABLE", "MUTABLE", "INCREMENTAL"]
LOG_MODES: tuple[str, ...] = ("IMMUTABLE", "MUTABLE", "INCREMENTAL")
DEFAULT_COLUMNS = ("Input", "Output", "Expected")


class Table(Media):
    """A table of rows, from ``columns`` + ``data`` (a list of rows or a 2-D NumPy array), a
    pandas ``dataframe=`` (or ``data=`` a DataFrame), or filled later with ``add_data``.

    ``run.log({"predictions": nbrun.Table(columns=["id", "image", "label"], data=rows)})``
    """

    MAX_ROWS: ClassVar[int] = 10_000
    MAX_ARTIFACT_ROWS: ClassVar[int] = 200_000
    supported_logging_modes: ClassVar[list[str]] = list(LOG_MODES)

    def __init__(
        self,
        columns: Sequence[str | int] | None = None,
        data: Any = None,
        rows: Any = None,
        dataframe: Any = None,
        dtype: Any = None,
        optional: bool | Sequence[bool] = True,
        allow_mixed_types: bool = False,
        log_mode: LogMode | None = "IMMUTABLE",
    ) -> None:
        if log_mode is None:
            log_mode = "IMMUTABLE"
        if log_mode not in LOG_MODES:
            raise InvalidValueError(
                f"Table log_mode must be one of {', '.join(map(repr, LOG_MODES))}; got {log_mode!r}"
            )
        if not isinstance(allow_mixed_types, bool):
            raise InvalidValueError(
                f"Table allow_mixed_types must be True or False, got {allow_mixed_types!r}"
            )
        self.log_mode: str = log_mode
        self._allow_mixed = allow_mixed_types
        self._version = 0
        self._stored: StoredTable | None = None
        # IMMUTABLE and logged: later logs record this first content.
        self._frozen: LoggedTable | None = None
        self._warned_frozen = False

        source_rows: list[Sequence[Any]]
        if dataframe is not None:
            columns, source_rows = frame_rows(dataframe, "dataframe")
        elif data is not None:
            if is_dataframe(data):
                columns, source_rows = frame_rows(data, "data")
            else:
                source_rows = rows_of(data, "data")
        elif rows is not None:
            source_rows = rows_of(rows, "rows")
        else:
            source_rows = []
        if columns is None:
            columns = list(DEFAULT_COLUMNS)
        self.columns: list[str | int] = check_columns(columns)
        self.data: list[list[Any]] = []
        count = len(self.columns)
        self._kinds: list[str | None] = [None] * count  # None: no value seen yet
        self._declared: list[bool] = [False] * count
        self._optional: list[bool] = per_column(optional, "optional", self.columns, bool)
        for index, kind in enumerate(per_column(dtype, "dtype", self.columns, None)):
            if kind is not None:
                self._kinds[index] = dtype_kind(kind, self.columns[index])
                self._declared[index] = True
        for row in source_rows:
            self.add_data(*row)

    # -- adding data -----------------------------------------------------------------------
    def add_data(self, *data: Any) -> None:
        """Add one row: one value per column (``table.add_data(1, "cat", nbrun.Image(x))``)."""
        if len(data) != len(self.columns):
            raise InvalidValueError(
                f"This table expects {len(self.columns)} columns: {self.columns}, found "
                f"{len(data)}"
                + ("" if self.columns != list(DEFAULT_COLUMNS) else " (pass columns=[...])")
            )
        row = [normalise_cell(value) for value in data]
        kinds = list(self._kinds)
        for index, value in enumerate(row):
            kinds[index] = self._checked_kind(index, value, kinds[index], len(self.data))
        self._kinds = kinds
        self.data.append(row)
        self._mutated()

    def add_row(self, *row: Any) -> None:
        """Deprecated in the reference; use ``add_data``."""
        self.add_data(*row)

    def add_column(self, name: str, data: Any, optional: bool = False) -> None:
        """Add a column: ``name`` (new) and one value per row (a list or a NumPy array)."""
        self._refuse_if_incremental("add_column")
        if not isinstance(name, str):
            raise InvalidValueError(
                f"Table.add_column name must be a string, got {type(name).__name__}"
            )
        if name in self.columns:
            raise InvalidValueError(f"Table already has a column {name!r}")
        if not isinstance(optional, bool):
            raise InvalidValueError(
                f"Table.add_column optional must be True or False, got {optional!r}"
            )
        values = column_values(data)
        if (self.columns or self.data) and len(values) != len(self.data):
            raise InvalidValueError(
                f"Table.add_column {name!r}: data has {len(values)} values; the table has "
                f"{len(self.data)} rows"
            )
        values = [normalise_cell(value) for value in values]
        self.columns.append(name)
        self._kinds.append(None)
        self._declared.append(False)
        self._optional.append(optional)
        try:
            kind = None
            for row_index, value in enumerate(values):
                kind = self._checked_kind(len(self.columns) - 1, value, kind, row_index)
        except InvalidValueError:
            self.columns.pop()
            self._kinds.pop()
            self._declared.pop()
            self._optional.pop()
            raise
        self._kinds[-1] = kind
        if len(self.columns) == 1 and not self.data:
            self.data = [[value] for value in values]
        else:
            for row, value in zip(self.data, values, strict=True):
                row.append(value)
        self._mutated()

    def add_computed_columns(self, fn: Callable[[int, dict[Any, Any]], dict[str, Any]]) -> None:
        """Add the columns ``fn(index, row_as_dict)`` returns (a dict of new column names to
        values) for every row."""
        self._refuse_if_incremental("add_computed_columns")
        if not callable(fn):
            raise InvalidValueError(
                f"Table.add_computed_columns takes a function (index, row) -> dict; got "
                f"{type(fn).__name__}"
            )
        new_columns: dict[str, list[Any]] = {}
        for index, row in self.iterrows():
            computed = fn(index, dict(zip(self.columns, row, strict=True)))
            if not isinstance(computed, Mapping):
                raise InvalidValueError(
                    "Table.add_computed_columns: fn must return a dict of new column names to "
                    f"values; it returned {type(computed).__name__} for row {index}"
                )
            for key, value in computed.items():
                new_columns.setdefault(key, []).append(value)
        saved = (list(self.columns), [list(r) for r in self.data], list(self._kinds))
        saved_flags = (list(self._declared), list(self._optional))
        try:
            for name, values in new_columns.items():
                self.add_column(name, values)
        except InvalidValueError:
            self.columns, self.data, self._kinds = saved
            self._declared, self._optional = saved_flags
            raise

    def cast(self, col_name: str | int, dtype: Any, optional: bool = False) -> None:
        """Fix the type of column ``col_name`` (``int``, ``str``, ``nbrun.Image``, ...); its
        values must already match."""
        index = self._column_index(col_name, "cast")
        kind = dtype_kind(dtype, col_name)
        old = (self._kinds[index], self._declared[index], self._optional[index])
        self._kinds[index], self._declared[index], self._optional[index] = kind, True, optional
        try:
            for row_index, row in enumerate(self.data):
                self._checked_kind(index, row[index], kind, row_index)
        except InvalidValueError:
            self._kinds[index], self._declared[index], self._optional[index] = old
            raise
        self._mutated()

    # -- reading ---------------------------------------------------------------------------
    def get_column(self, name: str | int, convert_to: str | None = None) -> Any:
        """The values of column ``name``: a list, or a NumPy array with ``convert_to="numpy"``."""
        index = self._column_index(name, "get_column")
        if convert_to not in (None, "numpy"):
            raise InvalidValueError(
                f"Table.get_column convert_to must be None or 'numpy', got {convert_to!r}"
            )
        values = [row[index] for row in self.data]
        if convert_to == "numpy":
            import numpy as np

            return np.array(values)
        return values

    def get_index(self) -> list[int]:
        """The row indexes (0, 1, ...), e.g. to add as a column that links two tables."""
        return list(range(len(self.data)))

    def index_ref(self, index: int) -> int:
        """The index of row ``index`` (checked)."""
        if not isinstance(index, int) or not 0 <= index < len(self.data):
            raise InvalidValueError(
                f"Table.index_ref: {index!r} is no row index (the table has {len(self.data)} rows)"
            )
        return index

    def iterrows(self) -> Iterator[tuple[int, list[Any]]]:
        """``(index, row)`` for every row."""
        yield from enumerate(self.data)

    def get_dataframe(self) -> Any:
        """The table as a ``pandas.DataFrame`` (needs pandas)."""
        try:
            import pandas as pd
        except ImportError:
            raise InvalidValueError(
                "Table.get_dataframe needs pandas: pip install 'nbrun[pandas]'"
            ) from None
        return pd.DataFrame.from_records(self.data, columns=self.columns)

    # -- what a log stores -----------------------------------------------------------------
    def _nbrun_value(self) -> dict[str, Any]:
        payload = self._snapshot().payload
        return {**payload, "columns": list(payload["columns"])}

    def _nbrun_files(self) -> list[MediaFile]:
        return list(self._snapshot().files)

    def _nbrun_deferred(self) -> str | None:
        return None if self._serialised() is not None else TABLE

    def _nbrun_state(self) -> Media:
        return self._logged_state()

    def _logged_state(self) -> LoggedTable:
        """What a log of the table stores now: its rows copied (the cells are values, shared),
        or, IMMUTABLE and logged, the first content."""
        if self._frozen is not None:
            return self._frozen
        stored = self._serialised()
        return LoggedTable(
            list(self.columns),
            [list(row) for row in self.data] if stored is None else [],
            type(self).MAX_ARTIFACT_ROWS,
            self._fingerprint(),
            self._remember,
            self._logged_as,
            stored,
        )

    def _snapshot(self) -> StoredTable:
        """The JSON file and payload of the table as it is (or, IMMUTABLE, as first logged)."""
        stored = self._serialised()
        return stored if stored is not None else self._logged_state().stored

    def _serialised(self) -> StoredTable | None:
        """The table file of what a log stores now, if serialised already."""
        if self._frozen is not None:
            return self._frozen._stored
        stored = self._stored
        return stored if stored is not None and stored.fingerprint == self._fingerprint() else None

    def _fingerprint(self) -> tuple[int, ...]:
        return (self._version, len(self.data), len(self.columns))

    def _remember(self, stored: StoredTable) -> None:
        if stored.fingerprint == self._fingerprint():
            self._stored = stored

    def _logged_as(self, logged: LoggedTable) -> None:
        if self.log_mode == "IMMUTABLE" and self._frozen is None:
            self._frozen = logged

    def _nbrun_logged(self) -> None:
        if self._frozen is None and self.log_mode == "IMMUTABLE":
            self._frozen = self._logged_state()

    def __repr__(self) -> str:
        names = ", ".join(map(repr, self.columns[:8])) + (", ..." if len(self.columns) > 8 else "")
        return f"Table({len(self.data)} rows, columns [{names}], log_mode={self.log_mode!r})"

    # -- internals -------------------------------------------------------------------------
    def _mutated(self) -> None:
        self._version += 1
        if self._frozen is not None and not self._warned_frozen:
            self._warned_frozen = True
            termlog.warn(
                "You are mutating a Table with log_mode='IMMUTABLE' that has been logged "
                "already: later log() calls record it as first logged. Set "
                "log_mode='MUTABLE' to log its changes."
            )

    def _refuse_if_incremental(self, operation: str) -> None:
        if self.log_mode == "INCREMENTAL":
            raise InvalidValueError(
                f"Operation {operation!r} is not supported for tables with "
                "log_mode='INCREMENTAL'. Use a different log mode like 'MUTABLE' or 'IMMUTABLE'."
            )

    def _column_index(self, name: Any, operation: str) -> int:
        try:
            return self.columns.index(name)
        except ValueError:
            raise InvalidValueError(
                f"Table.{operation}: no column {name!r} (columns: {self.columns})"
            ) from None

    def _checked_kind(self, index: int, value: Any, kind: str | None, row: int) -> str | None:
        """The column's kind once ``value`` (of row ``row``) is in it; raise if it does not fit."""
        column = self.columns[index]
        if value is None:
            if not self._optional[index]:
                raise InvalidValueError(
                    f"Table column {column!r} does not allow None (optional=False); row {row}"
                )
            return kind
        value_kind = cell_kind(value, column, row)
        if kind is None or value_kind == kind:
            return value_kind
        if self._allow_mixed and not self._declared[index]:
            return kind
        if self._declared[index]:
            raise InvalidValueError(
                f"Table column {column!r} takes {kind} values (its dtype); row {row} has "
                f"{value_kind} {short_repr(value)}"
            )
        raise InvalidValueError(
            f"Table column {column!r} holds {kind} values; row {row} has {value_kind} "
            f"{short_repr(value)}; pass allow_mixed_types=True to mix types in a column"
        )
