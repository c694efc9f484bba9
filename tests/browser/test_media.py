"""Rich values on the run page: each type through its renderer, with a step slider."""

from __future__ import annotations

from typing import Any

import numpy as np

import nbrun


def test_images_show_per_step_and_histograms_draw(
    online: Any, signed_in: Any, start_run: Any, project: str
) -> None:
    with start_run(name="media") as run:
        for step in range(3):
            pixels = np.full((8, 12, 3), 80 * step, dtype=np.uint8)
            run.log(
                {
                    "samples": nbrun.Image(pixels, caption=f"step {step} <b>x</b>"),
                    "weights": nbrun.Histogram(np.arange(10) * (step + 1), num_bins=5),
                    "loss": 1.0 / (step + 1),
                }
            )
    watched = signed_in
    page = watched.page
    watched.open(f"{online.url}/{project}/runs/{run.id}")

    media = page.locator("details[data-section='Media']")
    assert media.is_visible()
    assert page.locator(".chart[data-key='samples']").count() == 0  # rich values get no chart
    image = page.locator(".rich[data-key='samples'] img")
    image.wait_for()
    page.wait_for_function(
        "() => document.querySelector(\".rich[data-key='samples'] img\").naturalWidth === 12"
    )
    caption = page.locator(".rich[data-key='samples'] .rich-image figcaption")
    assert caption.inner_text() == "step 2 <b>x</b>"  # the last step first, caption as text
    assert page.locator(".rich[data-key='samples'] .step-label").inner_text() == "step 2"
    page.locator(".rich[data-key='samples'] input[type='range']").fill("0")
    assert caption.inner_text() == "step 0 <b>x</b>"
    bars = page.locator(".rich[data-key='weights'] .plot .bars path")
    bars.first.wait_for()
    assert bars.count() == 5
    assert watched.errors == [] and watched.csp_violations == []
