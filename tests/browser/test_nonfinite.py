"""NaN and ±Inf on the dashboard, as a user sees them: a NaN step is a gap in the line, ±Inf a
marked point at the top or bottom of the chart that leaves the y range alone, and the summary
says NaN, Inf and -Inf; live rows follow the same rules."""

from __future__ import annotations

from typing import Any

NAN, INF = float("nan"), float("inf")
# step: loss; every other step is a plain number (the step itself)
SPECIAL = {4: NAN, 6: INF, 7: -INF}


def plot_of(key: str) -> str:
    return f"document.querySelector(\".chart[data-key='{key}'] .plot\")"


def traces(page: Any, key: str) -> list[dict[str, Any]]:
    """The chart's traces as plotly holds them (what it draws)."""
    found: list[dict[str, Any]] = page.evaluate(
        f"""() => {plot_of(key)}.data.map((t) => ({{
            x: Array.from(t.x), y: Array.from(t.y), mode: t.mode, connectgaps: !!t.connectgaps,
            yaxis: t.yaxis || 'y', symbol: t.marker && t.marker.symbol,
            text: t.text ? Array.from(t.text) : null,
        }}))"""
    )
    return found


def line_of(found: list[dict[str, Any]]) -> dict[str, Any]:
    lines = [t for t in found if t["mode"] == "lines"]
    assert len(lines) == 1, found
    return lines[0]


def marker_boxes(page: Any, key: str) -> dict[str, list[dict[str, float]]]:
    """Where the drawn ±Inf markers sit on screen, by their hover text, and the plot area."""
    boxes: dict[str, list[dict[str, float]]] = page.evaluate(
        f"""() => {{
            const plot = {plot_of(key)};
            const area = plot.querySelector('.nsewdrag').getBoundingClientRect();
            const out = {{area: [{{top: area.top, bottom: area.bottom}}]}};
            plot.querySelectorAll('.scatterlayer .trace').forEach((trace, i) => {{
                const text = plot.data[i] && plot.data[i].text && plot.data[i].text[0];
                if (text === '+Inf' || text === '-Inf') {{
                    out[text] = [...trace.querySelectorAll('path.point')].map((p) => {{
                        const box = p.getBoundingClientRect();
                        return {{top: box.top, bottom: box.bottom}};
                    }});
                }}
            }});
            return out;
        }}"""
    )
    return boxes


def check_chart(page: Any, key: str, steps: int) -> None:
    found = traces(page, key)
    line = line_of(found)
    assert line["x"] == list(range(steps))
    for step, y in zip(line["x"], line["y"], strict=True):
        if step in SPECIAL:
            assert y is None, (step, y)  # a gap: no point, and the line does not go through
        else:
            assert y == step, (step, y)  # never zero, never a string
    assert line["connectgaps"] is False

    up = [t for t in found if t["symbol"] == "triangle-up"]
    down = [t for t in found if t["symbol"] == "triangle-down"]
    assert len(up) == 1 and up[0]["x"] == [6] and up[0]["text"] == ["+Inf"], found
    assert len(down) == 1 and down[0]["x"] == [7] and down[0]["text"] == ["-Inf"], found

    # The y range is the finite values' (autoscaling unbroken), the markers at its edges.
    y_range = page.evaluate(f"() => {plot_of(key)}._fullLayout.yaxis.range")
    assert -1 < y_range[0] <= 0 and steps - 1 <= y_range[1] < steps + 1, y_range
    boxes = marker_boxes(page, key)
    area = boxes["area"][0]
    height = area["bottom"] - area["top"]
    assert len(boxes["+Inf"]) == 1 and len(boxes["-Inf"]) == 1, boxes
    assert boxes["+Inf"][0]["top"] < area["top"] + 0.1 * height, boxes
    assert boxes["-Inf"][0]["bottom"] > area["bottom"] - 0.1 * height, boxes


def summary_cells(page: Any) -> dict[str, str]:
    cells: dict[str, str] = page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('table.summary tr')]
            .map((row) => [...row.querySelectorAll('td')].map((td) => td.textContent.trim()))
            .filter((cells) => cells.length === 2))"""
    )
    return cells


def loss(step: int) -> float:
    return SPECIAL.get(step, float(step))


def test_nan_is_a_gap_infinities_are_marked_and_the_summary_says_so(
    online: Any, signed_in: Any, start_run: Any, project: str
) -> None:
    with start_run(name="nonfinite") as run:
        for step in range(10):
            row: dict[str, Any] = {"loss": loss(step), "always_inf": INF}
            row["last_nan"] = NAN if step == 9 else 1.0
            row["n"] = {"x": NAN if step == 2 else float(step)}  # charted as "n.x"
            run.log(row)
        run.summary["worst"] = -INF
    watched = signed_in
    page = watched.page
    watched.open(f"{online.url}/{project}/runs/{run.id}")

    check_chart(page, "loss", 10)
    page.wait_for_selector(".chart[data-key='always_inf'][data-drawn='1']")
    only_inf = traces(page, "always_inf")
    assert line_of(only_inf)["y"] == [None] * 10
    assert [t["x"] for t in only_inf if t["symbol"] == "triangle-up"] == [list(range(10))]

    nested_line = line_of(traces(page, "n.x"))
    assert nested_line["y"] == [0, 1, None, 3, 4, 5, 6, 7, 8, 9]
    page.locator(".chart[data-key='loss']").scroll_into_view_if_needed()
    watched.screenshot("nonfinite-run.png")  # for reviewers (tests/browser/artifacts/)
    cells = summary_cells(page)
    assert cells["loss"] == "9" and cells["n.x"] == "9"
    assert (cells["always_inf"], cells["last_nan"], cells["worst"]) == ("Inf", "NaN", "-Inf")
    assert watched.errors == [] and watched.csp_violations == []


LOGGER = """
import pathlib, time
import nbrun

here = pathlib.Path(".")
special = {{4: float("nan"), 6: float("inf"), 7: float("-inf")}}

def wait(name):
    while not (here / name).exists():
        time.sleep(0.02)

run = nbrun.init(entity="{entity}", project="{project}", id="nonfin", name="live-nonfinite")
for step in range(4):
    run.log({{"loss": float(step)}})
(here / "first").touch()
wait("more")
for step in range(4, 10):
    run.log({{"loss": special.get(step, float(step)), "late": float("inf"), "n": {{"x": 1.0}}}})
(here / "second").touch()
wait("finish")
run.finish()
"""


def test_live_rows_with_nan_and_infinities_follow_the_same_rules(
    dashboard: Any, signed_in: Any, start_logging: Any, project: str
) -> None:
    entity, name = project.split("/")
    logger = start_logging(LOGGER.format(entity=entity, project=name))
    logger.wait_for("first")
    dashboard.wait_uploaded(f"{project}/nonfin", 3)
    watched = signed_in
    page = watched.page
    watched.open(f"{dashboard.url}/{project}/runs/nonfin")
    assert page.locator(".chart[data-key='loss']").get_attribute("data-points") == "4"
    page.evaluate("window.__sameDocument = true")

    logger.signal("more")
    page.wait_for_selector(".chart[data-key='loss'][data-points='10']")
    page.wait_for_selector(".chart[data-key='late'][data-points='6']")  # a key only ever +Inf
    page.wait_for_selector(".chart[data-key='n.x'][data-points='6']")  # nested, new while live
    check_chart(page, "loss", 10)
    late = traces(page, "late")
    assert [t["x"] for t in late if t["symbol"] == "triangle-up"] == [list(range(4, 10))]
    page.wait_for_function(
        """() => [...document.querySelectorAll('table.summary tr')]
            .some((row) => row.textContent.includes('late') && row.textContent.includes('Inf'))"""
    )
    logger.signal("finish")
    logger.finish()
    page.wait_for_selector(".run-header .badge[data-state='finished']")
    assert page.evaluate("window.__sameDocument") is True
    assert watched.errors == [] and watched.csp_violations == []
