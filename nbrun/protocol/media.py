"""Media payloads: what a history row (or a summary, or a table cell) holds for a rich value.

Each is a map with a ``_type`` the views dispatch on; it is a leaf for every key rule
(:mod:`nbrun.protocol.keys`), never flattened into metrics. Payloads that point at a file name
it by ``path``, relative to the run's ``files/`` folder (``media/<kind>/<sha256 prefix>.<ext>``:
the same content is stored once), and give its ``size`` and ``sha256``. The ``_type`` names are
the reference's, so code reading W&B histories reads these too. The dashboard reads them
through ``labextension/src/media.ts`` (kept in step by
``tests/unit/protocol/test_typescript_mirror.py``).
"""

from __future__ import annotations

import sys
from typing import Any, Final, Literal, TypedDict

if sys.version_info >= (3, 11):
    from typing import NotRequired
else:  # Python 3.10
    from typing_extensions import NotRequired

IMAGE: Final = "image-file"
HISTOGRAM: Final = "histogram"
TABLE: Final = "table-file"
HTML: Final = "html-file"
PLOTLY: Final = "plotly-file"
PLOT: Final = "plot"

# Where each kind's files go under the run's files/ folder.
MEDIA_FOLDERS: Final = {
    IMAGE: "media/images",
    TABLE: "media/tables",
    HTML: "media/html",
    PLOTLY: "media/plotly",
}


class ImageFile(TypedDict):
    _type: Literal["image-file"]
    path: str
    format: str  # png | jpeg | gif | webp
    size: int
    width: int | None
    height: int | None
    caption: NotRequired[str]


class HistogramValue(TypedDict):
    _type: Literal["histogram"]
    values: list[float]  # counts, one per bin
    bins: list[float]  # bin edges, one more than values


class TableFile(TypedDict):
    """A table: the file is JSON ``TableData``."""

    _type: Literal["table-file"]
    path: str
    size: int
    sha256: str
    ncols: int
    nrows: int
    columns: list[str]


class TableData(TypedDict):
    """What a ``table-file`` holds. Cells are JSON values or media payloads; floats JSON has no
    literal for are written as in :mod:`nbrun.protocol.http` ("NaN", "Infinity", "-Infinity")."""

    columns: list[str]
    data: list[list[Any]]


class HtmlFile(TypedDict):
    _type: Literal["html-file"]
    path: str
    size: int
    sha256: str


class PlotlyFile(TypedDict):
    """A plotly figure: the file is the figure's JSON (``{"data": [...], "layout": {...}}``)."""

    _type: Literal["plotly-file"]
    path: str
    size: int
    sha256: str


PlotPreset = Literal[
    "line",
    "scatter",
    "bar",
    "histogram",
    "line_series",
    "pr_curve",
    "roc_curve",
    "confusion_matrix",
]
PLOT_PRESETS: Final[tuple[str, ...]] = PlotPreset.__args__  # type: ignore[attr-defined]


class PlotValue(TypedDict):
    """A chart of ``nbrun.plot``: a table and how to draw it. ``fields`` maps the preset's roles
    (``x``, ``y``, ``stroke``, ``value``, ``actual``, ``predicted``, ...) to column names."""

    _type: Literal["plot"]
    preset: PlotPreset
    title: str | None
    fields: dict[str, str]
    table: TableFile


# Every payload by its _type.
PAYLOADS: Final[dict[str, type]] = {
    IMAGE: ImageFile,
    HISTOGRAM: HistogramValue,
    TABLE: TableFile,
    HTML: HtmlFile,
    PLOTLY: PlotlyFile,
    PLOT: PlotValue,
}
