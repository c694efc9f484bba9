"""``nbrun.Audio``: a sound logged into the history, stored once as a file of the run.

Arrays are checked and copied as int16 samples in the constructor and written as 16-bit PCM WAV
with the standard library's ``wave`` module (no extra needed) when first needed: on the run's
encoder thread when logged. Audio files are stored as they are.
"""

from __future__ import annotations

import io
import numbers
import os
import wave
from pathlib import Path
from typing import Any

from nbrun.data_types.media import OneFileMedia, read_media_file
from nbrun.errors import InvalidValueError
from nbrun.protocol.media import AUDIO

FILE_FORMATS = {suffix: suffix[1:] for suffix in (".wav", ".mp3", ".ogg", ".flac")}
MAX_CHANNELS = 32  # more columns than this is a (channels, samples) array passed transposed
_ARRAY_FORMS = (
    "a NumPy array of samples (1-D mono, or 2-D samples × channels; floats in [-1, 1] or int16) "
    "with sample_rate, or a path to a .wav, .mp3, .ogg or .flac file"
)


class Audio(OneFileMedia):
    """A sound from a NumPy array of samples and its ``sample_rate``, or an audio file's path.

    ``run.log({"speech": nbrun.Audio(samples, sample_rate=16000, caption="epoch 3")})``.
    Arrays are 1-D (mono) or 2-D (samples × channels); floats are taken in [-1, 1] (beyond is
    clipped), integers as int16 samples. Files (.wav, .mp3, .ogg, .flac) are stored as they are.
    """

    KIND = AUDIO

    def __init__(
        self, data_or_path: Any, sample_rate: int | None = None, caption: str | None = None
    ) -> None:
        super().__init__()
        if caption is not None and not isinstance(caption, str):
            raise InvalidValueError(f"Audio caption must be a string, got {type(caption).__name__}")
        self.caption = caption
        if isinstance(data_or_path, (str, os.PathLike)):
            rate = None if sample_rate is None else _valid_rate(sample_rate)
            data, suffix = read_media_file("Audio", Path(data_or_path), FILE_FORMATS, _ARRAY_FORMS)
            read_rate, frames = wav_info(data) if suffix == "wav" else (None, None)
            self.sample_rate: int | None = read_rate or rate
            self._store_file(data, suffix)
        else:
            if sample_rate is None:
                raise InvalidValueError(
                    "Audio from an array needs sample_rate (samples per second, e.g. "
                    "Audio(samples, sample_rate=16000))"
                )
            self.sample_rate = _valid_rate(sample_rate)
            samples, rate = _to_int16(data_or_path), self.sample_rate
            self._store_later(samples, lambda s: wav_bytes(s, rate), "wav", samples.nbytes)
            frames = int(samples.shape[0])
        self.duration: float | None = (
            frames / self.sample_rate if frames is not None and self.sample_rate else None
        )

    def _nbrun_value(self) -> dict[str, Any]:
        value = self._file().reference(AUDIO)
        value["sample_rate"] = self.sample_rate
        value["duration"] = self.duration
        if self.caption is not None:
            value["caption"] = self.caption
        return value

    @classmethod
    def sample_rates(cls, audio_list: list[Audio]) -> list[int | None]:
        """The sample rate of each clip (as the reference's ``Audio.sample_rates``)."""
        return [audio.sample_rate for audio in audio_list]

    @classmethod
    def durations(cls, audio_list: list[Audio]) -> list[float | None]:
        """The length of each clip in seconds (as the reference's ``Audio.durations``)."""
        return [audio.duration for audio in audio_list]

    def __repr__(self) -> str:
        return f"Audio({self.sample_rate} Hz, {self.duration} s, {self._stored_size()})"


def _valid_rate(sample_rate: Any) -> int:
    number = isinstance(sample_rate, numbers.Real) and not isinstance(sample_rate, bool)
    rate = float(sample_rate) if number else 0.0
    if not (rate.is_integer() and 0 < rate < 2**31):
        raise InvalidValueError(
            "Audio sample_rate must be a positive integer (samples per second, e.g. 16000), "
            f"got {sample_rate!r}"
        )
    return int(rate)


def encode_wav(data: Any, sample_rate: int) -> bytes:
    """``data`` (samples, or samples × channels) as a 16-bit PCM WAV file."""
    return wav_bytes(_to_int16(data), sample_rate)


def wav_bytes(samples: Any, sample_rate: int) -> bytes:
    """int16 ``samples`` (samples, or samples × channels) as a 16-bit PCM WAV file."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1 if samples.ndim == 1 else int(samples.shape[1]))
        writer.setsampwidth(2)
        writer.setframerate(sample_rate)
        writer.writeframes(samples.astype("<i2").tobytes())
    return buffer.getvalue()


def wav_info(data: bytes) -> tuple[int | None, int | None]:
    """``(sample rate, frames)`` of a WAV file; ``(None, None)`` when ``wave`` cannot read it
    (a format it does not know, such as floating-point samples)."""
    try:
        with wave.open(io.BytesIO(data), "rb") as reader:
            return reader.getframerate(), reader.getnframes()
    except (wave.Error, EOFError, ValueError):
        return None, None


def _to_int16(data: Any) -> Any:
    try:
        import numpy as np
    except ImportError:
        raise InvalidValueError(
            "Audio from an array needs NumPy: pip install 'nbrun[media]'"
        ) from None
    if hasattr(data, "detach"):  # torch
        data = data.detach().cpu().numpy()
    if not (type(data).__module__ == "numpy" or isinstance(data, (list, tuple))):
        raise InvalidValueError(
            f"Audio takes {_ARRAY_FORMS}; got {type(data).__module__}.{type(data).__qualname__}"
        )
    array = np.asarray(data)
    if array.ndim not in (1, 2):
        raise InvalidValueError(f"Audio array has shape {array.shape}; expected {_ARRAY_FORMS}")
    if array.size == 0:
        raise InvalidValueError(f"Audio array is empty (shape {array.shape})")
    if array.ndim == 2 and array.shape[1] > MAX_CHANNELS:
        raise InvalidValueError(
            f"Audio array has shape {array.shape}: {array.shape[1]} channels; expected "
            f"(samples, channels) with at most {MAX_CHANNELS} channels (transpose a "
            "(channels, samples) array)"
        )
    if array.dtype.kind == "f":
        if not np.isfinite(array).all():
            raise InvalidValueError("Audio array holds NaN or infinite values")
        return np.rint(np.clip(array, -1.0, 1.0) * 32767.0).astype(np.int16)
    if array.dtype.kind in "iu":
        if array.dtype != np.int16 and (array.min() < -32768 or array.max() > 32767):
            raise InvalidValueError(
                f"Audio array of {array.dtype} holds values outside int16's range; expected "
                "floats in [-1, 1] or int16 samples"
            )
        return array.astype(np.int16)
    raise InvalidValueError(
        f"Audio array has dtype {array.dtype}; expected floats in [-1, 1] or int16 samples"
    )
