"""Images logged with ``run.log`` are encoded on the run's encoder thread, never the caller's;
the history keeps the order of the calls, memory stays bounded, and a value that fails to
encode costs only itself."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import nbrun
from nbrun.data_types import audio as audio_module
from nbrun.data_types import image as image_module
from nbrun.data_types import image_overlays, table_file
from nbrun.data_types import video as video_module
from nbrun.data_types.png import decode_png
from nbrun.sdk import media_pipeline


def history_of(run: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = nbrun.Api().run(run.path).history(pandas=False)
    return rows


def threads_calling(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[str]:
    """The names of the threads that call ``module.name`` from now on."""
    threads: list[str] = []
    real = getattr(module, name)

    def recorded(*args: Any) -> Any:
        threads.append(threading.current_thread().name)
        return real(*args)

    monkeypatch.setattr(module, name, recorded)
    return threads


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


def test_finish_says_it_waits_for_media_still_being_encoded(
    slow_png: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with nbrun.init(project="p", mode="offline") as run:
        for step in range(5):
            run.log({"img": nbrun.Image(np.full((8, 8), step, dtype=np.uint8))})
    said = capsys.readouterr().err
    assert "finishing: encoding the media of" in said
    assert len(history_of(run)) == 5


def test_a_table_is_serialised_off_the_caller_thread_as_it_was_when_logged(
    monkeypatch: pytest.MonkeyPatch, slow_png: list[str]
) -> None:
    threads = threads_calling(monkeypatch, table_file, "serialise")
    with nbrun.init(project="p", mode="offline") as run:
        table = nbrun.Table(columns=["x", "image"], log_mode="MUTABLE")
        table.add_data(1, nbrun.Image(np.zeros((4, 4), dtype=np.uint8)))
        run.log({"t": table})
        table.add_data(2, None)  # after the call: the first row logged has one row
        run.log({"t": table})
    assert [row["t"]["nrows"] for row in history_of(run)] == [1, 2]
    assert threads == ["nbrun-media-encoder"] * 2
    assert slow_png == ["nbrun-media-encoder"]  # the image cell too


def test_audio_from_samples_is_written_as_wav_off_the_caller_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    threads = threads_calling(monkeypatch, audio_module, "wav_bytes")
    samples = np.zeros(800, dtype=np.float32)
    with nbrun.init(project="p", mode="offline") as run:
        run.log({"clip": nbrun.Audio(samples, sample_rate=8000)})
    [row] = history_of(run)
    assert row["clip"]["duration"] == 0.1 and row["clip"]["sample_rate"] == 8000
    assert threads == ["nbrun-media-encoder"]


def test_masks_are_encoded_off_the_caller_thread_as_they_were_when_made(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    threads = threads_calling(monkeypatch, image_overlays, "encode_png")
    photo = tmp_path / "photo.png"
    photo.write_bytes(nbrun.Image(np.zeros((4, 4), dtype=np.uint8))._nbrun_files()[0].data)
    classes = np.eye(4, dtype=np.uint8)
    image = nbrun.Image(str(photo), masks={"truth": {"mask_data": classes}})
    classes[:] = 7  # after the image is made: not what it logs
    with nbrun.init(project="p", mode="offline") as run:
        run.log({"segmented": image})
    [row] = history_of(run)
    mask = Path(run.dir) / row["segmented"]["masks"]["truth"]["path"]
    assert decode_png(mask.read_bytes())[..., 0].tolist() == np.eye(4).tolist()
    assert threads == ["nbrun-media-encoder"]


def test_a_point_cloud_is_written_by_the_encoder_as_it_was_when_made() -> None:
    points = np.zeros((5, 3))
    cloud = nbrun.Object3D(points)
    points[:] = 9.0  # after the cloud is made: not what it logs
    assert cloud._nbrun_deferred() == "object3D-file"  # run.log() leaves it to the encoders
    with nbrun.init(project="p", mode="offline") as run:
        run.log({"cloud": cloud})
    [row] = history_of(run)
    stored = json.loads((Path(run.dir) / row["cloud"]["path"]).read_bytes())
    assert stored == {"points": [[0.0, 0.0, 0.0]] * 5} and row["cloud"]["points"] == 5
