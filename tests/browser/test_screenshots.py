"""Screenshots of the run page, light and dark, wide and notebook-narrow, for reviewers
(saved under tests/browser/artifacts/)."""

from __future__ import annotations

import math
from typing import Any

import pytest


@pytest.fixture
def demo_run(start_run: Any, project: str) -> str:
    notes = "Baseline with **cosine** schedule.\n\n$$ \\eta_t = \\eta_0 \\cos(\\pi t / T) $$"
    config = {"lr": 0.01, "batch_size": 64, "optimizer": {"name": "adam", "beta1": 0.9}}
    with start_run(
        name="cosine-baseline",
        notes=notes,
        tags=["baseline", "cosine"],
        config=config,
        group="sweep-1",
    ) as run:
        for step in range(300):
            run.log(
                {
                    "train/loss": math.exp(-step / 80) + 0.05 * math.sin(step / 3),
                    "train/acc": 1 - math.exp(-step / 60),
                    "val/loss": math.exp(-step / 90) + 0.1,
                    "lr": 0.01 * math.cos(math.pi * step / 600),
                }
            )
    return f"{project}/runs/{run.id}"


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_run_page_screenshots_in_both_themes(
    online: Any, signed_in: Any, demo_run: str, theme: str
) -> None:
    watched = signed_in
    page = watched.page
    watched.open(f"{online.url}/{demo_run}?theme={theme}")
    assert page.evaluate("document.documentElement.dataset.theme") == theme
    assert page.locator(".notes .katex").count() == 1  # the $$ formula was typeset
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == ("rgb(21, 23, 28)" if theme == "dark" else "rgb(255, 255, 255)")
    assert watched.screenshot(f"run-{theme}.png").stat().st_size > 0


def test_embed_view_at_notebook_width_has_no_site_chrome(
    online: Any, new_page: Any, demo_run: str
) -> None:
    token = online.read_token(demo_run.replace("/runs/", "/"))
    watched = new_page(width=400, height=700)
    page = watched.page
    page.goto(f"{online.url}/{demo_run}?embed=1&theme=dark&token={token}")
    page.wait_for_selector("main[data-loaded='1']")
    assert page.query_selector(".topbar") is None
    assert page.locator(".chart[data-drawn='1']").count() == 4
    # nothing is cut off sideways at 400 px
    assert page.evaluate("document.documentElement.scrollWidth") <= 400
    watched.screenshot("embed-400px-dark.png")
    assert watched.errors == [] and watched.csp_violations == []
