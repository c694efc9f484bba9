"""nbrun's extension in real Notebook 7 (``/notebooks/<name>.ipynb``) in headless Chromium: the
MIME renderer draws a bare ``run`` in its output, and the nbrun panel is in Notebook 7's left
sidebar (View > Left Sidebar > Show nbrun runs) with the notebook's run in it."""

from __future__ import annotations

import uuid
from typing import Any

from playwright.sync_api import expect

from tests.browser.lab_fixture import LAB_TOKEN, Lab
from tests.browser.test_lab_extension import nbrun_lab
from tests.browser.test_notebook_display import KERNEL_READY

__all__ = ["nbrun_lab"]  # the fixture, imported for pytest to find

WAIT_MS = 60_000  # an upper bound for the page to catch up, never a speed check

# Notebook 7.6's own shortcuts plugin throws this while its settings load (in notebook_core.js,
# a pluginChanged handler reading ``plugins[id].schema``); it happens with nbrun and every other
# third-party extension disabled, so it is not nbrun's. Any other page error fails the test.
NOTEBOOK7_SETTINGS_ERROR = "Cannot read properties of undefined (reading 'schema')"

INIT = """import nbrun
run = nbrun.init(entity={entity!r}, project={project!r}, name="notebook7-run")
for step in range(3):
    run.log({{"loss": 1 / (step + 1)}})"""


def open_in_notebook7(page: Any, lab: Lab, name: str) -> None:
    page.goto(f"{lab.url}notebooks/{name}?token={LAB_TOKEN}")
    page.wait_for_selector(".jp-Notebook .jp-Cell")
    # Cells run once the kernel is connected: Notebook 7's toolbar names the kernel and its
    # execution indicator says idle.
    page.wait_for_function(KERNEL_READY, timeout=WAIT_MS)


def test_a_bare_run_renders_in_notebook_7_and_the_left_sidebar_has_the_nbrun_panel(
    nbrun_lab: Lab, new_page: Any
) -> None:
    entity, project = "nb7", f"proj-{uuid.uuid4().hex[:8]}"
    init = INIT.format(entity=entity, project=project)
    nbrun_lab.write_notebook("notebook7.ipynb", init, "run", "run.finish()")
    watched = new_page()
    page = watched.page
    open_in_notebook7(page, nbrun_lab, "notebook7.ipynb")
    assert page.locator(".jp-NotebookPanel").count() == 1  # Notebook 7's page, not Lab's
    assert page.locator("#jp-main-dock-panel").count() == 0

    nbrun_lab.run_cell(page, 0)
    nbrun_lab.run_cell(page, 1)
    shown = page.locator(".jp-Notebook .jp-Cell").nth(1).locator(".jp-OutputArea .nbrun-output")
    shown.locator(".nbrun-output-name", has_text="notebook7-run").wait_for(timeout=WAIT_MS)
    expect(shown.locator(".badge")).to_have_text("Running", timeout=WAIT_MS)
    chart = ".chart[data-key='loss'][data-points='3']"
    shown.frame_locator(".nbrun-output-frame").locator(chart).wait_for(timeout=WAIT_MS)

    nbrun_lab.run_cell(page, 2)
    expect(shown.locator(".badge")).to_have_text("Finished", timeout=WAIT_MS)
    expect(shown.locator(".nbrun-step")).to_have_text("2", timeout=WAIT_MS)

    # The panel, as a user opens it: View > Left Sidebar > Show nbrun runs.
    page.locator(".lm-MenuBar-itemLabel", has_text="View").click()
    page.locator(".lm-Menu-itemLabel", has_text="Left Sidebar").click()
    page.locator(".lm-Menu-itemLabel", has_text="Show nbrun runs").click()
    panel = page.locator("#jp-left-stack #nbrun-runs-panel")
    panel.wait_for(timeout=WAIT_MS)
    mine = panel.locator(
        f".nbrun-project[data-project='{entity}/{project}'] .nbrun-run",
        has_text="notebook7-run",
    )
    expect(mine.locator(".badge")).to_have_text("Finished", timeout=WAIT_MS)
    ours = [error for error in watched.errors if error != NOTEBOOK7_SETTINGS_ERROR]
    assert not ours, ours
