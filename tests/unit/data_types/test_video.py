"""nbrun.Video: NumPy frames encoded as GIF, MP4 or WebM with imageio, video files stored as
they are; and Audio and Video logged together by an offline run."""

from __future__ import annotations

import io
import sys
import wave
from pathlib import Path
from typing import Any

import imageio.v3 as iio
import numpy as np
import pytest

import nbrun
from nbrun.errors import InvalidValueError


def random_frames(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def decoded(video: nbrun.Video) -> np.ndarray:
    """The frames of the file a Video stores, (time, height, width, channels)."""
    [media_file] = video._nbrun_files()
    extension = f".{video.format}"
    plugin = None if video.format == "gif" else "FFMPEG"
    return np.asarray(iio.imread(media_file.data, extension=extension, plugin=plugin, index=None))


def test_frames_are_encoded_as_a_gif_at_4_fps_by_default() -> None:
    video = nbrun.Video(random_frames(6, 3, 20, 30), caption="rollout")

    frames = decoded(video)

    assert frames.shape[:3] == (6, 20, 30)
    value = video._nbrun_value()
    assert value["_type"] == "video-file"
    assert value["path"].startswith("media/videos/") and value["path"].endswith(".gif")
    assert value["size"] == len(video._nbrun_files()[0].data) and len(value["sha256"]) == 64
    assert {k: value[k] for k in ("format", "width", "height", "frames", "fps", "caption")} == {
        "format": "gif",
        "width": 30,
        "height": 20,
        "frames": 6,
        "fps": 4,
        "caption": "rollout",
    }
    [media_file] = video._nbrun_files()
    assert iio.immeta(media_file.data, extension=".gif", index=0)["duration"] == 250


def test_a_gif_keeps_its_pixels_closely() -> None:
    pixels = np.zeros((2, 3, 8, 8), dtype=np.uint8)
    pixels[0, 0] = 255  # a red frame, then a black one
    frames = decoded(nbrun.Video(pixels, fps=10))

    assert frames[0, :, :, 0].min() == 255 and frames[0, :, :, 1:].max() == 0
    assert frames[1].max() == 0


@pytest.mark.parametrize("video_format", ["mp4", "webm"])
def test_frames_are_encoded_with_ffmpeg_as_mp4_or_webm(video_format: str) -> None:
    video = nbrun.Video(random_frames(8, 3, 16, 24), fps=8, format=video_format)

    frames = decoded(video)

    assert frames.shape == (8, 16, 24, 3)
    value = video._nbrun_value()
    assert value["path"].endswith(f".{video_format}")
    assert (value["format"], value["width"], value["height"], value["frames"], value["fps"]) == (
        video_format,
        24,
        16,
        8,
        8,
    )


def test_odd_sizes_are_padded_to_even_for_mp4() -> None:
    video = nbrun.Video(random_frames(2, 3, 7, 9), format="mp4")

    assert decoded(video).shape == (2, 8, 10, 3)
    assert (video.width, video.height) == (10, 8)


def test_a_batch_is_tiled_into_a_grid_as_the_reference_does() -> None:
    # 3 videos: padded to 4, one row of 4 (2 ** ((3).bit_length() - 1) // 2) rows = 1).
    batch = np.zeros((3, 2, 3, 4, 5), dtype=np.uint8)
    batch[1] = 200
    batch[0, 1] = 60  # frames differ (a GIF merges identical ones)
    video = nbrun.Video(batch)

    frames = decoded(video)

    assert (video.width, video.height, video.frames) == (20, 4, 2)
    assert frames.shape[:3] == (2, 4, 20)
    assert frames[0, :, 5:10].min() > 150 and frames[0, :, :5].max() < 50
    assert frames[0, :, 15:].max() < 50  # the padding video is black
    # 4 videos: 2 rows of 2.
    assert nbrun.Video(np.zeros((4, 1, 3, 4, 5), dtype=np.uint8)).height == 8


def test_gray_and_rgba_frames_become_rgb() -> None:
    assert decoded(nbrun.Video(random_frames(2, 1, 4, 4))).shape[:3] == (2, 4, 4)
    assert nbrun.Video(random_frames(2, 4, 4, 4), format="mp4").width == 4


def test_floats_are_converted_to_uint8_with_a_warning(capsys: pytest.CaptureFixture[str]) -> None:
    from nbrun.data_types import video as video_module

    video_module._warned_dtype = False
    frames = decoded(nbrun.Video(np.full((2, 3, 4, 4), 300.0)))

    assert frames.min() == 255  # cut to 0..255, as uint8
    assert "converting float64 data to uint8" in capsys.readouterr().err


@pytest.mark.parametrize("suffix", [".gif", ".mp4", ".webm"])
def test_a_video_file_is_stored_as_is_with_its_size_read(tmp_path: Path, suffix: str) -> None:
    source = tmp_path / f"clip{suffix}"
    encoded = nbrun.Video(random_frames(4, 3, 8, 12), fps=5, format=suffix[1:])
    source.write_bytes(encoded._nbrun_files()[0].data)

    video = nbrun.Video(source, caption="file")

    assert video._nbrun_files()[0].data == source.read_bytes()
    value = video._nbrun_value()
    assert (value["format"], value["width"], value["height"], value["frames"]) == (
        suffix[1:],
        12,
        8,
        4,
    )
    assert value["fps"] == pytest.approx(5)


def test_a_file_object_needs_a_format() -> None:
    data = nbrun.Video(random_frames(2, 3, 4, 4))._nbrun_files()[0].data

    assert nbrun.Video(io.BytesIO(data), format="gif")._nbrun_value()["frames"] == 2
    with pytest.raises(InvalidValueError, match="file object needs format= gif, mp4, webm"):
        nbrun.Video(io.BytesIO(data))


def test_a_file_imageio_cannot_read_is_stored_with_its_numbers_unknown(tmp_path: Path) -> None:
    source = tmp_path / "broken.mp4"
    source.write_bytes(b"not a video")

    value = nbrun.Video(source)._nbrun_value()

    assert (value["width"], value["height"], value["frames"], value["fps"]) == (None,) * 4


@pytest.mark.parametrize(
    ("data", "kwargs", "message"),
    [
        (np.zeros((3, 4, 4)), {}, r"shape \(3, 4, 4\); expected a NumPy array of frames"),
        (np.zeros((1, 2, 3, 4, 4, 1)), {}, r"expected a NumPy array of frames \(time, channels"),
        (np.zeros((2, 5, 4, 4)), {}, "5 channels; expected 1, 3 or 4"),
        (np.zeros((0, 3, 4, 4)), {}, "empty"),
        (np.array([[[["a"]]]]), {}, "dtype <U1; expected uint8 numbers"),
        (np.full((1, 3, 2, 2), np.nan), {}, "NaN"),
        ({"frames": []}, {}, "Video takes a NumPy array of frames"),
        (np.zeros((1, 3, 2, 2)), {"format": "avi"}, "format must be one of gif, mp4, webm"),
        (np.zeros((1, 3, 2, 2)), {"format": "ogg"}, "'ogg' is for files only"),
        (np.zeros((1, 3, 2, 2)), {"fps": 0}, "fps must be a positive number"),
        (np.zeros((1, 3, 2, 2)), {"fps": float("nan")}, "fps must be a positive number"),
        (np.zeros((1, 3, 2, 2)), {"fps": "4"}, "fps must be a positive number"),
        ("missing.mp4", {}, "cannot be read"),
        ("clip.avi", {}, r"unsupported type '\.avi'; Video takes .*\.gif, \.mp4, \.webm"),
    ],
)
def test_bad_video_input_names_the_argument_and_the_accepted_forms(
    data: Any, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidValueError, match=message):
        nbrun.Video(data, **kwargs)


@pytest.mark.parametrize(
    ("module", "video_format"), [("imageio", "gif"), ("imageio", "mp4"), ("imageio_ffmpeg", "mp4")]
)
def test_without_the_media_extra_encoding_names_it(
    monkeypatch: pytest.MonkeyPatch, module: str, video_format: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)
    if module == "imageio":
        monkeypatch.setitem(sys.modules, "imageio.v3", None)

    with pytest.raises(InvalidValueError, match=r'pip install "nbrun\[media\]"') as raised:
        nbrun.Video(random_frames(2, 3, 4, 4), format=video_format)
    assert module.replace("_", "-") in str(raised.value)


def test_without_imageio_a_gif_file_is_still_stored_with_its_size(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    source = tmp_path / "clip.gif"
    source.write_bytes(nbrun.Video(random_frames(3, 3, 5, 7))._nbrun_files()[0].data)
    monkeypatch.setitem(sys.modules, "imageio", None)
    monkeypatch.setitem(sys.modules, "imageio.v3", None)

    value = nbrun.Video(source)._nbrun_value()

    assert (value["width"], value["height"], value["frames"]) == (7, 5, None)


def test_audio_and_video_logged_offline_are_written_under_media_and_referenced(
    offline_settings: dict[str, Any],
) -> None:
    samples = np.linspace(-1, 1, 800)
    with nbrun.init(project="p", **offline_settings) as run:
        run.log(
            {
                "a": nbrun.Audio(samples, sample_rate=8000, caption="ramp"),
                "v": nbrun.Video(random_frames(3, 3, 8, 8), format="mp4"),
                "loss": 0.5,
            }
        )
        files_dir = Path(run.dir)

    [row] = nbrun.Api().run(f"{run.entity}/{run.project}/{run.id}").history(pandas=False)
    audio, video = row["a"], row["v"]
    assert audio["_type"] == "audio-file" and audio["path"].startswith("media/audio/")
    assert (audio["sample_rate"], audio["duration"], audio["caption"]) == (8000, 0.1, "ramp")
    assert video["_type"] == "video-file" and video["path"].startswith("media/videos/")
    assert (video["format"], video["frames"], video["width"], video["height"]) == ("mp4", 3, 8, 8)
    assert row["loss"] == 0.5
    with wave.open(str(files_dir / audio["path"]), "rb") as reader:
        assert (reader.getframerate(), reader.getnframes()) == (8000, 800)
    stored = (files_dir / video["path"]).read_bytes()
    assert len(stored) == video["size"]
    assert iio.imread(stored, extension=".mp4", plugin="FFMPEG", index=None).shape == (3, 8, 8, 3)
