"""Media values drawn small for the live widget and the snapshot: thumbnails made in the kernel,
histograms as SVG, tables as their first rows, small audio and GIF players, placeholders for the
rest; all of it escaped and the snapshot kept small."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import unquote

import numpy as np
import orjson
import pytest

import nbrun
from nbrun.data_types.png import decode_png, encode_png
from nbrun.jupyter import live_media, media_av, thumbnails
from nbrun.jupyter.live_history import MEDIA_STEPS, LiveHistory
from nbrun.jupyter.live_media import MediaDrawer, latest_cards
from nbrun.jupyter.media_html import (
    HISTOGRAM_BARS,
    THUMB_SIDE,
    MediaRenderer,
    first_rows,
)
from nbrun.jupyter.snapshot import SNAPSHOT_BYTES, MediaCard, RunHeader, snapshot_html
from nbrun.jupyter.thumbnails import EMBED_BYTES
from nbrun.record.summary import MetricDefinition
from tests.html_elements import Elements

XSS = "<script>alert(1)</script>"
ATTR_XSS = "\"'><img src=x onerror=alert(2)>"
HEADER = RunHeader(name="r", state="running", step=3, elapsed=1.0, url=None, sync="offline")


class Document(Elements):
    """The elements of a card, with its inline PNGs decoded."""

    def pngs(self) -> list[np.ndarray]:
        prefix = "data:image/png;base64,"
        return [
            decode_png(base64.b64decode(s[len(prefix) :]))
            for s in self.sources
            if s.startswith(prefix)
        ]


def assert_inert(markup: str) -> None:
    """No element or attribute a payload could have brought in."""
    document = Document(markup)
    assert "script" not in document.tags
    assert not [a for a in document.attributes if a.startswith("on")]
    assert all(s.startswith("data:image/") for s in document.sources)


def store(files: Path, relative: str, data: bytes) -> str:
    path = files / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return relative


def image(files: Path, pixels: np.ndarray, name: str = "a", **extra: Any) -> dict[str, Any]:
    data = encode_png(pixels)
    relative = store(files, f"media/images/{name}.png", data)
    height, width = pixels.shape[:2]
    return {
        "_type": "image-file",
        "path": relative,
        "format": "png",
        "size": len(data),
        "width": width,
        "height": height,
        **extra,
    }


def noise(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=shape, dtype=np.uint8)


def test_a_large_image_becomes_a_thumbnail_made_in_the_kernel(tmp_path: Path) -> None:
    value = image(tmp_path, noise(600, 400, 3), caption=XSS)
    frame = MediaRenderer(tmp_path).frame(value, 7)
    assert frame is not None
    (thumbnail,) = Document(frame).pngs()
    assert thumbnail.shape == (THUMB_SIDE, 85, 3)
    assert "step 7" in frame
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in frame
    assert_inert(frame)
    assert len(frame) < 60_000  # never the 720 kB original


def test_a_small_image_is_embedded_as_is_and_shown_larger_with_sharp_pixels(
    tmp_path: Path,
) -> None:
    pixels = noise(28, 28)
    value = image(tmp_path, pixels)
    frame = MediaRenderer(tmp_path).frame(value, 0)
    assert frame is not None
    (shown,) = Document(frame).pngs()
    assert np.array_equal(shown[:, :, 0], pixels)
    assert "width='112' height='112'" in frame and "image-rendering:pixelated" in frame


def test_images_of_other_formats_show_when_small_else_a_placeholder_with_the_size(
    tmp_path: Path,
) -> None:
    small = store(tmp_path, "media/images/s.jpg", b"\xff\xd8\xff" + bytes(1000))
    large = store(tmp_path, "media/images/l.jpg", b"\xff\xd8\xff" + bytes(EMBED_BYTES + 1))
    renderer = MediaRenderer(tmp_path)
    base = {"_type": "image-file", "format": "jpeg", "width": 900, "height": 600}
    shown = renderer.frame({**base, "path": small, "size": 1003}, 1)
    assert shown is not None and 'src="data:image/jpeg;base64,' in shown
    assert "max-width:128px" in shown
    placeholder = renderer.frame({**base, "path": large, "size": EMBED_BYTES + 4}, 1)
    assert placeholder is not None and "<img" not in placeholder
    assert "jpeg image 900×600, 48.0 kB — open the run page" in placeholder


def test_a_png_that_cannot_be_decoded_is_a_placeholder_unless_small(tmp_path: Path) -> None:
    renderer = MediaRenderer(tmp_path)
    broken = store(tmp_path, "media/images/b.png", b"\x89PNG\r\n\x1a\n" + bytes(EMBED_BYTES))
    frame = renderer.frame({"_type": "image-file", "path": broken, "format": "png"}, 0)
    assert frame is not None and "<img" not in frame and "open the run page" in frame


def test_an_image_waits_for_its_file_then_says_it_is_missing(tmp_path: Path) -> None:
    value = {"_type": "image-file", "path": "media/images/later.png", "format": "png"}
    renderer = MediaRenderer(tmp_path)
    assert renderer.frame(value, 1) is None  # not written yet: drawn later
    missing = renderer.frame(value, 1, give_up=True)
    assert missing is not None and "not written" in missing
    store(tmp_path, "media/images/later.png", encode_png(noise(4, 4)))
    assert renderer.frame(value, 1) is not None


@pytest.mark.parametrize("path", ["../../etc/passwd", "/etc/passwd", "a/../../x.png", 3, None])
def test_paths_outside_the_run_files_are_never_read(tmp_path: Path, path: Any) -> None:
    files = tmp_path / "files"
    files.mkdir()
    (tmp_path / "x.png").write_bytes(encode_png(noise(4, 4)))
    frame = MediaRenderer(files).frame({"_type": "image-file", "path": path, "format": "png"}, 0)
    assert frame is not None and "<img" not in frame and "no file in this run" in frame


def test_thumbnails_are_made_once_per_file(tmp_path: Path, monkeypatch: Any) -> None:
    value = image(tmp_path, noise(300, 300, 3))
    calls = []

    def counting(data: bytes, max_pixels: int) -> Any:
        calls.append(len(data))
        return decode_png(data, max_pixels)

    monkeypatch.setattr(thumbnails, "decode_png", counting)
    renderer = MediaRenderer(tmp_path)
    assert renderer.frame(value, 1) is not None
    assert renderer.frame(value, 2) is not None
    assert len(calls) == 1


def test_a_gallery_shows_four_small_thumbnails_and_counts_the_rest(tmp_path: Path) -> None:
    values = [image(tmp_path, noise(200, 200, seed=i), name=f"g{i}") for i in range(6)]
    frame = MediaRenderer(tmp_path).frame(values, 3)
    assert frame is not None
    shown = Document(frame).pngs()
    assert len(shown) == 4 and all(p.shape[:2] == (64, 64) for p in shown)
    assert "+ 2 more" in frame


def test_a_histogram_is_a_bar_chart_of_numbers_only() -> None:
    counts, edges = np.histogram(np.random.default_rng(0).normal(size=1000), bins=30)
    value = {"_type": "histogram", "values": counts.tolist(), "bins": edges.tolist()}
    frame = MediaRenderer(None).frame(value, 5)
    assert frame is not None
    (source,) = Document(frame).sources
    svg = unquote(source.removeprefix("data:image/svg+xml,"))
    assert svg.count("<rect") == 1 + int((counts > 0).sum())  # the background, then the bars
    assert re.fullmatch(r"[<>\w\s='\-.,:/()\"%]*", svg), "only numbers and markup"
    assert f">{counts.max()}<" in svg


def test_a_histogram_with_many_bins_is_drawn_with_fewer_bars() -> None:
    value = {"_type": "histogram", "values": [1.0] * 512, "bins": list(map(float, range(513)))}
    frame = MediaRenderer(None).frame(value, 0)
    assert frame is not None
    svg = unquote(Document(frame).sources[0])
    assert svg.count("<rect") == 1 + HISTOGRAM_BARS


@pytest.mark.parametrize(
    "value",
    [
        {"_type": "histogram", "values": [1, 2], "bins": [0, 1]},
        {"_type": "histogram", "values": ["x"], "bins": [0, 1]},
        {"_type": "histogram"},
    ],
)
def test_a_malformed_histogram_is_a_placeholder(value: dict[str, Any]) -> None:
    frame = MediaRenderer(None).frame(value, 0)
    assert frame is not None and "histogram — open the run page" in frame


def table(files: Path, columns: list[str], data: list[list[Any]]) -> dict[str, Any]:
    body = orjson.dumps({"columns": columns, "data": data})
    relative = store(files, "media/tables/t.table.json", body)
    return {
        "_type": "table-file",
        "path": relative,
        "size": len(body),
        "sha256": "0" * 64,
        "ncols": len(columns),
        "nrows": len(data),
        "columns": columns,
    }


def test_a_table_shows_its_row_count_columns_and_first_rows_escaped(tmp_path: Path) -> None:
    rows = [[i, f"row {i}", XSS if i == 1 else ATTR_XSS] for i in range(1234)]
    value = table(tmp_path, ["id", "text", XSS], rows)
    frame = MediaRenderer(tmp_path).frame(value, 2)
    assert frame is not None
    assert "1,234 rows × 3 columns" in frame and "data-rows='1234'" in frame
    document = Document(frame)
    cells = [t for t in document.text if t.strip()]
    assert [c for c in cells if c.startswith("row ")] == [f"row {i}" for i in range(5)]
    assert XSS in cells and ATTR_XSS in cells  # text, not markup
    assert_inert(frame)


def test_table_cells_holding_media_are_labelled_and_wide_tables_clipped(tmp_path: Path) -> None:
    columns = [f"c{i}" for i in range(12)]
    row: list[Any] = [{"_type": "image-file", "path": "x.png"}, None, 1.5, True, [1, 2], "x" * 90]
    value = table(tmp_path, columns, [row + [0] * 6])
    frame = MediaRenderer(tmp_path).frame(value, 0)
    assert frame is not None
    text = Document(frame).text
    assert "[image]" in text and "1.5" in text and "True" in text and "+4" in text
    assert "x" * 39 + "…" in text


def test_the_first_rows_of_a_large_table_file_are_read_from_its_beginning(
    tmp_path: Path,
) -> None:
    rows = [[i, "x" * 100] for i in range(20_000)]  # ~2.3 MB
    path = tmp_path / "big.json"
    path.write_bytes(orjson.dumps({"columns": ["data", "text"], "data": rows}))
    assert first_rows(path, 5) == rows[:5]
    spaced = tmp_path / "spaced.json"
    spaced.write_text(
        '{ "meta" : {"data": [9]} ,\n "data" : [ [1, "a"] ,\n[2, "b"]]}' + " " * 1_100_000
    )
    assert first_rows(spaced, 5) == [[1, "a"], [2, "b"]]


def test_a_table_whose_file_is_not_there_waits_then_shows_its_columns(tmp_path: Path) -> None:
    value = {
        "_type": "table-file",
        "path": "media/tables/later.json",
        "nrows": 3,
        "ncols": 1,
        "columns": ["a"],
    }
    renderer = MediaRenderer(tmp_path)
    assert renderer.frame(value, 0) is None
    frame = renderer.frame(value, 0, give_up=True)
    assert frame is not None and "3 rows × 1 columns" in frame


@pytest.mark.parametrize(
    ("value", "label"),
    [
        ({"_type": "plotly-file", "path": "p.json"}, "plotly figure — open the run page"),
        ({"_type": "html-file", "path": "h.html"}, "HTML — open the run page"),
        (
            {"_type": "plot", "preset": "confusion_matrix", "title": XSS, "fields": {}},
            "confusion_matrix chart “&lt;script&gt;alert(1)&lt;/script&gt;” — open the run page",
        ),
        ({"_type": XSS}, "&lt;script&gt;alert(1)&lt;/script&gt; — open the run page"),
    ],
)
def test_other_kinds_are_labelled_placeholders(value: dict[str, Any], label: str) -> None:
    frame = MediaRenderer(None).frame(value, 0)
    assert frame is not None and label in frame
    assert_inert(frame)


def test_media_rows_are_kept_per_key_and_never_charted(tmp_path: Path) -> None:
    history = LiveHistory(lambda keys: {})
    for step in range(40):
        payload = image(tmp_path, noise(4, 4, seed=step), name=str(step))
        history.offer({"_step": step, "loss": 1.0, "samples/img": payload, "a": {"h": payload}})
    history.drain()
    assert [c.key for c in history.charts()] == ["loss"]
    media = dict(history.media())
    assert list(media) == ["samples/img", "a.h"]
    steps = [entry.step for entry in media["samples/img"].entries]
    assert steps == list(range(40 - MEDIA_STEPS, 40))


def test_hidden_media_keys_are_not_shown() -> None:
    history = LiveHistory(
        lambda keys: {k: MetricDefinition(name=k, hidden=True) for k in keys if k == "secret"}
    )
    value = {"_type": "histogram", "values": [1.0], "bins": [0.0, 1.0]}
    history.offer({"_step": 0, "secret": value, "shown": value, "_private": value})
    history.drain()
    assert [key for key, _ in history.media()] == ["shown"]


def test_the_drawer_draws_the_newest_values_and_waits_for_missing_files(tmp_path: Path) -> None:
    history = LiveHistory(lambda keys: {})
    for step in range(10):
        history.offer({"_step": step, "img": image(tmp_path, noise(4, 4), name=str(step))})
    history.offer(
        {"_step": 10, "img": {"_type": "image-file", "path": "late.png", "format": "png"}}
    )
    history.drain()
    drawer = MediaDrawer(tmp_path)
    (drawn,) = drawer.draw(history)
    # the newest four of a burst, but not the one still being written
    assert [f.step for f in drawn.frames] == [7, 8, 9]
    assert drawn.kind == "image-file"
    store(tmp_path, "late.png", encode_png(noise(4, 4)))
    (drawn,) = drawer.draw(history)
    assert [f.step for f in drawn.frames] == [7, 8, 9, 10]
    assert "step 10" in drawn.card().html


def test_the_drawer_gives_up_on_a_missing_file_at_finish(tmp_path: Path) -> None:
    history = LiveHistory(lambda keys: {})
    history.offer({"_step": 0, "img": {"_type": "image-file", "path": "never.png"}})
    history.drain()
    drawer = MediaDrawer(tmp_path)
    assert drawer.draw(history) == []
    (drawn,) = drawer.draw(history, final=True)
    assert "not written" in drawn.frames[-1].html


def test_the_drawer_stops_drawing_after_its_time_budget(tmp_path: Path, monkeypatch: Any) -> None:
    history = LiveHistory(lambda keys: {})
    payload = image(tmp_path, noise(4, 4))
    history.offer({"_step": 0, **{f"k{i}": payload for i in range(5)}})
    history.drain()
    clock = iter(range(1000))  # each reading of the clock one second later
    monkeypatch.setattr(live_media, "time", SimpleNamespace(monotonic=lambda: float(next(clock))))
    drawer = MediaDrawer(tmp_path)
    assert len(drawer.draw(history)) == 1  # one drawn, the rest wait for the next publish
    monkeypatch.undo()
    assert len(drawer.draw(history)) == 5


def big_card(i: int) -> MediaCard:
    return MediaCard(f"media/k{i}", f"<div class='nbrun-media'>{'x' * 60_000}</div>")


def test_the_snapshot_leaves_media_out_past_its_size_and_says_how_many() -> None:
    cards = [big_card(i) for i in range(8)]
    small = MediaCard("media/small", "<div class='nbrun-media'>tiny</div>")
    document = snapshot_html(HEADER, [], {}, {}, [*cards, small])
    assert len(document.encode()) <= SNAPSHOT_BYTES
    assert document.count("nbrun-media'") == 5  # four large cards, then the small one
    assert "4 media values left out" in document


def test_latest_cards_draw_the_last_value_of_each_key(tmp_path: Path) -> None:
    history = LiveHistory(lambda keys: {})
    for step in range(3):
        history.offer(
            {"_step": step, "img": image(tmp_path, noise(8, 8, seed=step), name=str(step))}
        )
    history.drain()
    (card,) = latest_cards(history, tmp_path)
    assert card.key == "img" and "step 2" in card.html
    (pixels,) = Document(card.html).pngs()
    assert np.array_equal(pixels[:, :, 0], noise(8, 8, seed=2))


# -- audio and video (nbrun.jupyter.media_av) ------------------------------------------------
def logged(files: Path, media: Any) -> dict[str, Any]:
    """The payload of an nbrun.Audio or nbrun.Video, its file written under ``files``."""
    [media_file] = media._nbrun_files()
    store(files, media_file.path, media_file.data)
    payload: dict[str, Any] = media._nbrun_value()
    return payload


def assert_inert_player(markup: str, source_prefix: str) -> Document:
    document = Document(markup)
    assert "script" not in document.tags and "video" not in document.tags
    assert not document.handlers and "autoplay" not in document.attributes
    assert document.sources and all(s.startswith(source_prefix) for s in document.sources)
    return document


def test_a_small_audio_file_is_a_player_of_its_bytes_with_the_caption_escaped(
    tmp_path: Path,
) -> None:
    audio = nbrun.Audio(np.zeros(800), sample_rate=8000, caption=XSS)
    frame = MediaRenderer(tmp_path).frame(logged(tmp_path, audio), 3)

    assert frame is not None
    document = assert_inert_player(frame, "data:audio/wav;base64,")
    assert document.tags.count("audio") == 1 and "controls" in document.attributes
    (source,) = document.sources
    assert base64.b64decode(source.split(",", 1)[1]) == audio._nbrun_files()[0].data
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in frame and XSS not in frame


def test_a_large_audio_file_is_a_placeholder_with_its_length_and_size(tmp_path: Path) -> None:
    seconds = media_av.AUDIO_EMBED_BYTES // 16_000 + 1  # 8 kHz, 2 bytes a sample
    audio = nbrun.Audio(np.zeros(8000 * seconds), sample_rate=8000)
    frame = MediaRenderer(tmp_path).frame(logged(tmp_path, audio), 0)

    assert frame is not None and "audio" not in Document(frame).tags
    size = media_av.format_bytes(len(audio._nbrun_files()[0].data))
    assert f"audio, {seconds:.1f} s, {size} — open the run page" in frame


def test_a_small_gif_video_is_an_image_with_its_caption_escaped(tmp_path: Path) -> None:
    video = nbrun.Video(noise(3, 3, 16, 8).astype(np.uint8), caption=ATTR_XSS)
    frame = MediaRenderer(tmp_path).frame(logged(tmp_path, video), 0)

    assert frame is not None
    document = assert_inert_player(frame, "data:image/gif;base64,")
    (source,) = document.sources
    assert base64.b64decode(source.split(",", 1)[1]) == video._nbrun_files()[0].data
    assert "width='64' height='128'" in frame  # a small GIF shown larger
    assert "&quot;&#x27;&gt;&lt;img src=x onerror=alert(2)&gt;" in frame
    assert document.tags.count("img") == 1


@pytest.mark.parametrize("video_format", ["mp4", "webm"])
def test_an_mp4_or_webm_video_is_an_inert_placeholder(tmp_path: Path, video_format: str) -> None:
    video = nbrun.Video(noise(8, 3, 16, 16).astype(np.uint8), format=video_format, caption=XSS)
    frame = MediaRenderer(tmp_path).frame(logged(tmp_path, video), 0)

    assert frame is not None
    document = Document(frame)
    assert not {"video", "img", "script", "audio"} & set(document.tags) and not document.handlers
    size = media_av.format_bytes(len(video._nbrun_files()[0].data))
    assert f"{video_format} video, 8 frames, {size} — open the run page" in frame
    assert "&lt;script&gt;" in frame and XSS not in frame


def test_a_large_gif_is_a_placeholder(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(media_av, "GIF_EMBED_BYTES", 10)
    video = nbrun.Video(noise(2, 3, 4, 4).astype(np.uint8))
    frame = MediaRenderer(tmp_path).frame(logged(tmp_path, video), 0)

    assert frame is not None and "img" not in Document(frame).tags
    assert "gif video, 2 frames" in frame


def test_audio_and_video_wait_for_their_files_then_say_they_are_missing(tmp_path: Path) -> None:
    renderer = MediaRenderer(tmp_path)
    for payload in (
        nbrun.Audio(np.zeros(4), sample_rate=4)._nbrun_value(),
        nbrun.Video(noise(2, 3, 4, 4).astype(np.uint8))._nbrun_value(),
    ):
        assert renderer.frame(payload, 0) is None
        frame = renderer.frame(payload, 0, give_up=True)
        assert frame is not None and "its file is not written" in frame
    outside = {"_type": "audio-file", "path": "../secret.wav", "caption": "c"}
    frame = renderer.frame(outside, 0)
    assert frame is not None and "audio: no file in this run" in frame


def test_the_snapshot_leaves_out_an_audio_card_past_its_size(tmp_path: Path) -> None:
    history = LiveHistory(lambda keys: {})
    big = nbrun.Audio(np.zeros(120_000), sample_rate=8000)  # 240 kB: embedded, ~320 kB base64
    small = nbrun.Audio(np.zeros(80), sample_rate=8000)
    history.offer({"_step": 0, "big": logged(tmp_path, big), "small": logged(tmp_path, small)})
    history.drain()

    document = snapshot_html(HEADER, [], {}, {}, latest_cards(history, tmp_path))

    assert len(document.encode()) <= SNAPSHOT_BYTES
    assert Document(document).tags.count("audio") == 1
    assert "1 media value" in document and "left out" in document


# -- 3D objects ------------------------------------------------------------------------------
def test_a_3d_object_is_an_inert_placeholder_with_its_points_or_format_and_size(
    tmp_path: Path,
) -> None:
    cloud = nbrun.Object3D(np.zeros((1_500, 3)), caption=XSS)
    model = {"_type": "object3D-file", "path": "m.glb", "size": 2_048, "format": "glb"}
    renderer = MediaRenderer(None)  # no file is read: the payload says it all

    cloud_frame = renderer.frame(cloud._nbrun_value(), 0)
    model_frame = renderer.frame({**model, "points": None, "caption": ATTR_XSS}, 1)

    assert cloud_frame is not None and model_frame is not None
    size = media_av.format_bytes(len(cloud._nbrun_files()[0].data))
    assert f"3D point cloud, 1,500 points, {size} — open the run page" in cloud_frame
    assert "3D model (glb), 2.0 kB — open the run page" in model_frame
    for frame in (cloud_frame, model_frame):
        assert_inert(frame)
        assert not Document(frame).sources and "nbrun-placeholder" in frame
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in cloud_frame and XSS not in cloud_frame
    assert "&quot;&#x27;&gt;&lt;img src=x onerror=alert(2)&gt;" in model_frame
