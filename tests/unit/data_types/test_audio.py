"""nbrun.Audio: NumPy samples encoded as 16-bit PCM WAV, audio files stored as they are."""

from __future__ import annotations

import io
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import nbrun
from nbrun.errors import InvalidValueError


def decoded(audio: nbrun.Audio) -> tuple[int, int, np.ndarray]:
    """(sample rate, channels, int16 samples × channels) of the WAV file an Audio stores."""
    [media_file] = audio._nbrun_files()
    with wave.open(io.BytesIO(media_file.data), "rb") as reader:
        assert reader.getsampwidth() == 2
        channels = reader.getnchannels()
        samples = np.frombuffer(reader.readframes(reader.getnframes()), dtype="<i2")
        return reader.getframerate(), channels, samples.reshape(-1, channels)


def test_float_samples_round_trip_through_a_16_bit_wav() -> None:
    samples = np.sin(np.linspace(0, 20 * np.pi, 16_000)) * 0.5
    audio = nbrun.Audio(samples, sample_rate=16_000, caption="a tone")

    rate, channels, pcm = decoded(audio)

    assert (rate, channels, pcm.shape) == (16_000, 1, (16_000, 1))
    np.testing.assert_allclose(pcm[:, 0] / 32767, samples, atol=1 / 32767)
    value = audio._nbrun_value()
    assert value["_type"] == "audio-file"
    assert value["path"].startswith("media/audio/") and value["path"].endswith(".wav")
    assert value["size"] == len(audio._nbrun_files()[0].data) and len(value["sha256"]) == 64
    assert (value["sample_rate"], value["duration"], value["caption"]) == (16_000, 1.0, "a tone")


def test_int16_stereo_samples_are_stored_exactly() -> None:
    samples = np.array([[0, 1], [-32768, 32767], [100, -100]], dtype=np.int16)

    rate, channels, pcm = decoded(nbrun.Audio(samples, sample_rate=8000))

    assert (rate, channels) == (8000, 2)
    np.testing.assert_array_equal(pcm, samples)


def test_floats_beyond_one_are_clipped_and_integers_in_range_are_taken_as_int16() -> None:
    assert decoded(nbrun.Audio(np.array([2.0, -3.0]), sample_rate=10))[2][:, 0].tolist() == [
        32767,
        -32767,
    ]
    assert decoded(nbrun.Audio([1, -2, 3], sample_rate=10))[2][:, 0].tolist() == [1, -2, 3]


def test_a_caption_less_payload_has_no_caption_key_and_the_same_samples_share_a_file() -> None:
    a = nbrun.Audio(np.zeros(10), sample_rate=10)
    b = nbrun.Audio(np.zeros(10), sample_rate=10)

    assert "caption" not in a._nbrun_value()
    assert a._nbrun_value()["path"] == b._nbrun_value()["path"]
    assert nbrun.Audio.durations([a, b]) == [1.0, 1.0]
    assert nbrun.Audio.sample_rates([a, b]) == [10, 10]


def test_a_wav_file_is_stored_as_is_with_its_rate_and_duration_read(tmp_path: Path) -> None:
    source = tmp_path / "clip.wav"
    source.write_bytes(nbrun.Audio(np.zeros(4410), sample_rate=44_100)._nbrun_files()[0].data)

    audio = nbrun.Audio(str(source), caption="file")

    assert audio._nbrun_files()[0].data == source.read_bytes()
    value = audio._nbrun_value()
    assert (value["sample_rate"], value["duration"]) == (44_100, 0.1)


@pytest.mark.parametrize("suffix", [".mp3", ".ogg", ".flac"])
def test_other_audio_files_are_stored_as_is_with_their_suffix(tmp_path: Path, suffix: str) -> None:
    source = tmp_path / f"clip{suffix.upper()}"
    source.write_bytes(b"not decoded by nbrun")

    value = nbrun.Audio(source, sample_rate=22_050)._nbrun_value()

    assert value["path"].endswith(suffix) and value["size"] == len(b"not decoded by nbrun")
    assert (value["sample_rate"], value["duration"]) == (22_050, None)


def test_an_array_without_sample_rate_is_refused_naming_it() -> None:
    with pytest.raises(InvalidValueError, match=r"needs sample_rate \(samples per second"):
        nbrun.Audio(np.zeros(10))


@pytest.mark.parametrize(
    ("data", "sample_rate", "message"),
    [
        (np.zeros((2, 2, 2)), 8000, r"shape \(2, 2, 2\); expected a NumPy array of samples"),
        (np.zeros((2, 100)), 8000, r"100 channels; expected \(samples, channels\)"),
        (np.array(["a", "b"]), 8000, r"dtype <U1; expected floats in \[-1, 1\] or int16"),
        (np.array([True, False]), 8000, "dtype bool"),
        (np.array([0.0, np.nan]), 8000, "NaN"),
        (np.zeros(0), 8000, "empty"),
        (np.array([70_000]), 8000, "outside int16's range"),
        ({"samples": [0.0]}, 8000, "Audio takes a NumPy array of samples"),
        (np.zeros(10), 0, "sample_rate must be a positive integer"),
        (np.zeros(10), -8000, "sample_rate must be a positive integer"),
        (np.zeros(10), 8000.5, "sample_rate must be a positive integer"),
        (np.zeros(10), "8000", "sample_rate must be a positive integer"),
        (np.zeros(10), True, "sample_rate must be a positive integer"),
        ("missing.wav", None, "cannot be read"),
        ("notes.txt", None, r"unsupported type '\.txt'; Audio takes .*\.wav, \.mp3, \.ogg"),
    ],
)
def test_bad_audio_input_names_the_argument_and_the_accepted_forms(
    data: Any, sample_rate: Any, message: str
) -> None:
    with pytest.raises(InvalidValueError, match=message):
        nbrun.Audio(data, sample_rate=sample_rate)


def test_a_caption_that_is_not_a_string_is_refused() -> None:
    with pytest.raises(TypeError, match="caption must be a string"):
        nbrun.Audio(np.zeros(2), sample_rate=2, caption=3)  # type: ignore[arg-type]
