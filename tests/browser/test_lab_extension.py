"""nbrun's JupyterLab extension in real JupyterLab in headless Chromium, reading a real
``nbrun server`` through the Jupyter server extension's proxy: the side panel of runs, run
tabs, the renderer of a bare ``run`` in a notebook, and the installed extension itself."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, Dashboard, Logger
from tests.browser.lab_fixture import LAB_TOKEN, Lab

BUILT = Path(__file__).parents[2] / "nbrun" / "labextension"
WAIT_MS = 60_000  # an upper bound for the page to catch up, never a speed check

# Logs five steps, says so, and finishes only when the test says "go".
SCRIPT = """import time
from pathlib import Path
import nbrun
run = nbrun.init(entity={entity!r}, project={project!r}, name={name!r})
Path("run-id-{name}").write_text(run.id)
for step in range(5):
    run.log({{"loss": 1 / (step + 1)}})
Path("logged-{name}").touch()
deadline = time.monotonic() + 120
while not Path("go-{name}").exists():
    assert time.monotonic() < deadline, "the test never said go"
    time.sleep(0.02)
run.finish()
"""


@pytest.fixture(scope="module")
def nbrun_lab(dashboard: Dashboard, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """JupyterLab whose proxy (and kernels) use the test's nbrun server, with the extension
    as built in this checkout (labextension/ -> nbrun/labextension)."""
    if not (BUILT / "package.json").is_file():
        pytest.fail(f"the lab extension is not built ({BUILT} missing): run labextension/build.sh")
    home = tmp_path_factory.mktemp("jupyterlab-nbrun")
    extensions = home / "jupyter-data" / "labextensions"
    extensions.mkdir(parents=True)
    (extensions / "nbrun").symlink_to(BUILT, target_is_directory=True)
    env = dashboard.env() | {"JUPYTER_PATH": str(home / "jupyter-data")}
    server = Lab(home, env=env)
    yield server
    server.stop()


@pytest.fixture
def project() -> tuple[str, str]:
    return "lab", f"proj-{uuid.uuid4().hex[:8]}"


def log_run(dashboard: Dashboard, folder: Path, project: tuple[str, str], name: str) -> Logger:
    """Start a script logging run ``name``; it waits for ``go-<name>`` before finishing."""
    script = SCRIPT.format(entity=project[0], project=project[1], name=name)
    logger = dashboard.start_logging(script, folder)
    logger.wait_for(f"logged-{name}")
    return logger


def finished_run(dashboard: Dashboard, folder: Path, project: tuple[str, str], name: str) -> str:
    """Log run ``name`` to its end; returns its "entity/project/id"."""
    logger = log_run(dashboard, folder, project, name)
    logger.signal(f"go-{name}")
    logger.finish()
    return run_key(folder, project, name)


def run_key(folder: Path, project: tuple[str, str], name: str) -> str:
    return f"{project[0]}/{project[1]}/{(folder / f'run-id-{name}').read_text()}"


def open_lab(page: Any, lab: Lab, workspace: str) -> None:
    """Open Lab in a workspace of its own (tests do not see each other's tabs)."""
    page.goto(f"{lab.url}lab/workspaces/{workspace}?token={LAB_TOKEN}")
    page.locator("#jp-main-dock-panel").wait_for()


def show_panel(page: Any) -> Any:
    page.locator(".jp-SideBar [data-id='nbrun-runs-panel']").click()
    panel = page.locator("#nbrun-runs-panel")
    panel.wait_for()
    return panel


def use_theme(page: Any, theme: str) -> None:
    """Switch Lab's theme through the command palette, as a user does."""
    page.keyboard.press("Control+Shift+c")
    page.keyboard.insert_text(f"Use Theme: {theme}")
    page.keyboard.press("Enter")


def badge(panel: Any, key: str) -> Any:
    return panel.locator(f".nbrun-run[data-run='{key}'] .badge")


def nbrun_lab_saved(lab: Lab, workspace: str, entry: str, timeout: float = 60) -> None:
    """Wait until Lab's saved ``workspace`` holds ``entry`` (what a reload restores)."""
    deadline = time.monotonic() + timeout
    while True:
        saved = requests.get(
            f"{lab.url}lab/api/workspaces/{workspace}", params={"token": LAB_TOKEN}, timeout=10
        )
        if saved.ok and entry in saved.json().get("data", {}):
            return
        assert time.monotonic() < deadline, f"{entry} never saved: {saved.text[:2000]}"
        time.sleep(0.1)


def test_jupyter_labextension_list_shows_nbrun_enabled() -> None:
    listed = subprocess.run(
        [sys.executable, "-m", "jupyter", "labextension", "list"],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [line for line in (listed.stdout + listed.stderr).splitlines() if "nbrun v" in line]
    assert lines, listed.stdout + listed.stderr
    assert "enabled" in lines[0] and "OK" in lines[0], lines


def test_the_panel_lists_runs_and_a_run_started_later_appears_and_finishes_live(
    nbrun_lab: Lab, dashboard: Dashboard, new_page: Any, project: tuple[str, str], tmp_path: Path
) -> None:
    earlier = finished_run(dashboard, tmp_path, project, "earlier")
    watched = new_page()
    page = watched.page
    open_lab(page, nbrun_lab, "panel")
    panel = show_panel(page)
    badge(panel, earlier).filter(has_text="Finished").wait_for(timeout=WAIT_MS)

    later = log_run(dashboard, tmp_path, project, "later")
    key = run_key(tmp_path, project, "later")
    badge(panel, key).filter(has_text="Running").wait_for(timeout=WAIT_MS)
    assert panel.locator(f".nbrun-run[data-run='{key}'] .nbrun-run-step").inner_text() == "4"
    names = panel.locator(
        f".nbrun-project[data-project='{project[0]}/{project[1]}'] .nbrun-run-name"
    )
    assert names.all_inner_texts() == ["later", "earlier"]  # newest first
    later.signal("go-later")
    badge(panel, key).filter(has_text="Finished").wait_for(timeout=WAIT_MS)
    later.finish()

    panel.locator(".nbrun-filter").fill("earl")
    panel.locator(f".nbrun-run[data-run='{key}']").wait_for(state="detached")
    assert names.all_inner_texts() == ["earlier"]
    assert not watched.errors, watched.errors


def test_clicking_a_run_opens_its_chart_in_a_tab_that_comes_back_after_reload_and_follows_dark(
    nbrun_lab: Lab, dashboard: Dashboard, new_page: Any, project: tuple[str, str], tmp_path: Path
) -> None:
    key = finished_run(dashboard, tmp_path, project, "tabbed")
    watched = new_page()
    page = watched.page
    open_lab(page, nbrun_lab, "tabs")
    show_panel(page).locator(f".nbrun-run[data-run='{key}']").click()
    chart = ".chart[data-key='loss'][data-points='5']"
    page.frame_locator(".nbrun-run-tab .nbrun-run-frame").locator(chart).wait_for(timeout=WAIT_MS)

    # Lab saves the layout to the workspace a moment after it changes: reload once it has.
    nbrun_lab_saved(nbrun_lab, "tabs", f"nbrun-run:{key}")
    page.reload()
    page.frame_locator(".nbrun-run-tab .nbrun-run-frame").locator(chart).wait_for(timeout=WAIT_MS)
    assert (
        page.locator(".jp-SideBar [data-id='nbrun-runs-panel']").get_attribute("aria-selected")
        == "true"
    )  # the panel is restored too

    use_theme(page, "JupyterLab Dark")
    frame = page.frame_locator(".nbrun-run-tab .nbrun-run-frame")
    frame.locator("html[data-theme='dark']").wait_for(timeout=WAIT_MS)
    frame.locator(chart).wait_for(timeout=WAIT_MS)
    page.locator("#jupyterlab-splash").wait_for(state="detached")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "lab_run_tab_dark.png"))
    use_theme(page, "JupyterLab Light")  # the theme is a user setting: leave it as found
    frame.locator("html[data-theme='light']").wait_for(timeout=WAIT_MS)
    assert not watched.errors, watched.errors


INIT = """import nbrun
run = nbrun.init(entity={entity!r}, project={project!r}, name="notebook-run")
for step in range(3):
    run.log({{"loss": 1 / (step + 1)}})"""

OFFLINE = {
    "version": 1,
    "entity": "lab",
    "project": "gone",
    "id": "no-such-run",
    "name": "saved-run",
    "state": "finished",
    "step": 41,
    "url": None,
    "embed_path": "lab/gone/runs/no-such-run?embed=1",
    "embed_url": None,
    "summary": {"loss": 0.125},
}


def output(page: Any, index: int) -> Any:
    return page.locator(".jp-Notebook .jp-Cell").nth(index).locator(".jp-OutputArea")


def test_a_bare_run_renders_live_in_its_output_and_says_finished_after_finish(
    nbrun_lab: Lab, new_page: Any, project: tuple[str, str]
) -> None:
    init = INIT.format(entity=project[0], project=project[1])
    nbrun_lab.write_notebook("bare_run.ipynb", init, "run", "run.finish()")
    watched = new_page()
    page = watched.page
    page.goto(f"{nbrun_lab.url}lab/workspaces/notebook/tree/bare_run.ipynb?token={LAB_TOKEN}")
    page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=WAIT_MS)
    nbrun_lab.run_cell(page, 0)
    nbrun_lab.run_cell(page, 1)
    shown = output(page, 1).locator(".nbrun-output")
    shown.locator(".nbrun-output-name", has_text="notebook-run").wait_for(timeout=WAIT_MS)
    shown.locator(".badge", has_text="Running").wait_for(timeout=WAIT_MS)
    chart = ".chart[data-key='loss'][data-points='3']"
    shown.frame_locator(".nbrun-output-frame").locator(chart).wait_for(timeout=WAIT_MS)

    nbrun_lab.run_cell(page, 2)
    shown.locator(".badge", has_text="Finished").wait_for(timeout=WAIT_MS)
    assert shown.locator(".nbrun-step").inner_text() == "2"

    # For reviewers: Lab with the panel, the run in a tab beside the notebook and its output.
    show_panel(page).locator(".nbrun-run-name", has_text="notebook-run").click()
    page.frame_locator(".nbrun-run-tab .nbrun-run-frame").locator(chart).wait_for(timeout=WAIT_MS)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "lab_panel_tab_output.png"))
    assert not watched.errors, watched.errors


def test_an_output_whose_run_the_backend_cannot_show_keeps_its_saved_state_and_summary(
    nbrun_lab: Lab, new_page: Any
) -> None:
    cell = (
        "from IPython.display import display\n"
        f"display({{'application/vnd.nbrun.run+json': {json.dumps(OFFLINE)}, "
        "'text/plain': 'run'}, raw=True)"
    ).replace("null", "None")
    nbrun_lab.write_notebook("saved_run.ipynb", cell)
    watched = new_page()
    page = watched.page
    page.goto(f"{nbrun_lab.url}lab/workspaces/saved/tree/saved_run.ipynb?token={LAB_TOKEN}")
    page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=WAIT_MS)
    nbrun_lab.run_cell(page, 0)
    shown = output(page, 0).locator(".nbrun-output")
    shown.locator(".nbrun-message", has_text="No live view").wait_for(timeout=WAIT_MS)
    assert shown.locator(".badge").inner_text() == "Finished"
    assert shown.locator(".nbrun-step").inner_text() == "41"
    assert shown.locator(".nbrun-output-summary").inner_text().split() == ["loss", "0.125"]
    assert shown.locator("iframe").count() == 0
    assert not watched.errors, watched.errors


# Logs three steps, waits (the cell still running) until the test says "go", logs a fourth
# and finishes.
KERNEL_RUN = """import time
from pathlib import Path
import nbrun
# Not silent: the run's announcement on the kernel's stderr is what wakes the status bar.
run = nbrun.init(
    entity={entity!r}, project={project!r}, name="kernel-run", settings={{"silent": False}}
)
for step in range(3):
    run.log({{"loss": 1 / (step + 1)}})
deadline = time.monotonic() + 120
while not Path("go-kernel-run").exists():
    assert time.monotonic() < deadline, "the test never said go"
    time.sleep(0.02)
run.log({{"loss": 0.1}})
run.finish()"""


def test_the_status_bar_follows_the_notebook_kernels_run_the_panel_marks_it_and_a_click_opens_it(
    nbrun_lab: Lab, dashboard: Dashboard, new_page: Any, project: tuple[str, str], tmp_path: Path
) -> None:
    script_run = finished_run(dashboard, tmp_path, project, "script-run")
    nbrun_lab.write_notebook(
        "kernel_run.ipynb", KERNEL_RUN.format(entity=project[0], project=project[1])
    )
    watched = new_page()
    page = watched.page
    page.goto(f"{nbrun_lab.url}lab/workspaces/status/tree/kernel_run.ipynb?token={LAB_TOKEN}")
    page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=WAIT_MS)
    status = page.locator("#jp-main-statusbar .nbrun-status")
    nbrun_lab.run_cell(page, 0)

    # While the cell runs: the run's name, Running and its last step.
    status.locator(".nbrun-status-name", has_text="kernel-run").wait_for(timeout=WAIT_MS)
    expect(status.locator(".badge")).to_have_text("Running", timeout=WAIT_MS)
    expect(status.locator(".nbrun-status-step")).to_have_text("2", timeout=WAIT_MS)
    key = status.get_attribute("data-run")
    assert key is not None and key.startswith(f"{project[0]}/{project[1]}/")

    # The panel marks the notebook's run as this Lab's, and not the script's.
    panel = show_panel(page)
    mine = panel.locator(f".nbrun-run[data-run='{key}']")
    mine.locator(".nbrun-this-lab-marker").wait_for(timeout=WAIT_MS)
    assert "nbrun-this-lab" in (mine.get_attribute("class") or "")
    other = panel.locator(f".nbrun-run[data-run='{script_run}']")
    other.wait_for(timeout=WAIT_MS)
    assert other.locator(".nbrun-this-lab-marker").count() == 0
    assert "nbrun-this-lab" not in (other.get_attribute("class") or "")

    (nbrun_lab.root / "go-kernel-run").touch()
    expect(status.locator(".badge")).to_have_text("Finished", timeout=WAIT_MS)
    expect(status.locator(".nbrun-status-step")).to_have_text("3", timeout=WAIT_MS)

    status.click()
    chart = ".chart[data-key='loss'][data-points='4']"
    tab = page.locator(f".nbrun-run-tab[id='nbrun-run-{key}']")
    tab.frame_locator(".nbrun-run-frame").locator(chart).wait_for(timeout=WAIT_MS)
    assert not watched.errors, watched.errors


def test_runs_picked_in_the_panel_open_in_a_compare_tab_that_comes_back_after_reload(
    nbrun_lab: Lab, dashboard: Dashboard, new_page: Any, project: tuple[str, str], tmp_path: Path
) -> None:
    first = finished_run(dashboard, tmp_path, project, "first")
    second = finished_run(dashboard, tmp_path, project, "second")
    watched = new_page()
    page = watched.page
    open_lab(page, nbrun_lab, "compare")
    panel = show_panel(page)
    compare = panel.locator(".nbrun-compare")
    panel.locator(f".nbrun-run[data-run='{first}'] .nbrun-select").check()
    assert compare.is_disabled()  # one run is nothing to compare
    panel.locator(f".nbrun-run[data-run='{second}'] .nbrun-select").check()
    compare.click()

    frame = page.frame_locator(".nbrun-compare-tab .nbrun-run-frame")
    chart = ".chart[data-key='loss'][data-points='10']"  # five points of each run
    frame.locator(chart).wait_for(timeout=WAIT_MS)
    legend = frame.locator(".legend li")
    assert sorted(legend.all_inner_texts()) == ["first Finished", "second Finished"]
    current_tab = page.locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current")
    assert current_tab.inner_text() == "Compare 2 runs"

    nbrun_lab_saved(nbrun_lab, "compare", f"nbrun-compare:{first},{second}")
    page.reload()
    page.frame_locator(".nbrun-compare-tab .nbrun-run-frame").locator(chart).wait_for(
        timeout=WAIT_MS
    )
    assert not watched.errors, watched.errors
