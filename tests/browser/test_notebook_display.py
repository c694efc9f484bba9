"""``run.display()`` in real JupyterLab and Notebook 7: the iframe loads the run's dashboard page
through the Jupyter server extension's proxy, and its chart is drawn inside the frame."""

from __future__ import annotations

from typing import Any

from tests.browser.lab_fixture import LAB_TOKEN, Lab, lab

__all__ = ["lab"]  # the fixture, imported for pytest to find

WAIT_MS = 60_000  # an upper bound for the page to catch up, never a speed check

INIT = """import nbrun
run = nbrun.init(project="shown", name="displayed-run", settings={"console": "off"})
for step in range(40):
    run.log({"train/loss": 1 / (step + 1)})
run.finish()"""

DISPLAY = "run.display(height=420)"

KERNEL_READY = """() => {
    const name = document.querySelector(".jp-KernelName");
    const indicator = document.querySelector(".jp-Notebook-ExecutionIndicator");
    return !!name && name.textContent.trim() === "Python 3 (ipykernel)"
        && !!indicator && indicator.getAttribute("data-status") === "idle";
}"""


def assert_dashboard_in_output(page: Any, cell: int) -> None:
    output = page.locator(".jp-Notebook .jp-Cell").nth(cell).locator(".jp-OutputArea")
    iframe = output.locator("iframe")
    iframe.wait_for(timeout=WAIT_MS)
    src = iframe.get_attribute("src") or ""
    assert src.startswith("/nbrun/") and "embed=1" in src and "token" not in src, src
    frame = output.frame_locator("iframe")
    chart = frame.locator(".chart[data-key='train/loss']")
    chart.wait_for(timeout=WAIT_MS)
    frame.locator(".chart[data-key='train/loss'][data-points='40']").wait_for(timeout=WAIT_MS)
    assert "displayed-run" in frame.locator("body").inner_text()


def test_display_in_lab_shows_the_run_page_through_the_proxy(lab: Lab, new_page: Any) -> None:
    lab.write_notebook("display.ipynb", INIT, DISPLAY)
    watched = new_page()
    page = watched.page
    lab.open_notebook(page, "display.ipynb")

    lab.run_cell(page, 0)
    lab.run_cell(page, 1)

    assert_dashboard_in_output(page, 1)


def test_the_same_notebook_in_notebook_7_shows_the_run_page(lab: Lab, new_page: Any) -> None:
    lab.write_notebook("display7.ipynb", INIT, DISPLAY)
    page = new_page().page
    page.goto(f"{lab.url}notebooks/display7.ipynb?token={LAB_TOKEN}")
    page.wait_for_selector(".jp-Notebook .jp-Cell")
    # Cells run once the kernel is connected: Notebook 7's toolbar names the kernel and its
    # execution indicator says idle (it also says idle before there is any kernel).
    page.wait_for_function(KERNEL_READY, timeout=WAIT_MS)

    lab.run_cell(page, 0)
    lab.run_cell(page, 1)

    assert_dashboard_in_output(page, 1)
