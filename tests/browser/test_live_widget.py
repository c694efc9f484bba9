"""The live run widget in real JupyterLab in headless Chromium: while the logging cell still
runs, the chart's points and the step grow; after finish the badge says Finished."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import ARTIFACTS
from tests.browser.lab_fixture import Lab, lab

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
