"""tests/notebooks/media_widget.ipynb executed by nbclient (a real kernel) and saved: the static
snapshot shows each media key small (thumbnails made in the kernel, a histogram chart, a
table's first rows), escaped and under its size cap; the widget's saved state shows the latest
image with a step slider over the steps it drew."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import pytest
from nbconvert import HTMLExporter

from nbrun.data_types.png import decode_png
from tests.html_elements import Elements
from tests.notebooks.conftest import execute_saved, snapshot_of

NOTEBOOK = Path(__file__).parent / "media_widget.ipynb"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
THUMBNAIL = re.compile(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"')
PNG_SOURCE = re.compile(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"')  # any attribute order
CAPTION = "&lt;script&gt;alert(1)&lt;/script&gt; step 11"


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return execute_saved(NOTEBOOK, tmp_path_factory.mktemp("media-notebook"))


def card(snapshot: str, key: str) -> str:
    """The media card of ``key`` in a snapshot."""
    start = snapshot.index(f"title='{key}'")
    start = snapshot.rindex("<div class='nbrun-media'", 0, start)
    end = snapshot.find("<div class='nbrun-media'", start + 1)
    return snapshot[start : end if end != -1 else len(snapshot)]


def test_the_notebook_runs_without_errors(saved: Any) -> None:
    outputs = [output for cell in saved.cells for output in cell.outputs]
    assert not [output for output in outputs if output["output_type"] == "error"]


def test_the_snapshot_shows_each_image_key_as_a_small_thumbnail(saved: Any) -> None:
    snapshot = snapshot_of(saved)
    photo = card(snapshot, "samples/photo")
    (encoded,) = THUMBNAIL.findall(photo)
    pixels = decode_png(base64.b64decode(encoded))
    assert pixels.shape == (128, 85, 3)  # 300 x 200 shrunk in the kernel, not sent whole
    assert "step 11" in photo and CAPTION in photo
    digit = card(snapshot, "samples/digit")
    (encoded,) = THUMBNAIL.findall(digit)
    assert decode_png(base64.b64decode(encoded)).shape == (28, 28, 1)
    widths = [decode_png(base64.b64decode(e)).shape[1] for e in THUMBNAIL.findall(snapshot)]
    assert widths and max(widths) <= 128


def test_the_snapshot_draws_the_histogram_and_the_table(saved: Any) -> None:
    snapshot = snapshot_of(saved)
    histogram = card(snapshot, "weights/w")
    assert "class='nbrun-histogram'" in histogram and 'src="data:image/svg+xml,' in histogram
    assert "step 11" in histogram
    assert "title='loss'" in snapshot  # the scalar is still a chart
    table = card(snapshot, "eval/predictions")
    assert "50 rows × 2 columns" in table
    assert "&lt;img src=x onerror=alert(3)&gt;" in table  # the column name, as text
    assert "&lt;script&gt;alert(4)&lt;/script&gt;" in table  # the first cell, as text
    assert [f"cell {i}" in table for i in range(1, 7)] == [True] * 4 + [False] * 2


def test_the_snapshot_is_inert_and_small(saved: Any) -> None:
    snapshot = snapshot_of(saved)
    tags = Elements(snapshot)
    assert "script" not in tags.tags and not tags.handlers
    assert "<script" not in snapshot
    assert len(snapshot.encode()) <= 300_000
    assert "left out" not in snapshot  # everything fitted


def test_the_widget_state_shows_the_latest_image_with_a_step_slider(saved: Any) -> None:
    states = saved.metadata["widgets"][WIDGET_STATE]["state"]
    models = {f"IPY_MODEL_{model_id}": m for model_id, m in states.items()}
    stacks = [m["state"] for m in states.values() if m["model_name"] == "StackModel"]
    pages = []
    for stack in stacks:
        page = models[stack["children"][stack["selected_index"]]]["state"]["value"]
        pages.append(page)
    (photo,) = [page for page in pages if "alert(1)" in page]
    assert "step 11" in photo and CAPTION in photo
    (encoded,) = THUMBNAIL.findall(photo)
    assert decode_png(base64.b64decode(encoded)).shape[1] <= 128
    sliders = [m["state"] for m in states.values() if m["model_name"] == "SelectionSliderModel"]
    assert sliders and all(s["index"] == len(s["_options_labels"]) - 1 for s in sliders)
    # One slider per media key, over the steps drawn while the cell ran, the newest selected:
    # step 11 for the images and the histogram, 12 for the table logged after them.
    newest = sorted(s["_options_labels"][-1] for s in sliders)
    assert newest == ["11", "11", "11", "12"]
    # One way, slider to stack (see nbrun.jupyter.widget._MediaCard).
    links = [m["state"] for m in states.values() if m["model_name"] == "DirectionalLinkModel"]
    assert {(link["source"][1], link["target"][1]) for link in links} == {
        ("index", "selected_index")
    }
    assert len(links) == len(stacks) == len(sliders)


def test_nbconvert_html_keeps_the_thumbnails(saved: Any) -> None:
    body, _ = HTMLExporter().from_notebook_node(saved)
    thumbnails = [decode_png(base64.b64decode(e)) for e in PNG_SOURCE.findall(body)]
    assert {t.shape for t in thumbnails} >= {(128, 85, 3), (28, 28, 1)}
    assert "&lt;script&gt;alert(1)&lt;/script&gt; step 11" in body
