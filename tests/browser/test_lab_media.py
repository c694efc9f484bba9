"""Media in JupyterLab: the run tab and a run's notebook output both frame the dashboard's embed
view through the Jupyter server extension's proxy, so a run's image (with boxes and a mask),
table (with an image cell), plotly figure, confusion matrix and audio show there as on the run
page. Checked in the frames' DOM as a user would see them, in Lab's light and dark themes."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import nbformat
import pytest
import requests

from tests.browser.conftest import Dashboard
from tests.browser.lab_fixture import LAB_TOKEN, Lab
from tests.browser.test_lab_extension import (
    nbrun_lab,
    nbrun_lab_saved,
    open_lab,
    output,
    show_panel,
    use_theme,
)
from tests.browser.test_media_panels import MASK_ALPHAS

__all__ = ["nbrun_lab"]  # the fixture, imported for pytest to find

WAIT_MS = 60_000  # an upper bound for the page to catch up, never a speed check

# One step of each media type; ENTITY and PROJECT are set by a line put before it.
MEDIA = """import numpy as np
import plotly.graph_objects as go
import nbrun

run = nbrun.init(entity=ENTITY, project=PROJECT, name="lab-media")
mask = np.zeros((40, 80), dtype=np.uint8)
mask[:, 40:] = 2  # the right half is class 2
box = {"position": {"minX": 0.1, "maxX": 0.4, "minY": 0.2, "maxY": 0.8}, "class_id": 1}
thumbnail = nbrun.Image(np.full((6, 8, 3), 60, dtype=np.uint8), caption="thumb")
run.log({
    "detections": nbrun.Image(
        np.full((40, 80, 3), 128, dtype=np.uint8),
        boxes={"predictions": {"box_data": [box], "class_labels": {1: "cat"}}},
        masks={"truth": {"mask_data": mask, "class_labels": {2: "road"}}},
    ),
    "predictions": nbrun.Table(
        columns=["id", "label", "image"],
        data=[[0, "zero", thumbnail], [1, "one", None], [2, "two", None]],
    ),
    "figure": go.Figure([go.Bar(x=["a", "b", "c"], y=[3, 1, 2])]),
    "cm": nbrun.plot.confusion_matrix(
        y_true=[0, 1, 1, 0, 1], preds=[0, 1, 0, 0, 1], class_names=["no", "yes"]
    ),
    "sound": nbrun.Audio(np.sin(np.arange(8000) * 0.05), sample_rate=8000),
})"""


def media_code(entity: str, project: str) -> str:
    return f"ENTITY, PROJECT = {entity!r}, {project!r}\n{MEDIA}"


@pytest.fixture(scope="module")
def media_run(dashboard: Dashboard, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A finished run with one value of each media type, logged by a script; its key."""
    folder = tmp_path_factory.mktemp("lab-media-run")
    project = ("lab", f"media-{uuid.uuid4().hex[:8]}")
    script = media_code(*project) + '\nopen("run-id", "w").write(run.id)\nrun.finish()\n'
    logger = dashboard.start_logging(script, folder)
    try:
        logger.finish()
    finally:
        logger.stop()
    return f"{project[0]}/{project[1]}/{(folder / 'run-id').read_text()}"


def panel(frame: Any, key: str) -> Any:
    return frame.locator(f".rich[data-key='{key}']")


def loaded_width(frame: Any, image: Any) -> int:
    """Scroll ``image`` into view (it loads lazily), wait until the browser is done with it
    (loaded or broken) and return its natural width (0 when broken)."""
    image.scroll_into_view_if_needed()
    frame.wait_for_function("i => i.complete", arg=image.element_handle())
    return int(image.evaluate("i => i.naturalWidth"))


def assert_media_shown(frame: Any) -> None:
    """The embed view in ``frame`` (a Playwright Frame) shows each media panel of MEDIA."""
    # The image: loaded, its box over it and its mask painted.
    overlays = panel(frame, "detections").locator(".rich-overlays")
    overlays.wait_for()
    assert loaded_width(frame, overlays.locator("img")) == 80
    assert overlays.locator(".rich-overlay-box").count() == 1
    assert overlays.locator(".rich-overlay-label").all_inner_texts() == ["cat"]
    canvas = overlays.locator("canvas.rich-overlay-mask")
    frame.wait_for_function(f"c => ({MASK_ALPHAS})(c) !== null", arg=canvas.element_handle())
    assert canvas.evaluate(MASK_ALPHAS) == [0, 115]  # class 0 clear, class 2 at 45 %

    # The table: its headers, its three rows, the image cell's thumbnail loaded.
    table = panel(frame, "predictions").locator(".table-view")
    table.locator("tbody tr").first.wait_for()
    assert table.locator("thead th").all_inner_texts() == ["#", "id", "label", "image"]
    rows = [row.split("\t")[:3] for row in table.locator("tbody tr").all_inner_texts()]
    assert rows == [["0", "0", "zero"], ["1", "1", "one"], ["2", "2", "two"]]
    assert loaded_width(frame, table.locator("tbody tr[data-row='0'] .cell-image img")) == 8

    # The plotly figure and the confusion matrix, drawn by plotly.
    figure = panel(frame, "figure").locator(".plot[data-drawn='1']")
    figure.wait_for()
    assert figure.locator(".main-svg").count() >= 1
    assert figure.locator(".barlayer .point").count() == 3
    matrix = panel(frame, "cm").locator(".plot[data-drawn='1']")
    matrix.wait_for()
    assert matrix.locator(".xtick text").all_text_contents() == ["no", "yes"]
    counts = [int(t) for t in matrix.locator(".heatmaplayer text").all_text_contents()]
    assert sorted(counts) == [0, 1, 2, 2]  # the five samples' cells

    # The audio: the browser's player, whose file loads (8000 samples at 8 kHz: one second).
    player = panel(frame, "sound").locator("audio[controls]")
    player.scroll_into_view_if_needed()
    player.evaluate("a => { a.preload = 'auto'; a.load(); }")
    frame.wait_for_function("a => a.readyState >= 1 || a.error", arg=player.element_handle())
    assert player.evaluate("a => a.error && a.error.code") is None
    assert abs(player.evaluate("a => a.duration") - 1.0) < 0.01


def content_frame(iframe: Any, theme: str) -> Any:
    """The Frame of an <iframe> locator once it holds the embed view, loaded, in ``theme``
    (an iframe whose src just changed still holds its former page for a moment)."""
    loaded = f"html[data-theme='{theme}'] main[data-loaded='1']"
    iframe.content_frame.locator(loaded).wait_for(state="attached")
    return iframe.element_handle().content_frame()


@pytest.fixture
def watched(new_page: Any) -> Iterator[Any]:
    """A page with room for the panels; what the user would notice is checked at the end."""
    page = new_page(1400, 1000)
    page.page.set_default_timeout(WAIT_MS)
    yield page
    assert page.errors == [] and page.dialogs == [] and page.csp_violations == []


def test_the_run_tab_shows_the_runs_media_panels(
    nbrun_lab: Lab, media_run: str, watched: Any
) -> None:
    page = watched.page
    open_lab(page, nbrun_lab, "media-tab")
    show_panel(page).locator(f".nbrun-run[data-run='{media_run}']").click()
    assert_media_shown(content_frame(page.locator(".nbrun-run-tab .nbrun-run-frame"), "light"))


def test_display_of_a_run_in_a_notebook_shows_its_media_panels(
    nbrun_lab: Lab, watched: Any
) -> None:
    project = ("lab", f"media-{uuid.uuid4().hex[:8]}")
    # Finished before it is shown: a view open while media arrive may ask for a file before
    # the sender has uploaded it (rows go at once, files on the sender's next file scan).
    cells = [
        media_code(*project) + "\nrun.finish()",
        "from IPython.display import display\ndisplay(run)",
    ]
    nbrun_lab.write_notebook("media_run.ipynb", *cells)
    page = watched.page
    page.goto(f"{nbrun_lab.url}lab/workspaces/media-nb/tree/media_run.ipynb?token={LAB_TOKEN}")
    page.get_by_text("Python 3 (ipykernel) | Idle").wait_for()
    nbrun_lab.run_cell(page, 0)
    nbrun_lab.run_cell(page, 1)
    shown = output(page, 1).locator(".nbrun-output")  # the MIME renderer, not the HTML fallback
    shown.locator(".nbrun-output-name", has_text="lab-media").wait_for()
    shown.locator(".badge", has_text="Finished").wait_for()
    assert_media_shown(content_frame(shown.locator("iframe.nbrun-output-frame"), "light"))


def saved_output_notebook(lab: Lab, name: str, key: str) -> None:
    """A notebook as saved after ``display(run)`` of the run ``key``: its output is the
    MIME bundle, rendered on opening without running anything."""
    entity, project, run_id = key.split("/")
    payload = {
        "version": 1,
        "entity": entity,
        "project": project,
        "id": run_id,
        "name": "lab-media",
        "state": "finished",
        "step": 0,
        "url": None,
        "embed_path": f"{entity}/{project}/runs/{run_id}?embed=1",
        "embed_url": None,
        "summary": {},
    }
    path = lab.write_notebook(name, "display(run)")
    notebook = nbformat.read(path, as_version=4)
    notebook.cells[0].outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={"application/vnd.nbrun.run+json": payload, "text/plain": "run"},
        )
    ]
    nbformat.write(notebook, path)


def test_in_the_dark_theme_a_saved_output_and_the_run_tab_show_the_media_dark(
    nbrun_lab: Lab, media_run: str, watched: Any
) -> None:
    saved_output_notebook(nbrun_lab, "media_saved.ipynb", media_run)
    page = watched.page
    page.goto(f"{nbrun_lab.url}lab/workspaces/media-dark/tree/media_saved.ipynb?token={LAB_TOKEN}")
    shown = output(page, 0).locator(".nbrun-output")
    shown.locator(".badge", has_text="Finished").wait_for()
    content_frame(shown.locator("iframe.nbrun-output-frame"), "light")
    use_theme(page, "JupyterLab Dark")
    try:
        # The output rendered before the switch follows it (its embed view reloads dark).
        assert_media_shown(content_frame(shown.locator("iframe.nbrun-output-frame"), "dark"))

        # The run, by the palette's "Open Run by Path…" command: its tab opens dark.
        page.keyboard.press("Control+Shift+c")
        page.keyboard.insert_text("nbrun: Open Run by Path")
        page.keyboard.press("Enter")
        page.locator(".jp-Dialog input").fill(media_run)
        page.locator(".jp-Dialog .jp-mod-accept").click()
        assert_media_shown(content_frame(page.locator(".nbrun-run-tab .nbrun-run-frame"), "dark"))

        # After a reload in the dark theme, both come back dark (rendered before the theme's
        # CSS came in, they follow it). Saved first: Lab asks before leaving a changed notebook
        # (the kernel's start adds its metadata).
        page.locator(".jp-Notebook .jp-InputPrompt").first.click()
        page.keyboard.press("Control+s")
        page.locator(".jp-mod-dirty").wait_for(state="detached")
        nbrun_lab_saved(nbrun_lab, "media-dark", f"nbrun-run:{media_run}")
        page.reload()
        content_frame(page.locator(".nbrun-run-tab .nbrun-run-frame"), "dark")
        content_frame(page.locator(".nbrun-output-frame"), "dark")
    finally:
        light_theme(nbrun_lab)


def light_theme(lab: Lab) -> None:
    """Lab's theme back to light: a user setting, kept by the server for the next pages."""
    reply = requests.put(
        f"{lab.url}lab/api/settings/@jupyterlab/apputils-extension:themes",
        json={"raw": json.dumps({"theme": "JupyterLab Light"})},
        headers={"Authorization": f"token {LAB_TOKEN}"},
        timeout=10,
    )
    assert reply.ok, reply.text
