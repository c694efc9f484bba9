"""Images logged with ``run.log`` are encoded on the run's encoder thread, never the caller's;
the history keeps the order of the calls, memory stays bounded, and a value that fails to
encode costs only itself."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import nbrun
from nbrun.data_types import image as image_module
from nbrun.data_types import video as video_module
from nbrun.data_types.png import decode_png
from nbrun.sdk import media_pipeline


def history_of(run: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = nbrun.Api().run(run.path).history(pandas=False)
    return rows


@pytest.fixture
def slow_png(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """PNG encoding that takes 20 ms and records the thread it ran on."""
    threads: list[str] = []
    real = image_module.encode_png

    def encode(pixels: Any) -> bytes:
        threads.append(threading.current_thread().name)
        time.sleep(0.02)
        return real(pixels)

    monkeypatch.setattr(image_module, "encode_png", encode)
    return threads


def test_log_returns_before_the_image_is_encoded_and_the_caller_never_encodes(
    slow_png: list[str],
) -> None:
    with nbrun.init(project="p", mode="offline") as run:
        started = time.perf_counter()
        for step in range(5):
            run.log({"img": nbrun.Image(np.full((8, 8, 3), step, dtype=np.uint8))})
        returned = time.perf_counter() - started
    assert returned < 0.05  # five encodings take 100 ms
    assert slow_png == ["nbrun-media-encoder"] * 5
    assert [row["img"]["_type"] for row in history_of(run)] == ["image-file"] * 5


def test_rows_keep_the_order_of_the_calls_with_scalars_between(slow_png: list[str]) -> None:
    with nbrun.init(project="p", mode="offline") as run:
        for step in range(6):
            if step % 2:
                run.log({"loss": float(step)})
            else:
                run.log({"img": nbrun.Image(np.zeros((4, 4), dtype=np.uint8)), "loss": step})
        run.log({"acc": 1.0}, commit=False)
        run.log({"loss": 9.0})
    rows = history_of(run)
    assert [row["_step"] for row in rows] == list(range(7))
    assert [row["loss"] for row in rows] == [0, 1.0, 2, 3.0, 4, 5.0, 9.0]
    assert [("img" in row) for row in rows] == [True, False] * 3 + [False]
    assert rows[-1]["acc"] == 1.0


def test_step_and_summary_include_rows_still_being_encoded(slow_png: list[str]) -> None:
    with nbrun.init(project="p", mode="offline") as run:
        run.log({"img": nbrun.Image(np.zeros((4, 4), dtype=np.uint8)), "loss": 0.5})
        assert run.step == 1
        assert run.summary["loss"] == 0.5
        run.log({"img": nbrun.Image(np.ones((4, 4), dtype=np.uint8)), "loss": 0.25})
        run.summary["loss"] = 0.1  # set after the row: the row must not overwrite it
    assert nbrun.Api().run(run.path).summary["loss"] == 0.1


def test_pixels_changed_after_log_do_not_change_what_was_logged(slow_png: list[str]) -> None:
    pixels = np.full((4, 4, 3), 7, dtype=np.uint8)
    with nbrun.init(project="p", mode="offline") as run:
        run.log({"img": nbrun.Image(pixels)})
        pixels[:] = 200  # the training loop reuses its buffer
        files = Path(run.dir)
    (row,) = history_of(run)
    assert decode_png((files / row["img"]["path"]).read_bytes()).max() == 7


def test_the_queue_is_bounded_by_the_bytes_it_holds(
    slow_png: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    image_bytes = 64 * 64 * 3
    monkeypatch.setattr(media_pipeline, "MAX_PENDING_BYTES", 3 * image_bytes)
    with nbrun.init(project="p", mode="offline") as run:
        pipeline = run._recording.pipeline
        most = 0
        for _ in range(10):
            run.log({"img": nbrun.Image(np.zeros((64, 64, 3), dtype=np.uint8))})
            most = max(most, pipeline._queued_bytes)
    assert most <= 3 * image_bytes
    assert len(history_of(run)) == 10


def test_a_value_that_fails_to_encode_is_null_and_its_row_is_kept(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(pixels: Any) -> bytes:
        raise MemoryError("no room")

    monkeypatch.setattr(image_module, "encode_png", broken)
    with nbrun.init(project="p", mode="offline") as run:
        run.log({"img": nbrun.Image(np.zeros((4, 4), dtype=np.uint8)), "loss": 1.5})
        run.log({"loss": 2.5})
    assert [(row.get("img", "-"), row["loss"]) for row in history_of(run)] == [
        (None, 1.5),
        ("-", 2.5),
    ]
    err = capsys.readouterr().err
    assert "could not be encoded (MemoryError: no room)" in err
    assert "the value of 'img' is recorded as null" in err


def test_a_bad_step_is_refused_in_the_caller() -> None:
    with nbrun.init(project="p", mode="offline") as run:
        with pytest.raises(TypeError, match="step must be an integer"):
            run.log({"img": nbrun.Image(np.zeros((4, 4), dtype=np.uint8))}, step="one")
        run.log({"loss": 1.0})
    assert [row["loss"] for row in history_of(run)] == [1.0]


def test_a_gallery_is_encoded_off_the_caller_thread_too(slow_png: list[str]) -> None:
    with nbrun.init(project="p", mode="offline") as run:
        images = [nbrun.Image(np.full((4, 4), i, dtype=np.uint8)) for i in range(3)]
        run.log({"gallery": images})
    (row,) = history_of(run)
    assert [value["_type"] for value in row["gallery"]] == ["image-file"] * 3
    assert set(slow_png) == {"nbrun-media-encoder"}


def test_a_video_is_encoded_off_the_caller_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[str] = []
    real = video_module.encode

    def encode(frames: Any, video_format: str, fps: float) -> bytes:
        threads.append(threading.current_thread().name)
        return real(frames, video_format, fps)

    monkeypatch.setattr(video_module, "encode", encode)
    with nbrun.init(project="p", mode="offline") as run:
        run.log({"clip": nbrun.Video(np.zeros((4, 3, 8, 8), dtype=np.uint8), fps=2)})
    (row,) = history_of(run)
    assert row["clip"]["_type"] == "video-file" and row["clip"]["frames"] == 4
    assert threads == ["nbrun-media-encoder"]


def test_images_encode_side_by_side_and_are_recorded_in_call_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(media_pipeline, "ENCODER_THREADS", 2)
    finished: list[int] = []
    real = image_module.encode_png

    def encode(pixels: Any) -> bytes:
        if int(pixels.max()) == 0:
            time.sleep(0.3)  # the first image is slow to encode
        finished.append(int(pixels.max()))
        return real(pixels)

    monkeypatch.setattr(image_module, "encode_png", encode)
    with nbrun.init(project="p", mode="offline") as run:
        for value in range(3):
            run.log({"img": nbrun.Image(np.full((4, 4), value, dtype=np.uint8)), "v": value})
    assert finished[-1] == 0  # the others were encoded while it was
    assert [row["v"] for row in history_of(run)] == [0, 1, 2]
