"""Audio, video and 3D values drawn small for the live widget and the static snapshot
(:mod:`nbrun.jupyter.media_html` places them in cards).

- Audio: an ``<audio controls>`` player whose source is the file as a ``data:`` URI, when the
  file is at most ``AUDIO_EMBED_BYTES``; else a placeholder with its length and size.
- Video: a GIF is an ``<img>`` (it plays by itself, no script) when at most
  ``GIF_EMBED_BYTES``; MP4, WebM, Ogg and larger GIFs are a placeholder with the frame count
  and size. No ``<video>`` element: nothing plays or loads by itself.
- 3D objects: a placeholder's text with the point count or the file's format, and its size.

Nothing here runs script or fetches from a network: the players' sources are ``data:`` URIs,
every attribute value is escaped. The snapshot's size cap (:mod:`nbrun.jupyter.snapshot`)
leaves out cards that would overflow it.
"""

from __future__ import annotations

import base64
import dataclasses
import html
from pathlib import Path
from typing import Any

from nbrun.protocol import media as kinds

AUDIO_EMBED_BYTES = 256_000  # an audio file this small is embedded in its player
GIF_EMBED_BYTES = 512_000  # a GIF this small is embedded as an image
VIDEO_SIDE = 128  # a small GIF is shown larger, up to this many CSS pixels a side
PLAYER_WIDTH = 280  # CSS pixels

_AUDIO_MIME = {
    ".wav": "audio/wav",
    ".mp3": "audio/mpeg",
    ".ogg": "audio/ogg",
    ".flac": "audio/flac",
}


@dataclasses.dataclass(frozen=True)
class Player:
    """What an audio or video card shows: an inert element, or (``html`` None) a placeholder
    saying ``note``."""

    html: str | None
    note: str = ""


def media_player(path: Path | None, value: dict[str, Any], give_up: bool) -> Player | None:
    """The player of an ``audio-file`` or ``video-file`` payload whose file is at ``path`` (None:
    the run has no such file); None while the file is not written yet, unless ``give_up``."""
    audio = value.get("_type") == kinds.AUDIO
    label = "audio" if audio else "video"
    if path is None:
        return Player(None, f"{label}: no file in this run")
    try:
        size = path.stat().st_size
        return audio_player(path, value, size) if audio else video_player(path, value, size)
    except FileNotFoundError:
        return Player(None, f"{label}: its file is not written") if give_up else None
    except OSError as exc:
        return Player(None, f"{label}: cannot be read ({exc.strerror or exc})")


def audio_player(path: Path, value: dict[str, Any], size: int) -> Player:
    duration = value.get("duration")
    length = f", {duration:.1f} s" if type(duration) in (int, float) else ""
    mime = _AUDIO_MIME.get(path.suffix.lower())
    if mime is None or size > AUDIO_EMBED_BYTES:
        return Player(None, f"audio{length}, {format_bytes(size)}")
    return Player(
        f"<audio class='nbrun-audio' controls preload='metadata' "
        f'src="{data_uri(mime, path.read_bytes())}" '
        f"style='display:block;width:{PLAYER_WIDTH}px;max-width:100%'></audio>"
    )


def video_player(path: Path, value: dict[str, Any], size: int) -> Player:
    frames = value.get("frames")
    video_format = value.get("format")
    name = video_format if isinstance(video_format, str) else "video"
    counted = f", {frames} frames" if type(frames) is int else ""
    if video_format != "gif" or size > GIF_EMBED_BYTES:
        return Player(None, f"{name} video{counted}, {format_bytes(size)}")
    width, height = value.get("width"), value.get("height")
    style = "display:block;max-width:100%;height:auto"
    shown = ""
    if type(width) is int and type(height) is int and width > 0 and height > 0:
        scale = max(1, VIDEO_SIDE // max(width, height))
        shown = f"width='{width * scale}' height='{height * scale}' "
        if scale > 1:
            style += ";image-rendering:pixelated"
    caption = value.get("caption")
    alt = html.escape(caption) if isinstance(caption, str) and caption else "video"
    uri = data_uri("image/gif", path.read_bytes())
    return Player(f"<img class='nbrun-video' src=\"{uri}\" {shown}alt='{alt}' style='{style}'>")


def object3d_note(value: dict[str, Any]) -> str:
    """What the placeholder of an ``object3D-file`` says: "3D point cloud, N points, size" or
    "3D model (glb), size" (from the payload alone: no file is read)."""
    size = value.get("size")
    sized = f", {format_bytes(size)}" if type(size) is int else ""
    points, model_format = value.get("points"), value.get("format")
    if type(points) is int:
        return f"3D point cloud, {points:,} points{sized}"
    name = f" ({model_format})" if isinstance(model_format, str) and model_format else ""
    return f"3D model{name}{sized}"


def data_uri(mime: str, data: bytes) -> str:
    """``data`` as a base64 ``data:`` URI of type ``mime``."""
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def format_bytes(size: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"
