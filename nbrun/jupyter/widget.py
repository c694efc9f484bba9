"""What the live run shows in its cell: an ipywidgets view, or a plain HTML display updated by
``display_id`` where widgets cannot render. Both draw with ``snapshot``'s pieces.

Charts are SVG images inside core ``ipywidgets.HTML`` widgets, not plotly ``FigureWidget``s:
each FigureWidget model carries plotly's ~5 MB bundle as widget state, so twenty charts would
push ~100 MB through iopub (rate-limited to 1 MB/s) and into every saved notebook. Core widgets
also render wherever ipywidgets does (Lab, Notebook 7, VS Code, Colab) with no extra extension.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

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

    def update(self, header: RunHeader, charts: Sequence[Chart], changed: set[str]) -> int:
        """Show ``header`` and the ``changed`` keys' charts (of ``charts``: every visible chart,
        in order); returns the bytes sent to the front-end."""
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
        self.root = widgets.VBox(
            [self._header, self._sections_box], layout=widgets.Layout(width="100%")
        )

    def bundle(self, fallback_html: str) -> dict[str, Any]:
        return {
            WIDGET_MIME: {"version_major": 2, "version_minor": 0, "model_id": self.root.model_id},
            "text/html": fallback_html,
            "text/plain": "nbrun live run widget",
        }

    def update(self, header: RunHeader, charts: Sequence[Chart], changed: set[str]) -> int:
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
        return sent

    def _add_chart(self, key: str, value: str) -> None:
        widgets = self._widgets
        chart = widgets.HTML(value, layout=widgets.Layout(height="auto", margin="0"))
        self._charts[key] = chart
        section = section_of(key)
        if section not in self._sections:
            title = widgets.HTML(layout=widgets.Layout(height="auto"))
            box = widgets.Box(
                [], layout=widgets.Layout(display="flex", flex_flow="row wrap", width="100%")
            )
            self._sections[section] = (title, box)
            self._sections_box.children = (*self._sections_box.children, title, box)
        title, box = self._sections[section]
        box.children = (*box.children, chart)
        # A <summary> outside <details> renders as a plain bold line.
        title.value = section_title_html(section, len(box.children))


class HtmlView:
    """Plain HTML replaced by ``display_id``: for front-ends with no widget manager."""

    def __init__(self) -> None:
        self.handle: Any = None  # set once displayed

    def bundle(self, fallback_html: str) -> dict[str, Any]:
        return {"text/html": fallback_html, "text/plain": "nbrun live run"}

    def update(self, header: RunHeader, charts: Sequence[Chart], changed: set[str]) -> int:
        value = live_html(header, charts)
        self.handle.update({"text/html": value, "text/plain": "nbrun live run"}, raw=True)
        return len(value)


def live_html(header: RunHeader, charts: Sequence[Chart]) -> str:
    """Header and charts (no tables): the fallback view's content while the run goes on."""
    return f"<div class='nbrun-live'>{header_html(header)}{sections_html(charts)}</div>"
