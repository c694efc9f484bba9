"""Nested metrics on the run page: ``run.log({"train": {"loss": x}})`` is charted as
``train.loss`` when the page opens and grows while the run logs; a logged image is a leaf (an
image in the media section), never line charts of its payload's fields."""

from __future__ import annotations

from typing import Any

LOGGER = """
import pathlib, time
import numpy as np
import nbrun

here = pathlib.Path(".")

def wait(name):
    while not (here / name).exists():
        time.sleep(0.02)

image = nbrun.Image(np.zeros((8, 8, 3), dtype=np.uint8))
run = nbrun.init(entity="{entity}", project="{project}", id="nest01", name="nested")
for step in range(10):
    run.log({{"train": {{"loss": 1.0 / (step + 1)}}, "sample": image}})
(here / "first").touch()
wait("more")
for step in range(10, 25):
    run.log({{"train": {{"loss": 1.0 / (step + 1)}}, "val": {{"acc": step / 25}}, "sample": image}})
(here / "second").touch()
wait("finish")
run.finish()
"""


def chart_titles(page: Any) -> list[str]:
    return sorted(page.locator(".chart .chart-title").all_inner_texts())


def test_nested_metrics_chart_on_load_and_live_and_images_are_no_line_charts(
    dashboard: Any, signed_in: Any, start_logging: Any, project: str
) -> None:
    entity, name = project.split("/")
    logger = start_logging(LOGGER.format(entity=entity, project=name))
    run = f"{project}/nest01"
    logger.wait_for("first")
    dashboard.wait_uploaded(run, 9)

    watched = signed_in
    page = watched.page
    watched.open(f"{dashboard.url}/{project}/runs/nest01")
    assert chart_titles(page) == ["train.loss"]  # the image's size/width/height are no metrics
    loss = page.locator(".chart[data-key='train.loss']")
    assert loss.get_attribute("data-points") == "10"
    page.locator(".rich[data-key='sample'] img").wait_for()  # the image shows as an image
    assert page.locator(".run-header .badge").get_attribute("data-state") == "running"

    logger.signal("more")
    logger.wait_for("second")
    # while the run still logs: the chart grows and a nested key first logged now gets one
    page.wait_for_selector(".chart[data-key='train.loss'][data-points='25']")
    page.wait_for_selector(".chart[data-key='val.acc'][data-points='15']")
    assert page.locator(".run-header .badge").get_attribute("data-state") == "running"
    assert chart_titles(page) == ["train.loss", "val.acc"]
    assert page.locator(".chart[data-key^='sample']").count() == 0

    logger.signal("finish")
    logger.finish()
    page.wait_for_selector(".run-header .badge[data-state='finished']")
    assert loss.get_attribute("data-points") == "25"  # every point once, none twice
    assert watched.errors == [] and watched.csp_violations == []
