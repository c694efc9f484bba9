"""An image payload's thumbnail for the widget and the snapshot, made in the kernel: a PNG is
decoded (:func:`nbrun.data_types.png.decode_png`), box-shrunk to at most ``side`` pixels a side
with its masks and boxes drawn in (:mod:`nbrun.jupyter.overlays`) and encoded again; small
files of other formats are embedded as they are; anything else is a placeholder that says
what it is."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nbrun.data_types.png import decode_png, downscale, encode_png
from nbrun.jupyter.media_av import data_uri, format_bytes
from nbrun.jupyter.overlays import draw_overlays, has_overlays

EMBED_BYTES = 48_000  # an image file this small may be embedded as it is
MAX_PNG_BYTES = 64_000_000  # larger PNG files are not read for a thumbnail
MAX_PIXELS = 8_000_000  # nor are larger images decoded (the publisher thread's time)

_MIME = {"png": "image/png", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}


@dataclasses.dataclass(frozen=True)
class Thumbnail:
    """An image ready to show: a ``data:`` URI and its displayed size, or a placeholder."""

    uri: str | None
    width: int | None = None  # displayed CSS pixels; None: bounded by CSS instead
    height: int | None = None
    pixelated: bool = False  # a small image shown larger: keep its pixels sharp
    note: str = ""  # what the placeholder says when ``uri`` is None


def make_thumbnail(
    path: Path, value: dict[str, Any], side: int, find_file: Callable[[Any], Path | None]
) -> Thumbnail:
    """The thumbnail of the image file at ``path`` (``value`` its payload); ``find_file``
    finds the run files its overlays name. Raises ``OSError`` when the file cannot be read."""
    size = path.stat().st_size
    image_format = value.get("format")
    if image_format == "png" and size <= MAX_PNG_BYTES:
        data = path.read_bytes()
        try:
            pixels = decode_png(data, MAX_PIXELS)
        except (ValueError, ImportError):  # unsupported, damaged, too large, or no NumPy
            pixels = None
        if pixels is not None:
            small = downscale(pixels, side)
            height, width = int(small.shape[0]), int(small.shape[1])
            if has_overlays(value):
                if small is pixels:  # enlarged before drawing: outlines stay one pixel wide
                    scale = max(1, side // max(width, height))
                    small = small.repeat(scale, axis=0).repeat(scale, axis=1)
                drawn = draw_overlays(small, value, find_file)
                return Thumbnail(data_uri(_MIME["png"], encode_png(drawn)), *drawn.shape[1::-1])
            if small is pixels:  # already small: shown larger, its pixels kept sharp
                scale = max(1, side // max(width, height))
                png = data if size <= EMBED_BYTES else encode_png(small)
                uri = data_uri(_MIME["png"], png)
                return Thumbnail(uri, width * scale, height * scale, scale > 1)
            return Thumbnail(data_uri(_MIME["png"], encode_png(small)), width, height)
    known_w, known_h = value.get("width"), value.get("height")
    shape = ""
    if isinstance(known_w, int) and isinstance(known_h, int):
        shape = f" {known_w}×{known_h}"
    else:
        known_w = known_h = 0
    if size <= EMBED_BYTES and image_format in _MIME:
        uri = data_uri(_MIME[image_format], path.read_bytes())
        if 0 < known_w <= side and 0 < known_h <= side:
            return Thumbnail(uri, known_w, known_h)
        return Thumbnail(uri)
    name = image_format if isinstance(image_format, str) else "image"
    return Thumbnail(None, note=f"{name} image{shape}, {format_bytes(size)}")
