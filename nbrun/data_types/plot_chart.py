"""``CustomChart``, the value every ``nbrun.plot`` preset returns: a table, the preset, a title
and ``fields`` (the preset's roles mapped to the table's columns), logged as a ``plot`` payload
(``PlotValue``); with the argument checks the presets share (``chart_title``, ``as_list``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nbrun.data_types.media import Media, MediaFile
from nbrun.data_types.table import Table
from nbrun.errors import InvalidValueError
from nbrun.protocol.media import PLOT, PLOT_PRESETS


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


def chart_title(preset: str, title: Any, default: str | None = None) -> str | None:
    """``title`` checked to be a string, or ``default`` when it is None."""
    if title is None:
        return default
    if not isinstance(title, str):
        raise InvalidValueError(
            f"plot.{preset}: title must be a string, got {type(title).__name__}"
        )
    return title


def as_list(value: Any, name: str) -> list[Any]:
    """``value`` (the argument ``name``: a list, a NumPy array or a pandas Series) as a list."""
    if type(value).__module__ == "numpy" and hasattr(value, "ndim") and value.ndim >= 1:
        return list(value)
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        if type(value).__module__.partition(".")[0] == "pandas" and hasattr(value, "tolist"):
            return list(value.tolist())
        raise InvalidValueError(f"{name} must be a list or an array, got {type(value).__name__}")
    return list(value)
