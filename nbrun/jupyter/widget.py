"""What the live run shows in its cell: an ipywidgets view, or a plain HTML display updated by
``display_id`` where widgets cannot render. Both draw with ``snapshot``'s pieces.

Charts are SVG images inside core ``ipywidgets.HTML`` widgets, not plotly ``FigureWidget``s:
each FigureWidget model carries plotly's ~5 MB bundle as widget state, so twenty charts would
push ~100 MB through iopub (rate-limited to 1 MB/s) and into every saved notebook. Core widgets
also render wherever ipywidgets does (Lab, Notebook 7, VS Code, Colab) with no extra extension.

A media key is a card in its section: the drawn values of its last steps in a ``Stack`` (each
sent once, as it is drawn) and a step slider linked to the stack in the browser (``jsdlink``):
messages from the browser reach a busy kernel only after its cell ends, so the slider must not
need the kernel to turn the page.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from nbrun.jupyter.live_media import DrawnMedia
from nbrun.jupyter.media_html import CARD_WIDTH, media_title_html
from nbrun.jupyter.snapshot import (
    Chart,
    RunHeader,
    chart_html,
    header_html,
    section_title_html,
    sections_html,
)
from nbrun.protocol.keys import section_of

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


class CellView(Protocol):
    """One live view of a run in its cell."""

    def bundle(self, fallback_html: str) -> dict[str, Any]:
        """The MIME bundle to display first."""
        ...

    def update(
        self,
        header: RunHeader,
        charts: Sequence[Chart],
        changed: set[str],
        media: Sequence[DrawnMedia] = (),
    ) -> int:
        """Show ``header``, the ``changed`` keys' charts (of ``charts``: every visible chart,
        in order) and the media keys' drawn values; returns the bytes sent to the front-end."""
        ...


class WidgetView:
    """A header line and one small chart per metric in sections, as core ipywidgets."""

    def __init__(self, header: RunHeader) -> None:
        import ipywidgets as widgets  # type: ignore[import-untyped]

        self._widgets = widgets
        self._header = widgets.HTML(header_html(header))
        self._sections_box = widgets.VBox([])
        self._sections: dict[str, tuple[Any, Any]] = {}  # section -> (title, charts box)
        self._charts: dict[str, Any] = {}
        self._media: dict[str, _MediaCard] = {}
        self.root = widgets.VBox(
            [self._header, self._sections_box], layout=widgets.Layout(width="100%")
        )

    def bundle(self, fallback_html: str) -> dict[str, Any]:
        return {
            WIDGET_MIME: {"version_major": 2, "version_minor": 0, "model_id": self.root.model_id},
            "text/html": fallback_html,
            "text/plain": "nbrun live run widget",
        }

    def update(
        self,
        header: RunHeader,
        charts: Sequence[Chart],
        changed: set[str],
        media: Sequence[DrawnMedia] = (),
    ) -> int:
        sent = 0
        value = header_html(header)
        if value != self._header.value:
            self._header.value = value
            sent += len(value)
        for chart in charts:
            if chart.key not in changed:
                continue
            value = chart_html(chart)
            sent += len(value)
            existing = self._charts.get(chart.key)
            if existing is not None:
                existing.value = value
            else:
                self._add_chart(chart.key, value)
        for drawn in media:
            card = self._media.get(drawn.key)
            if card is None:
                card = self._media[drawn.key] = _MediaCard(self._widgets, drawn.key)
                self._add_to_section(drawn.key, card.root)
            sent += card.show(drawn)
        return sent

    def _add_chart(self, key: str, value: str) -> None:
        widgets = self._widgets
        chart = widgets.HTML(value, layout=widgets.Layout(height="auto", margin="0"))
        self._charts[key] = chart
        self._add_to_section(key, chart)

    def _add_to_section(self, key: str, card: Any) -> None:
        widgets = self._widgets
        section = section_of(key)
        if section not in self._sections:
            title = widgets.HTML(layout=widgets.Layout(height="auto"))
            box = widgets.Box(
                [], layout=widgets.Layout(display="flex", flex_flow="row wrap", width="100%")
            )
            self._sections[section] = (title, box)
            self._sections_box.children = (*self._sections_box.children, title, box)
        title, box = self._sections[section]
        box.children = (*box.children, card)
        # A <summary> outside <details> renders as a plain bold line.
        title.value = section_title_html(section, len(box.children))


class _MediaCard:
    """One media key: its name, its drawn values in a ``Stack`` and a step slider turning the
    stack's pages in the browser. Each value is sent once; the oldest page goes (and its
    widget is closed) past ``MEDIA_STEPS`` pages. The stack changes before the slider, so the
    page the slider turns to is always there."""

    def __init__(self, widgets: Any, key: str) -> None:
        self._widgets = widgets
        self._seqs: list[int] = []  # of the pages, in order
        self.stack = widgets.Stack([], selected_index=None)
        self.slider = widgets.SelectionSlider(
            options=[" "],
            description="step",
            # Not continuous: the browser's slider then writes its index back on every
            # redraw, and a new step's options would put it back on the old page.
            continuous_update=False,
            layout=widgets.Layout(width="95%", display="none"),
            style={"description_width": "32px"},
        )
        self._link: Any = None  # made once the stack has a page (see show)
        self.root = widgets.VBox(
            [widgets.HTML(media_title_html(key)), self.stack, self.slider],
            layout=widgets.Layout(
                width=f"{CARD_WIDTH}px",
                margin="3px",
                padding="4px",
                border="1px solid #d0d7de",
            ),
        )

    def show(self, drawn: DrawnMedia) -> int:
        """Add the frames of ``drawn`` not shown yet and turn to the newest; bytes sent."""
        last = self._seqs[-1] if self._seqs else -1
        new = [frame for frame in drawn.frames if frame.seq > last]
        if not new:
            return 0
        widgets = self._widgets
        pages = list(self.stack.children)
        steps = list(self.slider.options) if self._seqs else []
        for frame in new:
            pages.append(widgets.HTML(frame.html, layout=widgets.Layout(height="auto")))
            steps.append("–" if frame.step is None else str(frame.step))
            self._seqs.append(frame.seq)
        dropped = pages[: max(0, len(pages) - len(drawn.frames))]
        keep = len(pages) - len(dropped)
        pages, steps, self._seqs = pages[-keep:], steps[-keep:], self._seqs[-keep:]
        newest = len(pages) - 1
        with self.stack.hold_sync():
            self.stack.children = pages
            self.stack.selected_index = newest
        with self.slider.hold_sync():
            self.slider.options = steps
            self.slider.index = newest
            self.slider.layout.display = "flex" if len(pages) > 1 else "none"
        if self._link is None:
            # A link sets its target from its source at once, in the browser: made before the
            # stack has the page the slider points at, the stack's view would fail. One way
            # only: a two-way link would push the stack's new index into the slider before the
            # slider has its new step, and the browser would clamp both back to the old page.
            self._link = widgets.jsdlink((self.slider, "index"), (self.stack, "selected_index"))
        for page in dropped:
            page.close()
        return sum(len(frame.html) for frame in new) + 40 * len(steps)


class HtmlView:
    """Plain HTML replaced by ``display_id``: for front-ends with no widget manager. Media show
    their latest value only (no slider without script)."""

    def __init__(self) -> None:
        self.handle: Any = None  # set once displayed

    def bundle(self, fallback_html: str) -> dict[str, Any]:
        return {"text/html": fallback_html, "text/plain": "nbrun live run"}

    def update(
        self,
        header: RunHeader,
        charts: Sequence[Chart],
        changed: set[str],
        media: Sequence[DrawnMedia] = (),
    ) -> int:
        value = live_html(header, charts, media)
        self.handle.update({"text/html": value, "text/plain": "nbrun live run"}, raw=True)
        return len(value)


LIVE_HTML_BYTES = 300_000  # the fallback view resends everything: media past this are left out


def live_html(header: RunHeader, charts: Sequence[Chart], media: Sequence[DrawnMedia] = ()) -> str:
    """Header, charts and media (no tables): the fallback view's content while the run goes
    on."""
    cards = [drawn.card() for drawn in media]
    return (
        f"<div class='nbrun-live'>{header_html(header)}"
        f"{sections_html(charts, cards, LIVE_HTML_BYTES)}</div>"
    )
