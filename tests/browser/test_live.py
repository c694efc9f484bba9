"""Live pages: a run logging from another process while the page is open."""

from __future__ import annotations

import time
from typing import Any

LOGGER = """
import pathlib, time
import nbrun

here = pathlib.Path(".")

def wait(name):
    while not (here / name).exists():
        time.sleep(0.02)

run = nbrun.init(entity="{entity}", project="{project}", id="live01", name="live-run")
for step in range(20):
    run.log({{"train/loss": 1.0 / (step + 1)}})
(here / "first").touch()
wait("more")
for step in range(20, 50):
    run.log({{"train/loss": 1.0 / (step + 1)}})
(here / "second").touch()
wait("finish")
run.finish()
"""


def test_chart_grows_without_reload_and_badge_turns_finished(
    dashboard: Any, signed_in: Any, start_logging: Any, project: str
) -> None:
    entity, name = project.split("/")
    logger = start_logging(LOGGER.format(entity=entity, project=name))
    run = f"{project}/live01"
    logger.wait_for("first")
    dashboard.wait_uploaded(run, 19)

    watched = signed_in
    page = watched.page
    watched.open(f"{dashboard.url}/{project}/runs/live01")
    chart = page.locator(".chart[data-key='train/loss']")
    assert chart.get_attribute("data-points") == "20"
    assert page.locator(".run-header .badge").get_attribute("data-state") == "running"
    page.evaluate("window.__sameDocument = true")

    logger.signal("more")
    page.wait_for_selector(".chart[data-key='train/loss'][data-points='50']")
    logger.wait_for("second")
    logger.signal("finish")
    logger.finish()
    page.wait_for_selector(".run-header .badge[data-state='finished']")

    assert page.evaluate("window.__sameDocument") is True  # no reload happened
    assert chart.get_attribute("data-points") == "50"  # every point once, none twice
    assert watched.errors == [] and watched.csp_violations == []


def test_project_page_shows_a_new_run_and_its_state_change_without_reload(
    dashboard: Any, signed_in: Any, start_logging: Any, project: str
) -> None:
    entity, name = project.split("/")
    watched = signed_in
    page = watched.page
    watched.open(f"{dashboard.url}/{project}")
    assert page.locator("tr[data-run]").count() == 0
    page.evaluate("window.__sameDocument = true")

    logger = start_logging(PROJECT_LOGGER.format(entity=entity, project=name))
    # the run may exist (its files) a moment before its first records name it
    page.wait_for_selector("tr[data-run='new01'] .run-link:text-is('newcomer')")
    page.wait_for_selector("tr[data-run='new01'] .badge[data-state='running']")
    logger.signal("finish")
    logger.finish()
    page.wait_for_selector("tr[data-run='new01'] .badge[data-state='finished']")
    assert page.evaluate("window.__sameDocument") is True
    assert watched.errors == []


PROJECT_LOGGER = """
import pathlib, time
import nbrun

run = nbrun.init(entity="{entity}", project="{project}", id="new01", name="newcomer")
run.log({{"loss": 1.0}})
while not pathlib.Path("finish").exists():
    time.sleep(0.02)
run.finish()
"""


def test_console_tail_and_alerts_follow_a_live_run(
    dashboard: Any, signed_in: Any, project: str
) -> None:
    run = f"{project}/talker"
    now = time.time()
    dashboard.post_records(
        run,
        [
            [1, "console", {"stream": "stdout", "text": "epoch 0 <b>starts</b>\n", "time": now}],
            [2, "alert", {"title": "slow", "text": "loss is flat", "level": "WARN", "time": now}],
            [3, "history", {"_step": 0, "loss": 1.0}],
        ],
    )
    watched = signed_in
    page = watched.page
    watched.open(f"{dashboard.url}/{project}/runs/talker")
    page.locator("details[data-section='Console'] > summary").click()
    page.locator("details[data-section='Alerts'] > summary").click()
    console = page.locator(".console .line")
    assert console.all_inner_texts() == ["epoch 0 <b>starts</b>"]
    assert page.locator(".alerts .alert").count() == 1

    dashboard.post_records(
        run,
        [
            [4, "console", {"stream": "stderr", "text": "warning: x\nepoch 1\n", "time": now}],
            [5, "alert", {"title": "done", "text": "", "level": "INFO", "time": now}],
            [6, "exit", {"exit_code": 0, "time": now + 1, "runtime": 1.0, "summary": {}}],
        ],
    )
    page.wait_for_selector(".run-header .badge[data-state='finished']")
    page.wait_for_selector(".alerts .alert >> nth=1")
    page.wait_for_selector(".console .line >> nth=2")
    assert console.all_inner_texts() == ["epoch 0 <b>starts</b>", "warning: x", "epoch 1"]
    assert page.locator(".console .line.stderr").count() == 2
    titles = page.locator(".alerts .alert strong").all_inner_texts()
    assert titles == ["slow", "done"]  # each alert once
