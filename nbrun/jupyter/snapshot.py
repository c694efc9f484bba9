"""Static HTML of a run: header, one small SVG chart per metric grouped in sections, summary and
config tables. The live widget draws with the same pieces, so what a saved notebook keeps
looks like what the cell showed.

It renders without a kernel or a widget manager (nbviewer, GitHub, ``nbconvert --to html``):
no script, no network, inline styles only. Charts are SVG in ``<img src="data:...">`` because
JupyterLab's sanitizer (untrusted notebooks) strips inline ``<svg>`` but keeps images. Every
user string is escaped; the SVGs hold numbers only.
"""

from __future__ import annotations

import dataclasses
import html
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from nbrun.protocol.keys import MEDIA_TYPE_KEY, is_media, iter_flat, section_of

BADGES = {  # state -> (label, colour)
    "running": ("Running", "#1f6feb"),
    "finished": ("Finished", "#1a7f37"),
    "failed": ("Failed", "#cf222e"),
    "crashed": ("Crashed", "#bc4c00"),
    "preempting": ("Preempting", "#8250df"),
}
CHART_WIDTH, CHART_HEIGHT = 300, 140
SNAPSHOT_BYTES = 300_000  # a run's static view, media included, stays under this
MAX_TABLE_ROWS = 200
MAX_VALUE_CHARS = 200
_FONT = "font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;font-size:13px"
_UNGROUPED = "Charts"


@dataclasses.dataclass(frozen=True)
class RunHeader:
    """What the top line shows."""

    name: str
    state: str  # running / finished / failed / crashed / preempting
    step: int | None  # the last committed step; None before the first
    elapsed: float  # seconds since the run started (its runtime once finished)
    url: str | None  # the run's page; None offline
    sync: str  # one phrase: "offline", "synced", "12 records pending", ...
    # Records not reaching the log: said in red beside the badge ("disk full ...").
    alert: str | None = None


@dataclasses.dataclass(frozen=True)
class Chart:
    """One metric's downsampled points; ``x_key`` is ``_step`` or its step metric."""

    key: str
    x_key: str
    points: Sequence[tuple[float, float]]


@dataclasses.dataclass(frozen=True)
class MediaCard:
    """One media key drawn as a card (:mod:`nbrun.jupyter.media_html`): its latest value."""

    key: str
    html: str

    @property
    def size(self) -> int:
        return len(self.html.encode())


def snapshot_html(
    header: RunHeader,
    charts: Sequence[Chart],
    summary: Mapping[str, Any],
    config: Mapping[str, Any],
    media: Sequence[MediaCard] = (),
) -> str:
    """The whole static view of a run, for a saved notebook or an iframe's ``srcdoc``: at most
    about ``SNAPSHOT_BYTES``, media cards left out (and counted) past that."""
    top = header_html(header)
    tables = _table_html("Summary", summary, open_=True) + _table_html(
        "Config", config, open_=False
    )
    room = SNAPSHOT_BYTES - len(top.encode()) - len(tables.encode()) - 1_000
    return (
        f"<div class='nbrun-snapshot' style='{_FONT};line-height:1.4'>{top}"
        f"{sections_html(charts, media, room)}{tables}</div>"
    )


def sections_html(
    charts: Sequence[Chart], media: Sequence[MediaCard] = (), max_bytes: int | None = None
) -> str:
    """The charts and media cards as collapsible sections (a key's section by the key rules);
    past ``max_bytes`` in all, media cards are left out, with a note saying how many."""
    drawn = [(chart.key, chart_html(chart)) for chart in charts]
    room = None if max_bytes is None else max_bytes - sum(len(h.encode()) for _, h in drawn)
    left_out = 0
    for card in media:
        if room is not None:
            size = card.size
            if size > room:
                left_out += 1
                continue
            room -= size
        drawn.append((card.key, card.html))
    grouped: dict[str, list[str]] = {}
    for key, card_html in drawn:
        grouped.setdefault(section_of(key), []).append(card_html)
    parts = [
        f"<details open style='margin:6px 0'>{section_title_html(section, len(members))}"
        f"<div>{''.join(members)}</div></details>"
        for section, members in grouped.items()
    ]
    if left_out:
        parts.append(
            f"<div class='nbrun-media-note' style='color:#57606a;margin:4px 0'>{left_out} media "
            f"value{'s' if left_out > 1 else ''} left out to keep this view small: open the run "
            "page to see them</div>"
        )
    return "".join(parts)


def header_html(header: RunHeader) -> str:
    """Name (linked when online), state badge, step, elapsed time and sync state."""
    label, colour = BADGES.get(header.state, (header.state.capitalize(), "#57606a"))
    name = html.escape(header.name)
    if header.url and header.url.startswith(("http://", "https://", "/")):
        name = f"<a href='{html.escape(header.url)}' target='_blank' rel='noopener'>{name}</a>"
    step = "–" if header.step is None else str(int(header.step))
    return (
        f"<div class='nbrun-header' style='{_FONT};display:flex;gap:12px;align-items:center;"
        "flex-wrap:wrap;padding:4px 0'>"
        f"<b class='nbrun-name'>{name}</b>"
        f"<span class='nbrun-badge' style='background:{colour};color:#fff;border-radius:10px;"
        f"padding:1px 8px;font-size:12px'>{html.escape(label)}</span>"
        f"<span>step <b class='nbrun-step'>{step}</b></span>"
        f"<span class='nbrun-elapsed'>{format_duration(header.elapsed)}</span>"
        f"<span class='nbrun-sync' style='color:#57606a'>{html.escape(header.sync)}</span>"
        + (
            f"<span class='nbrun-alert' style='color:#cf222e;font-weight:600'>"
            f"⚠ {html.escape(header.alert)}</span>"
            if header.alert
            else ""
        )
        + "</div>"
    )


def sections(charts: Iterable[Chart]) -> list[tuple[str, list[Chart]]]:
    """Charts grouped by section, sections and charts in order of first appearance."""
    grouped: dict[str, list[Chart]] = {}
    for chart in charts:
        grouped.setdefault(section_of(chart.key), []).append(chart)
    return list(grouped.items())


def section_title_html(section: str, count: int) -> str:
    return (
        "<summary style='font-weight:600;cursor:pointer'>"
        f"{html.escape(section or _UNGROUPED)} <span style='color:#57606a'>({count})</span>"
        "</summary>"
    )


def chart_html(chart: Chart) -> str:
    """A small captioned chart; the caption names the metric and its last value."""
    short = chart.key.rpartition("/")[2]
    last = format_value(chart.points[-1][1]) if chart.points else "–"
    x_label = "step" if chart.x_key == "_step" else chart.x_key
    svg = chart_svg(chart.points)
    return (
        f"<div class='nbrun-chart' data-points='{len(chart.points)}' "
        f"style='display:inline-block;vertical-align:top;margin:3px;padding:4px;"
        f"border:1px solid #d0d7de;border-radius:4px;width:{CHART_WIDTH}px'>"
        f"<div title='{html.escape(chart.key)}' style='white-space:nowrap;overflow:hidden;"
        f"text-overflow:ellipsis'><b>{html.escape(short)}</b> "
        f"<span style='color:#57606a'>{html.escape(last)} · x: {html.escape(x_label)}</span></div>"
        f"<img alt='{html.escape(chart.key)}' width='{CHART_WIDTH}' height='{CHART_HEIGHT}' "
        f'src="{svg_data_uri(svg)}"></div>'
    )


# Kept as is in the data URI: none of them can end the double-quoted attribute or start markup.
_URI_SAFE = " =:,.;-/'()"


def svg_data_uri(svg: str) -> str:
    """``svg`` as a ``data:`` URI for a double-quoted ``src`` (images survive Lab's sanitiser
    where inline ``<svg>`` does not)."""
    return f"data:image/svg+xml,{quote(svg, safe=_URI_SAFE)}"


_LINE = "rgb(31,111,235)"


def chart_svg(points: Sequence[tuple[float, float]]) -> str:
    """A line chart of ``points`` with the y range and x range labelled (numbers only)."""
    w, h = CHART_WIDTH, CHART_HEIGHT
    left, right, top, bottom = 46, 6, 6, 16
    body = [f"<rect width='{w}' height='{h}' fill='white'/>"]
    if points:
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
        sx = (w - left - right) / (x1 - x0) if x1 > x0 else 0.0
        sy = (h - top - bottom) / (y1 - y0) if y1 > y0 else 0.0
        mid_x, mid_y = (w + left - right) / 2, (h + top - bottom) / 2

        def px(x: float) -> float:
            return left + (x - x0) * sx if sx else mid_x

        def py(y: float) -> float:
            return h - bottom - (y - y0) * sy if sy else mid_y

        grid = "stroke='rgb(234,238,242)' stroke-width='1'"
        body.append(f"<line x1='{left}' x2='{w - right}' y1='{top}' y2='{top}' {grid}/>")
        body.append(
            f"<line x1='{left}' x2='{w - right}' y1='{h - bottom}' y2='{h - bottom}' {grid}/>"
        )
        text = "font-family='sans-serif' font-size='10' fill='rgb(87,96,106)'"
        body.append(
            f"<text x='{left - 3}' y='{top + 8}' text-anchor='end' {text}>{format_value(y1)}</text>"
        )
        body.append(
            f"<text x='{left - 3}' y='{h - bottom}' text-anchor='end' {text}>"
            f"{format_value(y0)}</text>"
        )
        body.append(f"<text x='{left}' y='{h - 3}' {text}>{format_value(x0)}</text>")
        body.append(
            f"<text x='{w - right}' y='{h - 3}' text-anchor='end' {text}>{format_value(x1)}</text>"
        )
        if len(points) == 1:
            body.append(
                f"<circle cx='{px(xs[0]):.1f}' cy='{py(ys[0]):.1f}' r='2.5' fill='{_LINE}'/>"
            )
        else:
            path = "L".join(f"{px(x):.1f},{py(y):.1f}" for x, y in points)
            body.append(
                f"<path d='M{path}' fill='none' stroke='{_LINE}' stroke-width='1.5' "
                "stroke-linejoin='round'/>"
            )
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{w}' height='{h}' "
        f"viewBox='0 0 {w} {h}'>{''.join(body)}</svg>"
    )


def _table_html(title: str, values: Mapping[str, Any], *, open_: bool) -> str:
    rows = [(key, _media_label(value)) for key, value in iter_flat(values)]
    shown = rows[:MAX_TABLE_ROWS]
    more = len(rows) - len(shown)
    cells = "".join(
        "<tr><td style='padding:1px 12px 1px 0;color:#57606a'>"
        f"{html.escape(key)}</td><td style='padding:1px 0'>"
        f"{html.escape(format_value(value))}</td></tr>"
        for key, value in shown
    )
    if more:
        cells += f"<tr><td colspan='2' style='color:#57606a'>… and {more} more</td></tr>"
    if not rows:
        cells = "<tr><td style='color:#57606a'>(empty)</td></tr>"
    opened = " open" if open_ else ""
    return (
        f"<details{opened} class='nbrun-{title.lower()}' style='margin:6px 0'>"
        f"<summary style='font-weight:600;cursor:pointer'>{title}</summary>"
        f"<table style='border-collapse:collapse;font-size:12px'>{cells}</table></details>"
    )


def _media_label(value: Any) -> Any:
    """Media (a payload, or a list of them) by their kind, in parentheses; other values as
    they are."""
    if is_media(value):
        return f"({value[MEDIA_TYPE_KEY]})"
    if type(value) is list and value and all(is_media(item) for item in value):
        kinds = sorted({str(item[MEDIA_TYPE_KEY]) for item in value})
        return f"({len(value)} × {', '.join(kinds)})"
    return value


def format_value(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float):
        return f"{value:.4g}" if math.isfinite(value) else str(value)
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def format_duration(seconds: float) -> str:
    """``1h 02m``, ``3m 05s``, ``12s``."""
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"
