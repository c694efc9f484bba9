"""Figures of plotting libraries: plotly figures stored as their JSON (``nbrun.Plotly``), and
matplotlib figures converted to plotly where the conversion is faithful, else logged as images.

The rule for matplotlib (the reference's, made safe): a figure holding images (``imshow``)
becomes an ``Image``; otherwise plotly's converter (``plotly.tools.mpl_to_plotly``) is tried.
That converter draws lines, scatter points, bars and text but drops or garbles much else on
current matplotlib (pie wedges vanish, contour fills become outlines, histograms and box plots
raise, a figure's suptitle is lost), so nbrun converts only figures whose axes hold nothing but
those artists and falls back to an ``Image`` otherwise, or when plotly is not installed, or
when the converter fails. ``nbrun.Plotly(fig)`` asks for the conversion explicitly and raises
where nbrun would fall back.

Neither plotly nor matplotlib is imported until such a value is logged.
"""

from __future__ import annotations

import types
import warnings
from typing import Any

from nbrun.data_types.image import Image
from nbrun.data_types.media import Media, MediaFile, StoredBytes
from nbrun.errors import InvalidValueError
from nbrun.protocol.media import MEDIA_FOLDERS, PLOTLY

EXTRA_HINT = "pip install 'nbrun[media]' (or pip install plotly)"


class Plotly(Media):
    """A plotly figure (``plotly.graph_objects.Figure``, a plotly express figure), or a
    matplotlib figure that converts faithfully to one. Logging a plotly figure directly does
    the same: ``run.log({"chart": fig})``."""

    def __init__(self, val: Any) -> None:
        if is_plotly_figure(val):
            figure = val
        elif is_matplotlib(val):
            converted, reason = matplotlib_to_plotly(matplotlib_figure(val, "Plotly"))
            if converted is None:
                raise InvalidValueError(
                    f"Plotly cannot convert this matplotlib figure faithfully ({reason}); "
                    "log it as an image instead: nbrun.Image(fig)"
                )
            figure = converted
        else:
            raise InvalidValueError(
                "Plotly takes a plotly figure or a matplotlib figure; got "
                f"{type(val).__module__}.{type(val).__qualname__}"
            )
        try:
            text = figure.to_json()
        except Exception as exc:  # plotly's validation or encoder refused the figure
            raise InvalidValueError(f"Plotly figure cannot be encoded as JSON: {exc}") from None
        self._stored = StoredBytes.of(MEDIA_FOLDERS[PLOTLY], text.encode("utf-8"), "plotly.json")

    @classmethod
    def make_plot_media(cls, val: Any) -> Image | Plotly:
        """What a figure logged directly becomes: a ``Plotly`` for a plotly figure or a
        faithfully convertible matplotlib figure, an ``Image`` for any other matplotlib one."""
        if is_plotly_figure(val):
            return cls(val)
        figure = matplotlib_figure(val, "log()")
        converted, _ = matplotlib_to_plotly(figure)
        if converted is None:
            return Image(figure)
        return cls(converted)

    def _nbrun_value(self) -> dict[str, Any]:
        return self._stored.reference(PLOTLY)

    def _nbrun_files(self) -> list[MediaFile]:
        return [self._stored.file()]

    def __repr__(self) -> str:
        return f"Plotly({len(self._stored.data)} bytes)"


def figure_media(value: Any) -> Media | None:
    """The media a plotting library's object logged directly becomes, or None if ``value`` is
    no figure: a plotly figure, a matplotlib figure, axes or the ``matplotlib.pyplot`` module
    (its current figure)."""
    if is_plotly_figure(value) or is_matplotlib(value):
        return Plotly.make_plot_media(value)
    return None


def is_plotly_figure(value: Any) -> bool:
    return type(value).__module__.startswith("plotly.") and hasattr(value, "to_plotly_json")


def is_matplotlib(value: Any) -> bool:
    if isinstance(value, types.ModuleType):
        return value.__name__ == "matplotlib.pyplot"
    return type(value).__module__.startswith("matplotlib.")


def matplotlib_figure(value: Any, context: str) -> Any:
    """The ``matplotlib.figure.Figure`` behind ``value`` (pyplot: its current figure)."""
    from matplotlib.figure import Figure

    if isinstance(value, types.ModuleType):
        return value.gcf()
    if isinstance(value, Figure):
        return value
    figure = getattr(value, "figure", None)
    if isinstance(figure, Figure):
        return figure
    raise InvalidValueError(
        f"{context} takes a matplotlib figure, axes or the matplotlib.pyplot module; got "
        f"{type(value).__module__}.{type(value).__qualname__}"
    )


def matplotlib_to_plotly(figure: Any) -> tuple[Any, str]:
    """``(plotly figure, "")`` when ``figure`` converts faithfully, else ``(None, reason)``."""
    reason = _unconvertible(figure)
    if reason:
        return None, reason
    try:
        import plotly.tools
    except ImportError:
        return None, f"plotly is not installed: {EXTRA_HINT}"
    try:
        with warnings.catch_warnings():
            # The converter reads matplotlib attributes deprecated since 3.10.
            warnings.simplefilter("ignore")
            converted = plotly.tools.mpl_to_plotly(figure)
    except Exception as exc:
        return None, f"plotly's converter failed: {type(exc).__name__}"
    if not converted.data:
        return None, "plotly's converter drew nothing"
    return converted, ""


def _unconvertible(figure: Any) -> str:
    """Why plotly's converter would not draw ``figure`` faithfully, or "" when it would."""
    from matplotlib.axis import Axis
    from matplotlib.collections import PathCollection
    from matplotlib.legend import Legend
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle
    from matplotlib.spines import Spine
    from matplotlib.text import Annotation, Text

    if figure.images or figure.texts or figure.legends or figure.subfigs:
        return "it draws images, text or legends on the figure itself"
    if not figure.axes:
        return "it has no axes"
    drawn = (Line2D, PathCollection, Rectangle, Text, Legend, Spine, Axis)
    boxes = [axes.get_position() for axes in figure.axes]
    for i, box in enumerate(boxes):
        if any(box.overlaps(other) for other in boxes[i + 1 :]):
            return "its axes overlap (twin or inset axes)"
    for axes in figure.axes:
        if axes.name != "rectilinear":
            return f"it has {axes.name} axes"
        if axes.images:
            return "it holds images"
        for artist in axes.get_children():
            if isinstance(artist, Annotation) or not isinstance(artist, drawn):
                return f"it holds a {type(artist).__name__}"
    return ""
