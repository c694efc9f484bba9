"""Media payloads: what a history row (or a summary, or a table cell) holds for a rich value.

Each is a map with a ``_type`` the views dispatch on; it is a leaf for every key rule
(:mod:`nbrun.protocol.keys`), never flattened into metrics. Payloads that point at a file name
it by ``path``, relative to the run's ``files/`` folder, and give its ``size`` and ``sha256``.
A value logged under a key has its files named by key, step and content, as the reference names
them (:func:`logged_file_path`); files a value holds inside another (a table's image cells) by
content alone (``media/<kind>/<sha256 prefix>.<ext>``). Either way one content is one file on
disk. The ``_type`` names are the reference's, so code reading W&B histories reads these too.
The dashboard reads them through ``labextension/src/media.ts`` (kept in step by
``tests/unit/protocol/test_typescript_mirror.py``).
"""

from __future__ import annotations

import re
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
AUDIO: Final = "audio-file"
VIDEO: Final = "video-file"
OBJECT3D: Final = "object3D-file"

# Where each kind's files go under the run's files/ folder.
MEDIA_FOLDERS: Final = {
    IMAGE: "media/images",
    TABLE: "media/tables",
    HTML: "media/html",
    PLOTLY: "media/plotly",
    AUDIO: "media/audio",
    VIDEO: "media/videos",
    OBJECT3D: "media/object3d",
}

# Characters a key keeps in a file name; others become "_" ("/" starts a folder, as the
# reference's names do).
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")
_MAX_NAME_PART = 100
_NAME_HASH = 20  # hex digits of the content hash in a logged file's name, as the reference


def logged_file_path(content_path: str, key: str, step: int) -> str:
    """Where the file of a value logged under ``key`` at ``step`` goes, given its content path
    (``media/<kind>/<digest>.<ext>``): ``media/<kind>/<key>_<step>_<digest[:20]>.<ext>``, so
    ``log({"val/sample": img}, step=3)`` writes ``media/images/val/sample_3_0a1b….png``."""
    folder, _, name = content_path.rpartition("/")
    digest, _, suffix = name.partition(".")
    parts = [_UNSAFE_NAME.sub("_", part)[:_MAX_NAME_PART].strip(".") for part in key.split("/")]
    stem = "/".join(part or "_" for part in parts)
    return f"{folder}/{stem}_{step}_{digest[:_NAME_HASH]}.{suffix}"


# Overlay classes are drawn in these colours by class id (id modulo the length), in the
# widget's thumbnails and on the dashboard alike.
CLASS_COLOURS: Final = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")
MASK_ALPHA: Final = 0.45  # how opaque a mask's colours are over the image


class BoxPosition(TypedDict):
    """Corners; fractions of the image, or pixels when the box's ``domain`` is "pixel"."""

    minX: float
    minY: float
    maxX: float
    maxY: float


class Box(TypedDict):
    position: BoxPosition
    class_id: int
    domain: NotRequired[Literal["pixel"]]
    box_caption: NotRequired[str]
    scores: NotRequired[dict[str, float]]


class BoxGroup(TypedDict):
    """One named set of boxes (``predictions``, ``ground_truth``, ...) over an image."""

    box_data: list[Box]
    class_labels: dict[str, str]  # class id (as text) -> name


class MaskFile(TypedDict):
    """A segmentation mask: the file is a grayscale PNG of class ids, the image's size."""

    path: str
    size: int
    sha256: str
    class_labels: dict[str, str]


class ImageFile(TypedDict):
    _type: Literal["image-file"]
    path: str
    format: str  # png | jpeg | gif | webp
    size: int
    width: int | None
    height: int | None
    caption: NotRequired[str]
    boxes: NotRequired[dict[str, BoxGroup]]  # by group name
    masks: NotRequired[dict[str, MaskFile]]  # by group name


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


class AudioFile(TypedDict):
    """A sound: a WAV file (16-bit PCM) for arrays, or the file logged (wav, mp3, ogg, flac).
    ``sample_rate`` and ``duration`` (seconds) are None when nbrun cannot read them from the
    file."""

    _type: Literal["audio-file"]
    path: str
    size: int
    sha256: str
    sample_rate: int | None
    duration: float | None
    caption: NotRequired[str]


class VideoFile(TypedDict):
    """A video: ``format`` is gif | mp4 | webm | ogg. Frames are ``width`` × ``height`` pixels
    (a batch tiled into one grid); the numbers are None when nbrun cannot read them from a file
    logged as it is."""

    _type: Literal["video-file"]
    path: str
    size: int
    sha256: str
    format: str
    width: int | None
    height: int | None
    frames: int | None
    fps: float | None
    caption: NotRequired[str]


class Object3DFile(TypedDict):
    """A 3D value: ``format`` is pts.json (a point cloud: JSON ``{"points": [[x, y, z, ...],
    ...]}``, N×3, N×4 with a category or N×6 with r, g, b in 0..255, plus a scene's ``type``,
    ``boxes`` and ``vectors``; a file logged may hold a bare list of points) or obj | gltf | glb
    | stl (a file logged as it is). ``points`` is the cloud's point count, None for a model."""

    _type: Literal["object3D-file"]
    path: str
    size: int
    sha256: str
    format: str
    points: int | None
    caption: NotRequired[str]


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
    AUDIO: AudioFile,
    VIDEO: VideoFile,
    OBJECT3D: Object3DFile,
}
