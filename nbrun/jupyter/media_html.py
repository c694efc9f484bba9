"""Media values drawn small, for the live widget and the static snapshot alike.

- Images: thumbnails made in the kernel. PNGs are decoded (:func:`nbrun.data_types.png.
  decode_png`), box-shrunk to at most ``THUMB_SIDE`` pixels a side and encoded again, so a
  full-size image never goes through iopub or into a saved notebook. Other formats (JPEG, GIF,
  WebP files) are embedded as they are when small, else a placeholder gives their size.
- Histograms: an SVG bar chart, like the metric charts (numbers only).
- Tables: the row count, the column names and the first rows.
- Audio and video: small players (:mod:`nbrun.jupyter.media_av`), or a placeholder; 3D
  objects: a placeholder with their point count or format and size.
- Html, plotly figures, ``nbrun.plot`` charts and kinds this module does not know: a labelled
  placeholder pointing at the run page.

Every user string (captions, column names, cells, ``_type`` names) is escaped; images are
``data:`` URIs, which JupyterLab's sanitiser keeps. Rendering reads files of the run's
``files/`` folder, so it runs on the widget's publisher thread, never in ``log()``.
"""

from __future__ import annotations

import html
import json
import math
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from nbrun.jupyter.media_av import media_player, object3d_note
from nbrun.jupyter.overlays import overlay_key
from nbrun.jupyter.snapshot import format_value, svg_data_uri
from nbrun.jupyter.thumbnails import Thumbnail, make_thumbnail
from nbrun.protocol import media as kinds
from nbrun.protocol.keys import MEDIA_TYPE_KEY

THUMB_SIDE = 128  # pixels, the longest side of a thumbnail
GALLERY_SIDE = 64  # each image of a list of images logged under one key
GALLERY_IMAGES = 4  # shown of a list; the rest are counted
TABLE_ROWS = 5
TABLE_COLUMNS = 8
CELL_CHARS = 40
TABLE_PARSE_BYTES = 1_000_000  # larger table files: only their beginning is read
TABLE_PREFIX_BYTES = 256_000
HISTOGRAM_BARS = 128  # more bins are merged for drawing
HIST_WIDTH, HIST_HEIGHT = 280, 110
CACHE_SIZE = 256  # thumbnails kept, by file and size
CARD_WIDTH = 300

_MUTED = "color:#57606a;font-size:12px"
_RUN_PAGE = "open the run page"
_BAR = "rgb(31,111,235)"


class MediaRenderer:
    """Draws logged media values as HTML; ``files`` is the run's ``files/`` folder (None when
    the run has none: only values without files can be drawn)."""

    def __init__(self, files: Path | None) -> None:
        self._files = files
        self._thumbnails: OrderedDict[tuple[str, int, str], Thumbnail] = OrderedDict()

    def frame(self, value: Any, step: int | None, give_up: bool = False) -> str | None:
        """One logged value (a payload, or a list of them: a gallery) at ``step`` as HTML; None
        while a file it needs is not written yet, unless ``give_up`` (then it says so)."""
        body = self._body(value, give_up)
        if body is None:
            return None
        label = "" if step is None else f"step {int(step)}"
        return (
            f"<div class='nbrun-frame' data-step='{'' if step is None else int(step)}'>"
            f"<div style='{_MUTED}'>{label}</div>{body}</div>"
        )

    def _body(self, value: Any, give_up: bool) -> str | None:
        if isinstance(value, list):
            return self._gallery(value, give_up)
        kind = media_kind(value)
        if kind == kinds.IMAGE:
            thumbnail = self.thumbnail(value, THUMB_SIDE)
            if thumbnail is None:
                return placeholder("image: its file is not written") if give_up else None
            return image_html(thumbnail, value.get("caption"))
        if kind == kinds.HISTOGRAM:
            return histogram_html(value)
        if kind == kinds.TABLE:
            return self._table(value, give_up)
        if kind in (kinds.AUDIO, kinds.VIDEO):
            player = media_player(self._file(value.get("path")), value, give_up)
            if player is None:
                return None
            body = placeholder(player.note) if player.html is None else player.html
            return body + caption_html(value.get("caption"))
        if kind == kinds.OBJECT3D:
            return placeholder(object3d_note(value)) + caption_html(value.get("caption"))
        if kind == kinds.PLOT:
            preset = value.get("preset")
            title = value.get("title")
            label = f"{preset if isinstance(preset, str) else 'plot'} chart"
            if isinstance(title, str) and title:
                label += f" “{title}”"
            return placeholder(label)
        return placeholder(_KIND_LABELS.get(kind, kind or "value"))

    # -- images ------------------------------------------------------------------------------
    def thumbnail(self, value: dict[str, Any], side: int) -> Thumbnail | None:
        """The image of an ``image-file`` payload at most ``side`` pixels a side; None while
        its file is not there yet."""
        relative = value.get("path")
        path = self._file(relative)
        if path is None:
            return Thumbnail(None, note="image: no file in this run")
        assert isinstance(relative, str)
        cache_key = (relative, side, overlay_key(value))
        cached = self._thumbnails.get(cache_key)
        if cached is not None:
            self._thumbnails.move_to_end(cache_key)
            return cached
        try:
            made = make_thumbnail(path, value, side, self._file)
        except FileNotFoundError:
            return None
        except OSError as exc:
            made = Thumbnail(None, note=f"image: cannot be read ({exc.strerror or exc})")
        self._thumbnails[cache_key] = made
        if len(self._thumbnails) > CACHE_SIZE:
            self._thumbnails.popitem(last=False)
        return made

    def _gallery(self, values: list[Any], give_up: bool) -> str | None:
        items = []
        for value in values[:GALLERY_IMAGES]:
            if media_kind(value) != kinds.IMAGE:
                items.append(placeholder(_KIND_LABELS.get(media_kind(value), "value")))
                continue
            thumbnail = self.thumbnail(value, GALLERY_SIDE)
            if thumbnail is None:
                if not give_up:
                    return None
                thumbnail = Thumbnail(None, note="image: its file is not written")
            items.append(image_html(thumbnail, value.get("caption")))
        more = len(values) - GALLERY_IMAGES
        tail = f"<div style='{_MUTED}'>+ {more} more</div>" if more > 0 else ""
        return (
            "<div style='display:flex;flex-wrap:wrap;gap:4px;align-items:flex-start'>"
            + "".join(f"<div style='max-width:{GALLERY_SIDE * 2}px'>{i}</div>" for i in items)
            + f"</div>{tail}"
        )

    # -- tables ------------------------------------------------------------------------------
    def _table(self, value: dict[str, Any], give_up: bool) -> str | None:
        rows: list[Any] | None = None
        path = self._file(value.get("path"))
        if path is not None:
            try:
                rows = first_rows(path, TABLE_ROWS)
            except FileNotFoundError:
                if not give_up:
                    return None
            except (OSError, ValueError):
                rows = None
        return table_html(value, rows)

    def _file(self, relative: Any) -> Path | None:
        """The file at ``relative`` under the run's ``files/`` folder; None for a path that
        would leave it (payloads are the run's own, but a record log may come from anywhere)."""
        if self._files is None or not isinstance(relative, str) or not relative:
            return None
        parts = PurePosixPath(relative).parts
        if PurePosixPath(relative).is_absolute() or ".." in parts or "\\" in relative:
            return None
        return self._files.joinpath(*parts)


def media_kind(value: Any) -> str:
    """The ``_type`` of a media payload ("" for anything else)."""
    if type(value) is dict:
        kind = value.get(MEDIA_TYPE_KEY)
        if isinstance(kind, str):
            return kind
    return ""


_KIND_LABELS = {
    kinds.PLOTLY: "plotly figure",
    kinds.HTML: "HTML",
    kinds.TABLE: "table",
    kinds.IMAGE: "image",
    kinds.HISTOGRAM: "histogram",
    kinds.PLOT: "chart",
    kinds.AUDIO: "audio",
    kinds.VIDEO: "video",
    kinds.OBJECT3D: "3D object",
}


def value_kind(value: Any) -> str:
    """The kind a logged value shows as: its ``_type``, or ``gallery`` for a list."""
    return "gallery" if isinstance(value, list) else media_kind(value)


def media_card_html(key: str, kind: str, frame: str) -> str:
    """A card like a metric chart's: the key's short name above the drawn value."""
    return (
        f"<div class='nbrun-media' data-kind='{html.escape(kind)}' style='display:inline-block;"
        "vertical-align:top;margin:3px;padding:4px;border:1px solid #d0d7de;border-radius:4px;"
        f"max-width:{CARD_WIDTH}px;min-width:140px'>{media_title_html(key)}{frame}</div>"
    )


def media_title_html(key: str) -> str:
    short = key.rpartition("/")[2]
    return (
        f"<div title='{html.escape(key)}' style='white-space:nowrap;overflow:hidden;"
        f"text-overflow:ellipsis'><b>{html.escape(short)}</b></div>"
    )


def placeholder(label: str) -> str:
    return (
        "<div class='nbrun-placeholder' style='color:#57606a;font-size:12px;padding:10px 8px;"
        "background:#f6f8fa;border-radius:4px'>"
        f"{html.escape(label)} — {_RUN_PAGE}</div>"
    )


def caption_html(caption: Any) -> str:
    if not (isinstance(caption, str) and caption):
        return ""
    return (
        "<div class='nbrun-caption' style='font-size:12px;overflow-wrap:anywhere'>"
        f"{html.escape(caption)}</div>"
    )


def image_html(thumbnail: Thumbnail, caption: Any) -> str:
    text = caption_html(caption)
    if thumbnail.uri is None:
        return placeholder(thumbnail.note) + text
    style = "display:block;image-rendering:pixelated" if thumbnail.pixelated else "display:block"
    if thumbnail.width is not None and thumbnail.height is not None:
        size = f"width='{thumbnail.width}' height='{thumbnail.height}' "
    else:
        size = ""
        style += f";max-width:{THUMB_SIDE}px;max-height:{THUMB_SIDE}px"
    alt = html.escape(caption) if isinstance(caption, str) else "image"
    return f"<img src=\"{thumbnail.uri}\" {size}alt='{alt}' style='{style}'>{text}"


# -- histograms ------------------------------------------------------------------------------
def histogram_html(value: dict[str, Any]) -> str:
    counts, edges = value.get("values"), value.get("bins")
    if not (isinstance(counts, list) and isinstance(edges, list)) or not counts:
        return placeholder("histogram")
    if not _numbers(counts) or not _numbers(edges) or len(edges) != len(counts) + 1:
        return placeholder("histogram")
    svg = histogram_svg(counts, edges)
    return (
        f"<img class='nbrun-histogram' alt='histogram' width='{HIST_WIDTH}' "
        f"height='{HIST_HEIGHT}' src=\"{svg_data_uri(svg)}\">"
    )


def _numbers(values: list[Any]) -> bool:
    return all(type(v) in (int, float) and math.isfinite(v) for v in values)


def histogram_svg(counts: Sequence[float], edges: Sequence[float]) -> str:
    """Bars of ``counts`` over their bin ``edges`` (more than ``HISTOGRAM_BARS`` bins are
    merged), with the x range and the highest count labelled: numbers only."""
    if len(counts) > HISTOGRAM_BARS:
        group = -(-len(counts) // HISTOGRAM_BARS)
        counts = [sum(counts[i : i + group]) for i in range(0, len(counts), group)]
        edges = [*edges[:-1:group], edges[-1]]
    w, h = HIST_WIDTH, HIST_HEIGHT
    left, right, top, bottom = 40, 6, 6, 16
    x0, x1 = float(edges[0]), float(edges[-1])
    top_count = max(max(counts), 0.0)
    sx = (w - left - right) / (x1 - x0) if x1 > x0 else 0.0
    sy = (h - top - bottom) / top_count if top_count > 0 else 0.0
    bar_width = (w - left - right) / len(counts)
    text = "font-family='sans-serif' font-size='10' fill='rgb(87,96,106)'"
    body = [
        f"<rect width='{w}' height='{h}' fill='white'/>",
        f"<line x1='{left}' x2='{w - right}' y1='{h - bottom}' y2='{h - bottom}' "
        "stroke='rgb(208,215,222)' stroke-width='1'/>",
        f"<text x='{left - 3}' y='{top + 8}' text-anchor='end' {text}>"
        f"{format_value(float(top_count))}</text>",
        f"<text x='{left - 3}' y='{h - bottom}' text-anchor='end' {text}>0</text>",
        f"<text x='{left}' y='{h - 3}' {text}>{format_value(x0)}</text>",
        f"<text x='{w - right}' y='{h - 3}' text-anchor='end' {text}>{format_value(x1)}</text>",
    ]
    for i, count in enumerate(counts):
        if count <= 0:
            continue
        if sx:
            start, end = left + (edges[i] - x0) * sx, left + (edges[i + 1] - x0) * sx
        else:  # every edge the same: equal bars side by side
            start, end = left + i * bar_width, left + (i + 1) * bar_width
        height = count * sy
        body.append(
            f"<rect x='{start:.1f}' y='{h - bottom - height:.1f}' "
            f"width='{max(end - start - 0.5, 0.5):.1f}' height='{height:.1f}' fill='{_BAR}'/>"
        )
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{w}' height='{h}' "
        f"viewBox='0 0 {w} {h}'>{''.join(body)}</svg>"
    )


# -- tables ----------------------------------------------------------------------------------
def table_html(value: dict[str, Any], rows: list[Any] | None) -> str:
    """The row count, the column names and the first ``rows`` (None: not readable)."""
    columns = value.get("columns")
    columns = [str(c) for c in columns] if isinstance(columns, list) else []
    nrows = value.get("nrows")
    count = f"{nrows:,} rows" if isinstance(nrows, int) else "rows"
    shown = columns[:TABLE_COLUMNS]
    more_columns = len(columns) - len(shown)
    cell = "padding:1px 6px;border-bottom:1px solid #eaeef2;text-align:left;white-space:nowrap"
    head = "".join(f"<th style='{cell}'>{html.escape(_clip(c))}</th>" for c in shown)
    if more_columns > 0:
        head += f"<th style='{cell};{_MUTED}'>+{more_columns}</th>"
    body = ""
    for row in rows or []:
        cells = row if isinstance(row, list) else [row]
        body += (
            "<tr>"
            + "".join(
                f"<td style='{cell}'>{html.escape(_clip(_cell_text(c)))}</td>"
                for c in cells[: len(shown) or TABLE_COLUMNS]
            )
            + "</tr>"
        )
    if rows is None:
        body = f"<tr><td colspan='{len(shown) or 1}' style='{_MUTED}'>rows not readable</td></tr>"
    summary = f"{count} × {len(columns)} columns" if columns else count
    return (
        f"<div class='nbrun-table-size' data-rows='{nrows if isinstance(nrows, int) else ''}' "
        f"style='{_MUTED}'>{html.escape(summary)}</div>"
        "<div style='overflow-x:auto;max-width:100%'>"
        f"<table class='nbrun-table' style='border-collapse:collapse;font-size:11px'>"
        f"<tr>{head}</tr>{body}</table></div>"
    )


def _cell_text(value: Any) -> str:
    kind = media_kind(value)
    if kind:
        return f"[{_KIND_LABELS.get(kind, kind)}]"
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)[: CELL_CHARS + 1]
    return format_value(value)


def _clip(text: str) -> str:
    return text if len(text) <= CELL_CHARS else text[: CELL_CHARS - 1] + "…"


def first_rows(path: Path, limit: int) -> list[Any]:
    """The first ``limit`` rows of a table file (JSON ``{"columns": [...], "data": [...]}``);
    of a large file only the beginning is read and parsed."""
    size = path.stat().st_size
    if size <= TABLE_PARSE_BYTES:
        import orjson

        document = orjson.loads(path.read_bytes())
        data = document.get("data") if isinstance(document, dict) else None
        return list(data[:limit]) if isinstance(data, list) else []
    with path.open("rb") as handle:
        text = handle.read(TABLE_PREFIX_BYTES).decode("utf-8", errors="ignore")
    return _prefix_rows(text, limit)


def _prefix_rows(text: str, limit: int) -> list[Any]:
    """Rows of the ``data`` list at the top level of a JSON object cut short anywhere."""
    decoder = json.JSONDecoder()
    rows: list[Any] = []

    def skip(pos: int) -> int:
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        return pos

    try:
        pos = skip(0)
        if text[pos] != "{":
            return rows
        pos = skip(pos + 1)
        while text[pos] == '"':
            key, pos = decoder.raw_decode(text, pos)
            pos = skip(pos)
            pos = skip(pos + 1)  # the colon
            if key != "data":
                _, pos = decoder.raw_decode(text, pos)
                pos = skip(pos)
                pos = skip(pos + 1)  # the comma
                continue
            pos = skip(pos + 1)  # the opening bracket
            while len(rows) < limit and text[pos] != "]":
                row, pos = decoder.raw_decode(text, pos)
                rows.append(row)
                pos = skip(pos)
                if text[pos] == ",":
                    pos = skip(pos + 1)
            return rows
    except (ValueError, IndexError):  # cut short: the rows read so far
        return rows
    return rows
