"""The static HTML of a run: small, self-contained and escaped."""

from __future__ import annotations

import math
from urllib.parse import unquote

from nbrun.jupyter.snapshot import (
    Chart,
    RunHeader,
    chart_svg,
    format_duration,
    header_html,
    sections,
    snapshot_html,
)
from nbrun.protocol.keys import section_of
from tests.html_elements import Elements

XSS = "<script>alert(1)</script>"
ATTR_XSS = "\"'><img src=x onerror=alert(2)>"


def header(**fields: object) -> RunHeader:
    values: dict[str, object] = {
        "name": "run-1",
        "state": "finished",
        "step": 41,
        "elapsed": 75.0,
        "url": None,
        "sync": "offline",
    }
    values.update(fields)
    return RunHeader(**values)  # type: ignore[arg-type]


def chart(key: str, n: int = 200) -> Chart:
    return Chart(key=key, x_key="_step", points=[(i, math.sin(i / 9) * 1e3) for i in range(n)])


def test_twenty_metrics_make_a_snapshot_under_200_kb() -> None:
    charts = [chart(f"group{i % 4}/metric_with_a_long_name_{i}") for i in range(20)]
    summary = {c.key: c.points[-1][1] for c in charts}
    document = snapshot_html(header(), charts, summary, {"lr": 0.1, "layers": [64, 64]})
    assert len(document.encode()) < 200_000
    assert Elements(document).tags.count("img") == 20


def test_the_snapshot_shows_the_final_step_state_and_summary() -> None:
    document = snapshot_html(header(step=41), [chart("loss")], {"loss": 0.25, "note": "ok"}, {})
    text = " ".join(" ".join(Elements(document).text).split())
    assert "Finished step 41" in text
    assert "Summary loss 0.25 note ok" in text


def test_user_strings_are_escaped_everywhere() -> None:
    document = snapshot_html(
        header(name=XSS, sync=ATTR_XSS, url="javascript:alert(3)"),
        [chart(f"{XSS}/{ATTR_XSS}")],
        {XSS: ATTR_XSS, "nested": {ATTR_XSS: XSS}},
        {ATTR_XSS: XSS},
    )
    parsed = Elements(document)
    assert "script" not in parsed.tags
    assert parsed.tags.count("img") == 1  # the chart's own image, not the injected one
    assert not [name for name in parsed.attributes if name.startswith("on")]
    assert "javascript:" not in document
    assert XSS in " ".join(parsed.text)  # shown as text


def test_a_link_to_the_run_page_when_online() -> None:
    document = header_html(header(url="http://127.0.0.1:8730/u/p/runs/abc"))
    assert "href='http://127.0.0.1:8730/u/p/runs/abc'" in document


def test_each_state_gets_its_badge() -> None:
    for state, label in [
        ("running", "Running"),
        ("finished", "Finished"),
        ("failed", "Failed"),
        ("crashed", "Crashed"),
    ]:
        assert f">{label}</span>" in header_html(header(state=state))


def test_sections_are_the_text_before_the_last_slash_in_order_of_appearance() -> None:
    assert section_of("a/b/c") == "a/b"
    assert section_of("loss") == ""
    grouped = sections([chart("train/loss"), chart("acc"), chart("val/loss"), chart("train/acc")])
    assert [(name, [c.key for c in members]) for name, members in grouped] == [
        ("train", ["train/loss", "train/acc"]),
        ("", ["acc"]),
        ("val", ["val/loss"]),
    ]


def test_charts_are_svg_with_numbers_only() -> None:
    svg = chart_svg([(0, 1.0), (10, 3.0), (20, 2.0)])
    assert svg.startswith("<svg") and "<path d='M" in svg
    parsed = Elements(svg)
    assert set(parsed.tags) <= {"svg", "rect", "line", "text", "path", "circle"}
    assert " ".join(parsed.text).split() == ["3", "1", "0", "20"]


def test_a_single_point_or_a_flat_line_still_draws() -> None:
    assert "<circle" in chart_svg([(5, 2.0)])
    flat = chart_svg([(0, 1.0), (1, 1.0)])
    assert "<path" in flat and "nan" not in flat


def test_the_chart_image_carries_its_svg_inline() -> None:
    document = snapshot_html(header(), [chart("loss", 3)], {}, {})
    (src,) = Elements(document).sources
    assert src.startswith("data:image/svg+xml,")
    assert unquote(src.split(",", 1)[1]) == chart_svg(chart("loss", 3).points)


def test_durations_read_as_hours_minutes_seconds() -> None:
    assert [format_duration(s) for s in (0, 12.7, 185, 3725)] == ["0s", "12s", "3m 05s", "1h 02m"]
