"""Figures logged directly: plotly figures as their JSON, matplotlib figures as plotly where the
conversion is faithful and as images otherwise (nbrun/data_types/figures.py states the rule)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import nbrun
from nbrun.data_types.media import Media
from nbrun.sdk.values import convert_log_data

go = pytest.importorskip("plotly.graph_objects")
pio = pytest.importorskip("plotly.io")
matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures() -> Iterator[None]:
    yield
    plt.close("all")


def logged(value: Any) -> tuple[dict[str, Any], dict[str, bytes]]:
    """What log() records for ``value``: its payload, and the files it stores by path."""
    media: list[Media] = []
    row = convert_log_data({"chart": value}, media)
    return row["chart"], {f.path: f.data for m in media for f in m._nbrun_files()}


def test_a_plotly_figure_is_stored_as_its_json() -> None:
    figure = go.Figure(go.Scatter(x=[1, 2, 3], y=[2.0, np.nan, 4.0], name="<script>x</script>"))

    payload, files = logged(figure)

    assert payload["_type"] == "plotly-file"
    assert payload["path"].startswith("media/plotly/") and payload["path"].endswith(".plotly.json")
    assert payload["size"] == len(files[payload["path"]]) and len(payload["sha256"]) == 64
    assert files[payload["path"]] == figure.to_json().encode()
    read_back = pio.from_json(files[payload["path"]].decode())
    assert read_back.data[0].name == "<script>x</script>"
    assert list(read_back.data[0].x) == [1, 2, 3]


def test_nbrun_plotly_of_a_figure_is_what_logging_it_directly_stores() -> None:
    figure = go.Figure(go.Bar(x=["a", "b"], y=[1, 2]))

    assert nbrun.Plotly(figure)._nbrun_value() == logged(figure)[0]


def test_a_plotly_express_figure_is_a_plotly_figure() -> None:
    px = pytest.importorskip("plotly.express")

    payload, _ = logged(px.line(x=[0, 1], y=[1, 0]))

    assert payload["_type"] == "plotly-file"


def test_a_matplotlib_line_plot_becomes_a_plotly_figure_with_its_data() -> None:
    figure, axes = plt.subplots()
    axes.plot([1, 2, 3], [1, 4, 9], label="squares")
    axes.set_title("growth")

    payload, files = logged(figure)

    assert payload["_type"] == "plotly-file"
    converted = pio.from_json(files[payload["path"]].decode())
    assert [list(converted.data[0].x), list(converted.data[0].y)] == [[1, 2, 3], [1, 4, 9]]
    assert converted.layout.title.text == "growth"


def test_the_pyplot_module_logs_its_current_figure() -> None:
    plt.figure()
    plt.plot([0, 1], [5, 6])

    payload, files = logged(plt)

    converted = pio.from_json(files[payload["path"]].decode())
    assert list(converted.data[0].y) == [5, 6]


def test_axes_log_their_figure() -> None:
    _, axes = plt.subplots()
    axes.scatter([1, 2], [3, 4])

    assert logged(axes)[0]["_type"] == "plotly-file"


def draw_image(axes: Any) -> None:
    axes.imshow(np.eye(4))


def draw_pie(axes: Any) -> None:
    axes.pie([1, 2, 3])


def draw_histogram(axes: Any) -> None:
    axes.hist([1, 2, 2, 3, 3, 3])


def draw_contours(axes: Any) -> None:
    axes.contourf(np.outer(np.arange(5), np.arange(5)))


def draw_twin_axes(axes: Any) -> None:
    axes.plot([1, 2])
    axes.twinx().plot([2, 1])


def draw_annotation(axes: Any) -> None:
    axes.plot([1, 2])
    axes.annotate("peak", (2, 2), xytext=(1, 2), arrowprops={"arrowstyle": "->"})


def draw_suptitle(axes: Any) -> None:
    axes.plot([1, 2])
    axes.figure.suptitle("lost by the converter")


@pytest.mark.parametrize(
    "draw",
    [
        draw_image,
        draw_pie,
        draw_histogram,
        draw_contours,
        draw_twin_axes,
        draw_annotation,
        draw_suptitle,
    ],
)
def test_a_figure_plotly_would_not_draw_faithfully_is_logged_as_an_image(draw: Any) -> None:
    figure, axes = plt.subplots()
    draw(axes)

    payload, files = logged(figure)

    assert payload["_type"] == "image-file" and payload["format"] == "png"
    assert files[payload["path"]].startswith(b"\x89PNG")
    assert payload["width"] > 100 and payload["height"] > 100


def test_nbrun_plotly_refuses_what_it_cannot_convert_faithfully_and_points_to_image() -> None:
    figure, axes = plt.subplots()
    axes.pie([1, 2])

    with pytest.raises(ValueError, match=r"cannot convert .* \(it holds a Wedge\).*nbrun\.Image"):
        nbrun.Plotly(figure)


def test_nbrun_plotly_refuses_what_is_no_figure() -> None:
    with pytest.raises(ValueError, match="Plotly takes a plotly figure or a matplotlib figure"):
        nbrun.Plotly({"data": []})


@pytest.fixture
def no_plotly(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(sys.modules):
        if name == "plotly" or name.startswith("plotly."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "plotly", None)


@pytest.mark.usefixtures("no_plotly")
def test_without_plotly_a_matplotlib_figure_is_logged_as_an_image() -> None:
    figure, axes = plt.subplots()
    axes.plot([1, 2])

    assert logged(figure)[0]["_type"] == "image-file"


@pytest.mark.usefixtures("no_plotly")
def test_without_plotly_nbrun_plotly_names_the_extra_to_install() -> None:
    figure, axes = plt.subplots()
    axes.plot([1, 2])

    with pytest.raises(ValueError, match=r"plotly is not installed: pip install 'nbrun\[media\]'"):
        nbrun.Plotly(figure)


def test_a_figure_in_a_table_cell_is_stored_as_its_media() -> None:
    figure = go.Figure(go.Scatter(y=[1, 2]))
    table = nbrun.Table(columns=["chart"], data=[[figure]])

    files = {f.path: f.data for f in table._nbrun_files()}
    cell = json.loads(files[table._nbrun_value()["path"]])["data"][0][0]

    assert cell["_type"] == "plotly-file" and files[cell["path"]] == figure.to_json().encode()
