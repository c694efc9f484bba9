"""``nbrun.Video``: frames logged into the history as a GIF, MP4 or WebM file of the run.

Arrays are encoded with imageio (GIF through Pillow, MP4 and WebM through the ffmpeg binary of
imageio-ffmpeg), both in the ``media`` extra and imported only when an array is encoded: the
rest of nbrun never needs them. Video files are stored as they are.
"""

from __future__ import annotations

import importlib.util
import math
import numbers
import os
from pathlib import Path
from types import ModuleType
from typing import Any

from nbrun import termlog
from nbrun.data_types.media import OneFileMedia, read_media_file
from nbrun.errors import InvalidValueError
from nbrun.protocol.media import VIDEO

DEFAULT_FPS = 4
ENCODED_FORMATS = ("gif", "mp4", "webm")  # what arrays are encoded as
FILE_FORMATS = {".gif": "gif", ".mp4": "mp4", ".webm": "webm", ".ogg": "ogg"}
EXTRA_HINT = 'pip install "nbrun[media]"'
PROBE_BYTES = 64_000_000  # larger GIF files are not decoded to count their frames
_CODECS = {"mp4": "libx264", "webm": "libvpx"}
_ARRAY_FORMS = (
    "a NumPy array of frames (time, channels, height, width) or (batch, time, channels, "
    "height, width) with 1, 3 or 4 channels, a path to a .gif, .mp4, .webm or .ogg file, or a "
    "file object with format="
)
_warned_dtype = False


class Video(OneFileMedia):
    """Frames from a NumPy array or a torch tensor, or a video file's path or file object.

    ``run.log({"rollout": nbrun.Video(frames, fps=8, format="mp4")})`` with ``frames`` of shape
    (time, channels, height, width), or (batch, time, channels, height, width): the batch is
    tiled into a grid as the reference does. Data that is not uint8 is converted to it as the
    reference does (values cut to 0..255: scale floats in [0, 1] by 255 first). ``fps``
    defaults to 4; ``format`` is gif (the default), mp4 or webm. Encoding needs
    ``pip install "nbrun[media]"`` (imageio, imageio-ffmpeg); files are stored as they are.
    """

    KIND = VIDEO

    def __init__(
        self,
        data_or_path: Any,
        caption: str | None = None,
        fps: float | None = None,
        format: str | None = None,
    ) -> None:
        super().__init__()
        if caption is not None and not isinstance(caption, str):
            raise InvalidValueError(f"Video caption must be a string, got {type(caption).__name__}")
        self.caption = caption
        self.width: int | None
        self.height: int | None
        self.frames: int | None
        self.fps: float | None
        if isinstance(data_or_path, (str, os.PathLike)):
            data, self.format = read_media_file(
                "Video", Path(data_or_path), FILE_FORMATS, _ARRAY_FORMS
            )
            self.width, self.height, self.frames, self.fps = probe(data, self.format)
        elif hasattr(data_or_path, "read"):
            self.format = _file_format(format)
            data = _read_object(data_or_path)
            self.width, self.height, self.frames, self.fps = probe(data, self.format)
        else:
            self.format = _encoded_format(format)
            self.fps = DEFAULT_FPS if fps is None else _valid_fps(fps)
            _imageio(self.format)  # a missing extra is said now, not when encoding
            frames = video_frames(data_or_path, even=self.format != "gif")
            self.frames, self.height, self.width = (int(n) for n in frames.shape[:3])
            frames = frames if frames.base is None else frames.copy()
            fps, file_format = self.fps, self.format
            self._store_later(
                frames, lambda f: encode(f, file_format, fps), self.format, frames.nbytes
            )
            return
        self._store_file(data, self.format)

    def _nbrun_value(self) -> dict[str, Any]:
        value = self._file().reference(VIDEO)
        value.update(
            format=self.format,
            width=self.width,
            height=self.height,
            frames=self.frames,
            fps=self.fps,
        )
        if self.caption is not None:
            value["caption"] = self.caption
        return value

    def __repr__(self) -> str:
        size = f"{self.width}x{self.height}, {self.frames} frames"
        return f"Video({self.format}, {size}, {self._stored_size()})"


# -- arguments -------------------------------------------------------------------------------
def _encoded_format(video_format: Any) -> str:
    if video_format is None:
        return "gif"
    if isinstance(video_format, str) and video_format.lower() in ENCODED_FORMATS:
        return video_format.lower()
    if video_format == "ogg":
        raise InvalidValueError(
            "Video format 'ogg' is for files only; arrays are encoded as gif, mp4 or webm"
        )
    raise InvalidValueError(
        f"Video format must be one of gif, mp4, webm (for arrays) or ogg (for files), got "
        f"{video_format!r}"
    )


def _file_format(video_format: Any) -> str:
    if isinstance(video_format, str) and f".{video_format.lower()}" in FILE_FORMATS:
        return video_format.lower()
    raise InvalidValueError(
        f"Video from a file object needs format= gif, mp4, webm or ogg, got {video_format!r}"
    )


def _valid_fps(fps: Any) -> float:
    rate = float(fps) if isinstance(fps, numbers.Real) and not isinstance(fps, bool) else 0.0
    if not (math.isfinite(rate) and rate > 0):
        raise InvalidValueError(
            f"Video fps must be a positive number of frames per second, got {fps!r}"
        )
    return int(rate) if rate.is_integer() else rate


def _read_object(handle: Any) -> bytes:
    content = handle.read()
    if not isinstance(content, bytes):
        raise InvalidValueError(
            f"Video file object returned {type(content).__name__} from read(); open it in "
            "binary mode ('rb')"
        )
    return content


# -- arrays ----------------------------------------------------------------------------------
def video_frames(data: Any, even: bool = False) -> Any:
    """``data`` as uint8 RGB frames (time, height, width, 3): a batch tiled into a grid of
    ``2**k`` rows as the reference does, gray repeated, alpha dropped; ``even``: padded to an
    even width and height (what H.264 and VP8 in yuv420p need)."""
    try:
        import numpy as np
    except ImportError:
        raise InvalidValueError(f"Video from an array needs NumPy: {EXTRA_HINT}") from None
    if hasattr(data, "detach"):  # torch
        data = data.detach().cpu().numpy()
    if not (type(data).__module__ == "numpy" or isinstance(data, (list, tuple))):
        raise InvalidValueError(
            f"Video takes {_ARRAY_FORMS}; got {type(data).__module__}.{type(data).__qualname__}"
        )
    array = np.asarray(data)
    if array.ndim not in (4, 5):
        raise InvalidValueError(f"Video array has shape {array.shape}; expected {_ARRAY_FORMS}")
    if array.size == 0:
        raise InvalidValueError(f"Video array is empty (shape {array.shape})")
    if array.ndim == 4:
        array = array[np.newaxis]
    batch, time, channels, height, width = array.shape
    if channels not in (1, 3, 4):
        raise InvalidValueError(
            f"Video array has shape {array.shape[1:] if batch == 1 else array.shape}: "
            f"{channels} channels; expected 1, 3 or 4 (axes are (time, channels, height, width))"
        )
    array = _to_uint8(array, np)
    rows = 1 << ((batch.bit_length() - 1) // 2)
    padded = batch if batch & (batch - 1) == 0 else 1 << batch.bit_length()
    if padded > batch:
        array = np.concatenate([array, np.zeros((padded - batch, *array.shape[1:]), np.uint8)])
    columns = padded // rows
    grid = array.reshape(rows, columns, time, channels, height, width)
    grid = grid.transpose(2, 0, 4, 1, 5, 3).reshape(time, rows * height, columns * width, channels)
    if channels == 1:
        grid = np.repeat(grid, 3, axis=3)
    elif channels == 4:
        grid = grid[..., :3]
    if even and (grid.shape[1] % 2 or grid.shape[2] % 2):
        grid = np.pad(grid, ((0, 0), (0, grid.shape[1] % 2), (0, grid.shape[2] % 2), (0, 0)))
    return np.ascontiguousarray(grid)


def _to_uint8(array: Any, np: ModuleType) -> Any:
    global _warned_dtype
    if array.dtype == np.uint8:
        return array
    if array.dtype.kind not in "iuf":
        raise InvalidValueError(f"Video array has dtype {array.dtype}; expected uint8 numbers")
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise InvalidValueError("Video array holds NaN or infinite values")
    if not _warned_dtype:
        _warned_dtype = True
        termlog.warn(
            f"Video: converting {array.dtype} data to uint8 as the reference does (values are "
            "cut to 0..255; scale floats in [0, 1] by 255 first)"
        )
    return np.clip(array, 0, 255).astype(np.uint8)


# -- encoding --------------------------------------------------------------------------------
def _imageio(video_format: str) -> Any:
    try:
        import imageio.v3 as iio
    except ImportError:
        raise InvalidValueError(
            f"Video needs imageio to encode {video_format}: {EXTRA_HINT}"
        ) from None
    # imageio's FFMPEG plugin runs the ffmpeg binary that imageio-ffmpeg ships.
    if video_format != "gif" and importlib.util.find_spec("imageio_ffmpeg") is None:
        raise InvalidValueError(
            f"Video needs imageio-ffmpeg to encode {video_format}: {EXTRA_HINT}"
        )
    return iio


def encode(frames: Any, video_format: str, fps: float) -> bytes:
    """RGB uint8 ``frames`` (time, height, width, 3) as a file of ``video_format``."""
    iio = _imageio(video_format)
    if video_format == "gif":
        data = iio.imwrite("<bytes>", frames, extension=".gif", duration=1000 / fps, loop=0)
    else:
        data = iio.imwrite(
            "<bytes>",
            frames,
            extension=f".{video_format}",
            plugin="FFMPEG",
            fps=fps,
            codec=_CODECS[video_format],
            macro_block_size=1,  # the frames are padded to even sizes already
            ffmpeg_log_level="error",
        )
    assert isinstance(data, bytes)
    return data


def probe(
    data: bytes, video_format: str
) -> tuple[int | None, int | None, int | None, float | None]:
    """``(width, height, frames, fps)`` of a video file, each None when unknown: read with
    imageio when it is installed (a GIF's size from its header otherwise)."""
    width, height = _gif_size(data) if video_format == "gif" else (None, None)
    try:
        iio = _imageio(video_format)
    except InvalidValueError:
        return width, height, None, None
    try:
        if video_format == "gif":
            return (width, height, *_gif_frames(iio, data))
        meta = iio.immeta(data, extension=f".{video_format}", plugin="FFMPEG")
        fps, duration = float(meta["fps"]), float(meta["duration"])
        frames = round(fps * duration) if math.isfinite(fps * duration) else None
        return int(meta["size"][0]), int(meta["size"][1]), frames, fps
    except Exception:  # a file imageio cannot read is stored all the same, its numbers unknown
        return width, height, None, None


def _gif_frames(iio: Any, data: bytes) -> tuple[int | None, float | None]:
    """``(frames, fps)`` of a GIF (the first frame's delay), decoding it unless too large."""
    if len(data) > PROBE_BYTES:
        return None, None
    shape = iio.improps(data, extension=".gif").shape
    delay = iio.immeta(data, extension=".gif", index=0).get("duration")
    fps = 1000 / delay if isinstance(delay, (int, float)) and delay > 0 else None
    return (int(shape[0]) if len(shape) == 4 else 1), fps


def _gif_size(data: bytes) -> tuple[int | None, int | None]:
    if data[:6] not in (b"GIF87a", b"GIF89a") or len(data) < 10:
        return None, None
    return int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
