"""A histogram key over its steps: a heatmap (step on x, value on y, count as colour) that a
button in the panel's caption swaps with the one-step bars."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import numpy as np

import nbrun

PLOT = ".rich[data-key='weights'] .plot"

# What a user sees in the heatmap, read from the plot plotly drew: its trace's type and steps,
# and per step the count-weighted mean of the rows' values (where the distribution sits).
HEATMAP = """(selector) => {
  const trace = document.querySelector(selector).data[0];
  const means = trace.x.map((_, c) => {
    let total = 0, sum = 0;
    trace.z.forEach((row, r) => { total += row[c]; sum += row[c] * trace.y[r]; });
    return sum / total;
  });
  return { type: trace.type, x: trace.x, means };
}"""


def test_histograms_over_steps_as_a_heatmap(
    online: Any, signed_in: Any, start_run: Any, project: str
) -> None:
    with start_run(name="histograms") as run:
        for step in range(5):
            values = np.random.default_rng(step).normal(loc=step, size=1000)
            run.log({"weights": nbrun.Histogram(values, num_bins=20)})
    watched = signed_in
    page = watched.page
    watched.open(f"{online.url}/{project}/runs/{run.id}")

    panel = page.locator(".rich[data-key='weights']")
    bars = panel.locator(".plot .bars path")
    bars.first.wait_for()
    assert bars.count() == 20  # the last step's bars first, with a slider over the steps
    assert panel.locator(".step-label").inner_text() == "step 4"
    mode = panel.locator("button.rich-mode")
    assert mode.inner_text() == "over steps"

    mode.click()
    assert mode.inner_text() == "one step"
    panel.locator(".plot .heatmaplayer .hm image").wait_for()
    page.wait_for_function(
        "(s) => document.querySelector(s)?.data?.[0]?.type === 'heatmap'", arg=PLOT
    )
    heatmap = page.evaluate(HEATMAP, PLOT)
    assert heatmap["type"] == "heatmap"
    assert heatmap["x"] == [0, 1, 2, 3, 4]
    means = heatmap["means"]
    assert all(a < b for a, b in pairwise(means)), means  # the distributions move up
    assert abs(means[0]) < 0.5 and abs(means[4] - 4) < 0.5, means
    assert not panel.locator("input[type='range']").is_visible()  # every step at once
    assert panel.locator(".step-label").inner_text() == "steps 0–4"
    assert panel.locator(".plot .xtitle").text_content() == "step"
    assert panel.locator(".plot .ytitle").text_content() == "value"

    mode.click()
    assert mode.inner_text() == "over steps"
    bars.first.wait_for()
    assert bars.count() == 20
    assert panel.locator(".heatmaplayer").count() == 0
    assert panel.locator("input[type='range']").is_visible()
    assert panel.locator(".step-label").inner_text() == "step 4"
    assert watched.errors == [] and watched.csp_violations == []


def test_no_toggle_for_one_step_or_other_types(
    online: Any, signed_in: Any, start_run: Any, project: str
) -> None:
    with start_run(name="single") as run:
        run.log({"once": nbrun.Histogram(np.arange(10), num_bins=5)})
        for step in range(2):
            run.log({"samples": nbrun.Image(np.full((4, 4, 3), 9 * step, dtype=np.uint8))})
    watched = signed_in
    page = watched.page
    watched.open(f"{online.url}/{project}/runs/{run.id}")
    page.locator(".rich[data-key='once'] .plot .bars path").first.wait_for()
    page.locator(".rich[data-key='samples'] img").wait_for()
    assert not page.locator(".rich[data-key='once'] button.rich-mode").is_visible()
    assert not page.locator(".rich[data-key='samples'] button.rich-mode").is_visible()
    assert watched.errors == [] and watched.csp_violations == []


LIVE_LOGGER = """
import pathlib, time
import numpy as np
import nbrun

here = pathlib.Path(".")

def wait(name):
    while not (here / name).exists():
        time.sleep(0.02)

def log(run, step):
    values = np.random.default_rng(step).normal(loc=step, size=1000)
    run.log({{"weights": nbrun.Histogram(values, num_bins=20)}})

run = nbrun.init(entity="{entity}", project="{project}", id="hist01", name="live-hist")
for step in range(3):
    log(run, step)
(here / "first").touch()
wait("more")
for step in range(3, 5):
    log(run, step)
(here / "second").touch()
wait("finish")
run.finish()
"""


def test_the_heatmap_grows_with_live_steps(
    dashboard: Any, signed_in: Any, start_logging: Any, project: str
) -> None:
    entity, name = project.split("/")
    logger = start_logging(LIVE_LOGGER.format(entity=entity, project=name))
    logger.wait_for("first")
    dashboard.wait_uploaded(f"{project}/hist01", 2)
    watched = signed_in
    page = watched.page
    watched.open(f"{dashboard.url}/{project}/runs/hist01")
    panel = page.locator(".rich[data-key='weights']")
    panel.locator(".plot .bars path").first.wait_for()
    panel.locator("button.rich-mode").click()
    page.wait_for_function("(s) => document.querySelector(s)?.data?.[0]?.x?.length === 3", arg=PLOT)

    logger.signal("more")
    logger.wait_for("second")
    page.wait_for_function("(s) => document.querySelector(s)?.data?.[0]?.x?.length === 5", arg=PLOT)
    heatmap = page.evaluate(HEATMAP, PLOT)
    assert heatmap["x"] == [0, 1, 2, 3, 4]
    assert all(a < b for a, b in pairwise(heatmap["means"]))
    assert panel.locator(".step-label").inner_text() == "steps 0–4"
    assert panel.locator("button.rich-mode").inner_text() == "one step"  # still over steps
    logger.signal("finish")
    logger.finish()
    assert watched.errors == [] and watched.csp_violations == []
