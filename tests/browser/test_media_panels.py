"""The run page's media panels for tables, plotly figures and ``nbrun.plot`` presets, with what
a user sees checked in the DOM: a table's headers and rows, paging, sorting and filtering
through the server; a figure and each preset drawn by plotly (traces, heatmap cell labels,
AUC in the legends); XSS payloads in column names, cells, titles, captions and class names
shown as text, with no dialog."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import nbrun

IMG = '<img src=x onerror="window.__xss=1;alert(1)">'
SCRIPT = "<script>window.__xss=2;alert(2)</script>"
SVG = "<svg onload=alert(3)>"
ROWS = 45

# Nothing of these may exist in the page: they would be the payloads turned into markup.
NO_MARKUP = """() => [
  document.querySelectorAll('img[src="x"], svg[onload], [onerror]').length,
  document.querySelectorAll('script:not([src])').length,
  window.__xss === undefined ? 0 : 1,
]"""


def panel(key: str) -> str:
    return f".rich[data-key='{key}']"


@pytest.fixture(scope="module")
def media_run(dashboard: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A run logged with the SDK, as a user's code would: a table with image cells and XSS
    strings, a plotly figure, each nbrun.plot preset and an Html value. Returns (project path,
    run id)."""
    import plotly.graph_objects as go

    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.chdir(tmp_path_factory.mktemp("media-run"))  # the run folder goes there
    for name, value in dashboard.env().items():
        if name.startswith("NBRUN_"):
            monkeypatch.setenv(name, value)
    rng = np.random.default_rng(7)
    try:
        with nbrun.init(entity="browser", project="media-panels", name="media") as run:
            images = [np.full((6, 8, 3), 60 * i, dtype=np.uint8) for i in range(3)]
            rows = [
                [
                    i,
                    f"row {i:02d}" if i % 7 else SCRIPT,
                    round(float(i % 10) / 3, 4),
                    nbrun.Image(images[i], caption=IMG) if i < 3 else None,
                ]
                for i in range(ROWS)
            ]
            table = nbrun.Table(columns=["id", IMG, "score", "image"], data=rows)
            figure = go.Figure(
                [
                    go.Bar(x=["a", "b", "c"], y=[3, 1, 2], name="bars"),
                    go.Scatter(x=["a", "b", "c"], y=[1, 2, 3], name=SCRIPT),
                ],
                layout={"title": {"text": f"figure {SVG}"}},
            )
            points = nbrun.Table(
                columns=["x", "y", "group"],
                data=[[i, float(np.sin(i / 3)), "even" if i % 2 == 0 else IMG] for i in range(30)],
            )
            y_true = np.array([0, 1, 2] * 20)
            probs = rng.dirichlet(np.ones(3), size=60)
            probs[np.arange(60), y_true] += 0.6  # a classifier better than chance
            probs /= probs.sum(axis=1, keepdims=True)
            labels = ["cat", "dog", IMG]
            frames = np.zeros((6, 3, 16, 16), dtype=np.uint8)  # T x C x H x W, brightening
            frames += (np.arange(6, dtype=np.uint8) * 40)[:, None, None, None]
            run.log(
                {
                    "predictions": table,
                    "figure": figure,
                    "line": nbrun.plot.line(points, "x", "y", stroke="group", title=SCRIPT),
                    "scatter": nbrun.plot.scatter(points, "x", "y", title="scatter"),
                    "bar": nbrun.plot.bar(
                        nbrun.Table(columns=["label", "value"], data=[["a", 2], [SVG, 5]]),
                        "label",
                        "value",
                    ),
                    "histogram": nbrun.plot.histogram(points, "y", title="histogram"),
                    "series": nbrun.plot.line_series(
                        xs=list(range(10)),
                        ys=[[i * k for i in range(10)] for k in (1, 2, 3)],
                        keys=["one", "two", SCRIPT],
                    ),
                    "pr": nbrun.plot.pr_curve(y_true, probs, labels=labels),
                    "roc": nbrun.plot.roc_curve(y_true, probs, labels=labels),
                    "cm": nbrun.plot.confusion_matrix(
                        y_true=y_true, preds=probs.argmax(axis=1), class_names=labels
                    ),
                    "page": nbrun.Html(f"<p>hello</p>{SCRIPT}"),
                    "detections": detections(),
                    "sound": nbrun.Audio(
                        np.sin(np.arange(8000) * 0.05), sample_rate=8000, caption=SCRIPT
                    ),
                    "clip": nbrun.Video(frames, fps=4, caption=IMG),
                    "clip_webm": nbrun.Video(frames, fps=4, format="webm"),
                }
            )
    finally:
        monkeypatch.undo()
    return "browser/media-panels", run.id


def detections() -> nbrun.Image:
    """A 40 x 80 grey image with two boxes (fractions and pixels) and a mask whose right half
    is class 2."""
    mask = np.zeros((40, 80), dtype=np.uint8)
    mask[:, 40:] = 2
    boxes = [
        {"position": {"minX": 0.1, "maxX": 0.4, "minY": 0.2, "maxY": 0.8}, "class_id": 1},
        {
            "position": {"middle": [60, 20], "width": 20, "height": 10},
            "domain": "pixel",
            "class_id": 0,
            "box_caption": SCRIPT,
        },
    ]
    return nbrun.Image(
        np.full((40, 80, 3), 128, dtype=np.uint8),
        boxes={"predictions": {"box_data": boxes, "class_labels": {0: "cat", 1: IMG}}},
        masks={"truth": {"mask_data": mask, "class_labels": {2: "road"}}},
    )


@pytest.fixture
def run_page(
    media_run: tuple[str, str], dashboard: Any, new_page: Callable[..., Any]
) -> Iterator[Any]:
    watched = new_page(1280, 1000)
    watched.sign_in(dashboard)
    project, run_id = media_run
    watched.open(f"{dashboard.url}/{project}/runs/{run_id}")
    yield watched
    assert watched.page.evaluate(NO_MARKUP) == [0, 0, 0]
    assert watched.dialogs == []
    assert watched.errors == [] and watched.csp_violations == []


def test_table_shows_headers_rows_and_image_cells(run_page: Any) -> None:
    page = run_page.page
    table = page.locator(f"{panel('predictions')} .table-view")
    table.locator("tbody tr").first.wait_for()
    headers = table.locator("thead th").all_inner_texts()
    assert headers == ["#", "id", IMG, "score", "image"]  # the payload as text
    assert table.locator("tbody tr").count() == 20
    assert table.locator(".table-count").inner_text() == f"rows 1–20 of {ROWS}"
    first = table.locator("tbody tr").first.locator("td").all_inner_texts()
    assert first[:4] == ["0", "0", SCRIPT, "0"]  # index, id, a cell's payload as text, score
    thumb = table.locator("tbody tr[data-row='1'] .cell-image img")
    thumb.scroll_into_view_if_needed()
    page.wait_for_function("el => el.complete && el.naturalWidth === 8", arg=thumb.element_handle())
    assert thumb.get_attribute("alt") == IMG
    assert table.locator("tbody tr[data-row='1'] .cell-caption").inner_text() == IMG


def test_table_pages_sorts_and_filters_on_the_server(run_page: Any) -> None:
    page = run_page.page
    table = page.locator(f"{panel('predictions')} .table-view")
    count = table.locator(".table-count")
    table.locator("tbody tr").first.wait_for()

    def first_ids() -> list[str]:
        return [row.split("\t")[1] for row in table.locator("tbody tr").all_inner_texts()][:3]

    table.locator("button[data-page='next']").click()
    page.wait_for_function(
        "el => el.textContent === 'rows 21–40 of 45'", arg=count.element_handle()
    )
    assert first_ids() == ["20", "21", "22"]
    table.locator("button[data-page='last']").click()
    page.wait_for_function(
        "el => el.textContent === 'rows 41–45 of 45'", arg=count.element_handle()
    )
    assert table.locator("tbody tr").count() == 5
    assert table.locator("button[data-page='next']").is_disabled()
    # sort by score, descending on the second click (back to the first page)
    # (the header is drawn anew with each page: found again by its state)
    table.locator("th[data-column='score']").click()
    table.locator("th[data-column='score'][aria-sort='ascending']").wait_for()
    table.locator("th[data-column='score']").click()
    table.locator("th[data-column='score'][aria-sort='descending']").wait_for()
    page.wait_for_function("el => el.textContent === 'rows 1–20 of 45'", arg=count.element_handle())
    scores = [row.split("\t")[3] for row in table.locator("tbody tr").all_inner_texts()]
    assert scores[:4] == ["3", "3", "3", "3"] and scores == sorted(scores, key=float, reverse=True)
    # a filter: the rows holding the text, still sorted
    table.locator("input.table-filter").fill("<script>")
    table.locator("input.table-filter").press("Enter")
    page.wait_for_function(
        "el => el.textContent === 'rows 1–7 of 7 (filtered from 45)'", arg=count.element_handle()
    )
    assert set(table.locator("tbody td:nth-child(3)").all_inner_texts()) == {SCRIPT}
    table.locator("input.table-filter").fill("no such row")
    table.locator("input.table-filter").press("Enter")
    table.locator("p.empty").wait_for()
    assert table.locator("p.empty").inner_text() == "No row matches the filter."


def wait_drawn(page: Any, key: str) -> Any:
    plot = page.locator(f"{panel(key)} .plot[data-drawn='1']")
    plot.wait_for()
    return plot


def test_plotly_figure_is_drawn_with_its_traces(run_page: Any) -> None:
    page = run_page.page
    plot = wait_drawn(page, "figure")
    assert plot.locator(".main-svg").count() >= 1
    assert plot.locator(".barlayer .trace").count() == 1
    assert plot.locator(".scatterlayer .trace").count() == 1
    assert plot.locator(".barlayer .point").count() == 3
    assert plot.locator(".gtitle").text_content() == f"figure {SVG}"
    assert SCRIPT in plot.locator(".legend").text_content()


@pytest.mark.parametrize(
    ("key", "layer", "traces"),
    [
        ("line", ".scatterlayer .trace", 2),
        ("scatter", ".scatterlayer .trace", 1),
        ("bar", ".barlayer .trace", 1),
        ("histogram", ".barlayer .trace", 1),
        ("series", ".scatterlayer .trace", 3),
        ("cm", ".heatmaplayer .hm", 1),
    ],
)
def test_each_preset_is_drawn(run_page: Any, key: str, layer: str, traces: int) -> None:
    plot = wait_drawn(run_page.page, key)
    assert plot.locator(".main-svg").count() >= 1
    assert plot.locator(layer).count() == traces


def test_titles_and_labels_show_as_typed(run_page: Any) -> None:
    page = run_page.page
    line = wait_drawn(page, "line")
    assert line.locator(".gtitle").text_content() == SCRIPT
    assert IMG in line.locator(".legend").text_content()
    bar = wait_drawn(page, "bar")
    assert SVG in bar.locator(".xtick text").all_text_contents()
    series = wait_drawn(page, "series")
    assert series.locator(".legendtext").all_text_contents() == ["one", "two", SCRIPT]


@pytest.mark.parametrize("key", ["pr", "roc"])
def test_curves_have_one_line_per_class_with_its_auc(run_page: Any, key: str) -> None:
    plot = wait_drawn(run_page.page, key)
    legend = plot.locator(".legendtext").all_text_contents()
    assert len(legend) == 3
    for name, text in zip(["cat", "dog", IMG], legend, strict=True):
        assert text.startswith(f"{name} (AUC = "), text
        area = float(text.rsplit("= ", 1)[1].rstrip(")"))
        assert 0.5 < area <= 1.0, text  # better than chance, as the scores were made
    lines = plot.locator(".scatterlayer .trace").count()
    assert lines == (4 if key == "roc" else 3)  # the ROC chart's chance diagonal


def test_confusion_matrix_is_a_labelled_heatmap(run_page: Any, media_run: Any) -> None:
    plot = wait_drawn(run_page.page, "cm")
    cut = IMG[:15] + "…"  # a long class name is cut on the axes
    assert plot.locator(".xtick text").all_text_contents() == ["cat", "dog", cut]
    assert plot.locator(".ytick text").all_text_contents() == ["cat", "dog", cut]
    assert plot.locator(".g-xtitle").text_content() == "Predicted"
    assert plot.locator(".g-ytitle").text_content() == "Actual"
    # one label per cell: the counts, which add up to the 60 samples
    counts = [int(t) for t in plot.locator(".heatmaplayer text").all_text_contents()]
    assert len(counts) == 9 and sum(counts) == 60


def test_html_stays_sandboxed(run_page: Any) -> None:
    frame = run_page.page.locator(f"{panel('page')} iframe.rich-html")
    frame.wait_for()
    assert frame.get_attribute("sandbox") == ""  # no scripts, an origin of its own
    shown = run_page.page.frame_locator(f"{panel('page')} iframe.rich-html").locator("p")
    assert shown.text_content() == "hello"


def test_compare_shows_each_runs_media_side_by_side_at_one_step(
    online: Any, signed_in: Any, start_run: Any, project: str
) -> None:
    ids = []
    for name, offset in (("first", 0), ("second", 100)):
        with start_run(name=name) as run:
            for step in range(2):
                rows = [[offset + step * 10 + i, f"{name} {step}"] for i in range(3)]
                table = nbrun.Table(columns=["n", "who"], data=rows)
                bars = nbrun.Table(columns=["label", "value"], data=[["a", step + 1]])
                run.log({"rows": table, "bars": nbrun.plot.bar(bars, "label", "value")})
        ids.append(run.id)
    page = signed_in.open(f"{online.url}/{project}/compare?runs={ids[0]},{ids[1]}")
    rows = page.locator(".rich-compare[data-key='rows']")
    for run_id, name in zip(ids, ("first", "second"), strict=True):
        cell = rows.locator(f".rich[data-run='{run_id}'] tbody tr td:nth-child(3)").first
        cell.wait_for()
        assert cell.inner_text() == f"{name} 1"  # the last step first
        bars = page.locator(f".rich-compare[data-key='bars'] .rich[data-run='{run_id}']")
        bars.locator(".plot[data-drawn='1'] .barlayer .trace").wait_for()
    assert rows.locator("h3 .step-label").inner_text() == "step 1"
    rows.locator("h3 input[type='range']").fill("0")  # one slider moves every run
    for run_id, name in zip(ids, ("first", "second"), strict=True):
        cell = rows.locator(f".rich[data-run='{run_id}'] tbody tr td:nth-child(3)").first
        page.wait_for_function(
            "([el, text]) => el.textContent === text", arg=[cell.element_handle(), f"{name} 0"]
        )
    assert signed_in.dialogs == [] and signed_in.errors == [] and signed_in.csp_violations == []


PAINTED_PIXELS = """(canvases) => canvases.map((canvas) => {
  const gl = canvas.getContext("webgl") || canvas.getContext("experimental-webgl");
  if (!gl) return 0;
  const pixels = new Uint8Array(4 * canvas.width * canvas.height);
  gl.readPixels(0, 0, canvas.width, canvas.height, gl.RGBA, gl.UNSIGNED_BYTE, pixels);
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) painted += pixels[i] ? 1 : 0;
  return painted;
}).reduce((a, b) => a + b, 0)"""


def test_a_webgl_figure_draws_under_the_pages_csp(
    online: Any, signed_in: Any, start_run: Any, project: str
) -> None:
    """plotly express draws a scatter of more than 1,000 points with "scattergl": the figure
    bundle has it, in a build that needs no 'unsafe-eval'."""
    import plotly.express as px

    x = np.arange(1500)
    figure = px.scatter(x=x, y=np.sin(x / 50))
    assert figure.data[0].type == "scattergl"
    with start_run(name="webgl") as run:
        run.log({"gl": figure})
    page = signed_in.open(f"{online.url}/{project}/runs/{run.id}")
    plot = page.locator(f"{panel('gl')} .plot[data-drawn='1']")
    plot.wait_for()
    assert plot.locator(".xtick text").count() > 0  # axes drawn in SVG
    canvases = plot.locator("canvas").element_handles()
    assert page.evaluate(PAINTED_PIXELS, canvases) > 1000  # the points, drawn by WebGL
    assert signed_in.errors == [] and signed_in.csp_violations == []


# The mask canvas's alpha at a point of each half: left (class 0, the background), right
# (class 2); null until it is painted.
MASK_ALPHAS = """(canvas) => {
  if (!canvas.width) return null;
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  const at = (x, y) => data[(y * canvas.width + x) * 4 + 3];
  return [at(10, 20), at(70, 20)];
}"""


def test_image_boxes_and_masks_are_drawn_with_toggles(run_page: Any) -> None:
    page = run_page.page
    figure = page.locator(f"{panel('detections')} .rich-overlays")
    figure.scroll_into_view_if_needed()
    boxes = figure.locator(".rich-overlay-box")
    assert boxes.count() == 2
    # Labels: the class name (a payload, as text) and the box's own caption.
    assert boxes.locator(".rich-overlay-label").all_inner_texts() == [IMG, SCRIPT]
    image = figure.locator("img").bounding_box()
    fraction = boxes.nth(0).bounding_box()
    assert image is not None and fraction is not None
    assert abs(fraction["x"] - image["x"] - 0.1 * image["width"]) <= 1.5
    assert abs(fraction["width"] - 0.3 * image["width"]) <= 1.5
    canvas = figure.locator("canvas.rich-overlay-mask")
    page.wait_for_function(f"c => ({MASK_ALPHAS})(c) !== null", arg=canvas.element_handle())
    assert canvas.evaluate(MASK_ALPHAS) == [0, 115]  # class 0 clear, class 2 at 45 %

    figure.locator("label", has_text=IMG).locator("input").uncheck()
    assert boxes.nth(0).is_hidden() and boxes.nth(1).is_visible()
    figure.locator("label", has_text="road").locator("input").uncheck()
    page.wait_for_function(f"c => ({MASK_ALPHAS})(c)[1] === 0", arg=canvas.element_handle())
    figure.locator("label", has_text="truth").locator("input").uncheck()
    assert canvas.is_hidden()
    figure.locator("label", has_text="predictions").locator("input").uncheck()
    assert boxes.nth(1).is_hidden()


def test_audio_and_video_play_in_the_browsers_own_players(run_page: Any) -> None:
    page = run_page.page
    player = page.locator(f"{panel('sound')} audio[controls]")
    player.scroll_into_view_if_needed()
    assert page.locator(f"{panel('sound')} .rich-audio figcaption").inner_text() == SCRIPT
    # The player loads the WAV and knows its length (8000 samples at 8 kHz).
    player.evaluate("a => { a.preload = 'auto'; a.load(); }")
    page.wait_for_function("a => a.readyState >= 1", arg=player.element_handle())
    assert abs(player.evaluate("a => a.duration") - 1.0) < 0.01

    gif = page.locator(f"{panel('clip')} img")
    gif.scroll_into_view_if_needed()
    page.wait_for_function("i => i.complete && i.naturalWidth === 16", arg=gif.element_handle())
    assert gif.get_attribute("alt") == IMG

    webm = page.locator(f"{panel('clip_webm')} video[controls]")
    webm.scroll_into_view_if_needed()
    page.wait_for_function("v => v.readyState >= 1", arg=webm.element_handle())
    assert webm.evaluate("v => [v.videoWidth, v.videoHeight]") == [16, 16]
