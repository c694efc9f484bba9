"""The compare view: several runs overlaid on the same charts, one colour and legend entry each."""

from __future__ import annotations

from typing import Any


def test_compare_view_overlays_two_runs_with_their_names(
    online: Any, signed_in: Any, start_run: Any, project: str
) -> None:
    ids = []
    for run_name, scale in (("small-lr", 1.0), ("big-lr", 2.0)):
        with start_run(name=run_name, reinit=True) as run:
            for step in range(40):
                run.log({"loss": scale / (step + 1)})
            if run_name == "big-lr":
                run.log({"extra/only_here": 1.0})
        ids.append(run.id)

    watched = signed_in
    page = watched.page
    watched.open(f"{online.url}/{project}")
    for run_id in ids:
        page.locator(f"tr[data-run='{run_id}'] input.select-run").check()
    page.locator("a.compare").click()
    page.wait_for_selector("main[data-loaded='1']")

    assert page.url.endswith(f"/compare?runs={ids[0]}%2C{ids[1]}")
    assert page.locator(".legend li a").all_inner_texts() == ["small-lr", "big-lr"]
    loss = page.locator(".chart[data-key='loss']")
    assert loss.get_attribute("data-points") == "80"  # 40 points of each run
    traces = loss.locator(".scatterlayer .trace")
    assert traces.count() == 2
    colours = {t.locator("path.js-line").get_attribute("style") for t in traces.all()}
    assert len(colours) == 2  # one colour per run
    legend = [text.text_content() for text in loss.locator(".legendtext").all()]  # SVG
    assert legend == ["small-lr", "big-lr"]
    assert page.locator(".chart[data-key='extra/only_here']").get_attribute("data-points") == "1"
    assert watched.errors == [] and watched.csp_violations == []
