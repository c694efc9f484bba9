"""The live run widget in real JupyterLab in headless Chromium: while the logging cell still
runs, the chart's points and the step grow; after finish the badge says Finished."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import ARTIFACTS
from tests.browser.lab_fixture import LAB_TOKEN, Lab, lab

__all__ = ["lab"]  # the fixture, imported for pytest to find

WAIT_MS = 60_000  # an upper bound for the page to catch up, never a speed check

INIT = """import nbrun
run = nbrun.init(project="lab", name="lab-live-run", mode="offline", settings={"console": "off"})"""

# Ten steps per phase, then wait for the test to have seen them in the page: whenever the test
# looks, the cell is still running.
LOOP = """import time
from pathlib import Path
for phase in range(3):
    for _ in range(10):
        run.log({"train/loss": 1 / (run.step + 1)})
    deadline = time.monotonic() + 120
    while not Path(f"seen-{phase}").exists():
        assert time.monotonic() < deadline, f"the test never saw phase {phase}"
        time.sleep(0.01)"""

FINISH = "run.finish()"

SHOWS = """([step, points]) => {
    const area = document.querySelector(".jp-Notebook .jp-Cell .jp-OutputArea");
    const shown = area && area.querySelector(".nbrun-step");
    const chart = area && area.querySelector(".nbrun-chart");
    return !!shown && shown.textContent === String(step)
        && !!chart && chart.getAttribute("data-points") === String(points);
}"""


def prompt(page: Any, index: int) -> str:
    return str(page.locator(".jp-Notebook .jp-Cell .jp-InputPrompt").nth(index).inner_text())


def first_output(page: Any) -> Any:
    return page.locator(".jp-Notebook .jp-Cell").first.locator(".jp-OutputArea")


def test_the_widget_grows_while_the_cell_runs_and_says_finished_after(
    lab: Lab, new_page: Any
) -> None:
    lab.write_notebook("live.ipynb", INIT, LOOP, FINISH)
    watched = new_page()
    page = watched.page
    lab.open_notebook(page, "live.ipynb")

    lab.run_cell(page, 0)
    first_output(page).locator(".nbrun-badge", has_text="Running").wait_for(timeout=WAIT_MS)
    lab.run_cell(page, 1)
    for phase in range(3):
        page.wait_for_function(SHOWS, arg=[10 * phase + 9, 10 * phase + 10], timeout=WAIT_MS)
        # The loop cell has not finished: it waits for this file.
        assert prompt(page, 1) == "[*]:"
        if phase == 1:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "live_widget_running.png"), full_page=True)
        (lab.root / f"seen-{phase}").touch()

    lab.run_cell(page, 2)
    first_output(page).locator(".nbrun-badge", has_text="Finished").wait_for(timeout=WAIT_MS)
    assert first_output(page).locator(".nbrun-step").inner_text() == "29"
    assert first_output(page).locator(".nbrun-summary").count() == 1  # the static snapshot
    page.screenshot(path=str(ARTIFACTS / "live_widget_finished.png"), full_page=True)
    assert not watched.errors, watched.errors


MEDIA_INIT = """import numpy as np
import nbrun
run = nbrun.init(project="lab", name="media-run", mode="offline", settings={"console": "off"})"""

# One 256 x 256 image per phase (grey 60, then 120), then wait for the test to have seen it: the
# thumbnail must show while the cell still runs.
MEDIA_LOOP = """import time
from pathlib import Path
for phase in range(2):
    grey = np.full((256, 256, 3), 60 * (phase + 1), dtype=np.uint8)
    run.log({"samples/img": nbrun.Image(grey, caption=f"<b>phase</b> {phase}")})
    deadline = time.monotonic() + 120
    while not Path(f"media-seen-{phase}").exists():
        assert time.monotonic() < deadline, f"the test never saw phase {phase}"
        time.sleep(0.01)"""

# The visible page of the media card: its step, caption, and the thumbnail's size and colour
# (read back through a canvas: drawn, not blank).
SHOWN_FRAME = """() => {
    const area = document.querySelector(".jp-Notebook .jp-Cell .jp-OutputArea");
    const frames = area ? [...area.querySelectorAll(".nbrun-frame")] : [];
    const frame = frames.find((f) => f.offsetParent !== null);
    const img = frame && frame.querySelector("img");
    if (!img || !img.complete || !img.naturalWidth) return null;
    const canvas = document.createElement("canvas");
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const context = canvas.getContext("2d");
    context.drawImage(img, 0, 0);
    const [r, g, b] = context.getImageData(5, 5, 1, 1).data;
    const caption = frame.querySelector(".nbrun-caption");
    return {
        step: frame.getAttribute("data-step"),
        caption: caption ? caption.textContent : null,
        bold: !!frame.querySelector(".nbrun-caption b"),
        width: img.naturalWidth,
        height: img.naturalHeight,
        grey: [r, g, b],
    };
}"""


def shown_frame(page: Any, step: str) -> dict[str, Any]:
    """Wait until the media card shows ``step``; what it shows."""
    page.wait_for_function(
        f"(() => {{ const f = ({SHOWN_FRAME})(); return f && f.step === '{step}'; }})",
        timeout=WAIT_MS,
    )
    shown: dict[str, Any] = page.evaluate(SHOWN_FRAME)
    return shown


def test_image_thumbnails_show_and_the_step_slider_turns_while_the_cell_runs(
    lab: Lab, new_page: Any
) -> None:
    lab.write_notebook("media.ipynb", MEDIA_INIT, MEDIA_LOOP, FINISH)
    watched = new_page()
    page = watched.page
    # A workspace of its own: the other test's notebook stays out of this page.
    page.goto(f"{lab.url}lab/workspaces/media/tree/media.ipynb?token={LAB_TOKEN}")
    page.wait_for_selector(".jp-Notebook .jp-Cell")
    page.get_by_text("Python 3 (ipykernel) | Idle").wait_for()
    lab.run_cell(page, 0)
    first_output(page).locator(".nbrun-badge", has_text="Running").wait_for(timeout=WAIT_MS)
    lab.run_cell(page, 1)

    first = shown_frame(page, "0")
    assert prompt(page, 1) == "[*]:"  # the logging cell still runs
    # A 128 px thumbnail made in the kernel, of the image's colour; the caption stays text.
    assert first == {
        "step": "0",
        "caption": "<b>phase</b> 0",
        "bold": False,
        "width": 128,
        "height": 128,
        "grey": [60, 60, 60],
    }
    (lab.root / "media-seen-0").touch()

    second = shown_frame(page, "1")
    assert second["grey"] == [120, 120, 120]
    assert prompt(page, 1) == "[*]:"
    # The step slider turns the pages in the browser: the kernel is busy and could not.
    handle = first_output(page).locator(".nbrun-media-slider .noUi-handle, .noUi-handle").first
    handle.focus()
    page.keyboard.press("ArrowLeft")
    back = shown_frame(page, "0")
    assert back["grey"] == [60, 60, 60]
    assert prompt(page, 1) == "[*]:"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "live_widget_media.png"), full_page=True)
    (lab.root / "media-seen-1").touch()

    lab.run_cell(page, 2)
    output = first_output(page)
    output.locator(".nbrun-badge", has_text="Finished").wait_for(timeout=WAIT_MS)
    snapshot = output.locator(".nbrun-media img").first
    assert snapshot.get_attribute("src", timeout=WAIT_MS).startswith("data:image/png;base64,")
    assert "step 1" in output.locator(".nbrun-media .nbrun-frame").first.inner_text()
    assert not watched.errors, watched.errors
