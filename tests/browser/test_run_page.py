"""The run page in a real browser: sections, hidden metrics, x axes, tables, files."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def test_charts_are_grouped_in_sections_and_hidden_metrics_are_left_out(
    online: Any, signed_in: Any, start_run: Any, project: str
) -> None:
    with start_run(name="sections") as run:
        run.define_metric("secret", hidden=True)
        run.define_metric("val/loss", step_metric="epoch")
        for step in range(30):
            run.log({"train/loss": 1 / (step + 1), "train/acc": step / 30, "a/b/c": step})
            run.log({"plain": step * 2.0, "secret": 42.0}, commit=False)
            if step % 10 == 0:
                run.log({"val/loss": 0.5 - step / 100, "epoch": step // 10}, commit=False)
        run.summary["best"] = 0.9
    watched = signed_in
    page = watched.page
    watched.open(f"{online.url}/{project}/runs/{run.id}")

    sections = {
        s.get_attribute("data-section"): sorted(
            c.get_attribute("data-key") for c in s.query_selector_all(".chart")
        )
        for s in page.query_selector_all(".chart-section")
    }
    assert sections == {
        "Charts": ["epoch", "plain"],
        "a/b": ["a/b/c"],
        "train": ["train/acc", "train/loss"],
        "val": ["val/loss"],
    }
    order = [s.get_attribute("data-section") for s in page.query_selector_all(".chart-section")]
    assert order[0] == "Charts"
    assert page.query_selector(".chart[data-key='secret']") is None
    assert page.query_selector(".chart[data-key='_runtime']") is None
    loss = page.locator(".chart[data-key='train/loss']")
    assert loss.get_attribute("data-points") == "30"
    assert loss.locator("select.x-axis").input_value() == "_step"
    val = page.locator(".chart[data-key='val/loss']")
    assert val.locator("select.x-axis").input_value() == "epoch"
    assert val.get_attribute("data-points") == "3"
    assert page.locator(".run-header .badge").get_attribute("data-state") == "finished"
    assert "0.9" in page.locator("table.summary").inner_text()
    assert watched.errors == [] and watched.csp_violations == []


def test_a_long_series_arrives_downsampled_and_zooming_in_refines_it(
    online: Any, signed_in: Any, start_run: Any, project: str
) -> None:
    with start_run(name="long") as run:
        for step in range(10_000):
            run.log({"loss": (step % 100) / 100})
    watched = signed_in
    page = watched.page
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    watched.open(f"{online.url}/{project}/runs/{run.id}")
    chart = page.locator(".chart[data-key='loss']")
    shown = int(chart.get_attribute("data-points") or 0)
    assert 0 < shown <= 2000  # downsampled by the server, never the whole history

    drag = chart.locator(".nsewdrag").bounding_box()
    assert drag is not None
    y = drag["y"] + drag["height"] / 2
    page.mouse.move(drag["x"] + drag["width"] * 0.40, y)
    page.mouse.down()
    page.mouse.move(drag["x"] + drag["width"] * 0.45, y, steps=5)
    page.mouse.up()
    points = "document.querySelector(\".chart[data-key='loss']\").dataset.points"
    page.wait_for_function(f"() => {points} !== '{shown}'")  # a function: the CSP bans eval
    xs = page.evaluate("() => document.querySelector(\".chart[data-key='loss'] .plot\").data[0].x")
    assert len(xs) > 100 and xs == list(range(xs[0], xs[0] + len(xs)))  # every step in range
    assert any("min_step=" in url and "max_step=" in url for url in asked)

    chart.locator(".nsewdrag").dblclick()  # back to the whole run
    page.wait_for_function(f"() => {points} === '{shown}'")


def test_chart_tools_switch_log_scale_smoothing_x_axis_and_full_screen(
    online: Any, signed_in: Any, start_run: Any, project: str
) -> None:
    with start_run(name="tools") as run:
        for step in range(50):
            run.log({"loss": 10.0 / (step + 1) + (step % 3)})
    watched = signed_in
    page = watched.page
    watched.open(f"{online.url}/{project}/runs/{run.id}")
    chart = page.locator(".chart[data-key='loss']")
    plot = "document.querySelector(\".chart[data-key='loss'] .plot\")"

    chart.locator("input.log-y").check()
    page.wait_for_function(f"() => {plot}.layout.yaxis.type === 'log'")

    chart.locator("input.smoothing").fill("0.9")
    page.wait_for_function(f"() => {plot}.data.length === 2")  # raw (faded) and smoothed
    raw, smoothed = page.evaluate(f"() => {plot}.data.map(trace => trace.y)")
    assert raw[0] == smoothed[0] and smoothed[-1] != raw[-1]

    chart.locator("select.x-axis").select_option("_runtime")
    page.wait_for_function(f"() => {plot}.layout.xaxis.title.text === '_runtime'")
    xs = page.evaluate(f"() => {plot}.data[0].x")
    assert len(xs) == 50 and xs == sorted(xs) and xs[-1] < 50  # seconds, not steps

    chart.locator("button.fullscreen").click()
    box = chart.bounding_box()
    assert box is not None and box["width"] == 1280 and box["height"] == 900
    page.keyboard.press("Escape")
    box = chart.bounding_box()
    assert box is not None and box["width"] < 1280
    assert watched.errors == []


def test_files_are_listed_and_download(
    signed_in: Any, online: Any, start_run: Any, project: str, tmp_path: Path
) -> None:
    with start_run(name="files") as run:
        (tmp_path / "notes.txt").write_text("hello <b>file</b>")
        run.save(str(tmp_path / "notes.txt"), base_path=str(tmp_path), policy="now")
    page = signed_in.open(f"{online.url}/{project}/runs/{run.id}")
    page.locator("details[data-section='Files'] > summary").click()
    link = page.locator(".files a", has_text="notes.txt")
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "notes.txt"
    assert Path(download.value.path()).read_text() == "hello <b>file</b>"
