"""An image's ``masks`` and ``boxes`` drawn into its thumbnail, in the kernel (the widget and
the snapshot show plain ``<img>`` tags: no script, so no toggles; the dashboard has those).

Masks are blended in their class colours (class 0 stays clear unless the mask names it: it is
the background by convention); boxes are outlined in theirs. Colours come from
:data:`nbrun.protocol.media.CLASS_COLOURS`, as on the dashboard.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from nbrun.data_types.png import decode_png
from nbrun.protocol.media import CLASS_COLOURS, MASK_ALPHA

MAX_MASK_BYTES = 8 << 20  # a larger mask file is left out of the thumbnail


def has_overlays(value: dict[str, Any]) -> bool:
    return bool(value.get("boxes")) or bool(value.get("masks"))


def overlay_key(value: dict[str, Any]) -> str:
    """Tells thumbnails of one image file with different overlays apart ("" for none)."""
    if not has_overlays(value):
        return ""
    try:
        encoded = orjson.dumps(
            [value.get("boxes"), value.get("masks")], option=orjson.OPT_SORT_KEYS
        )
    except TypeError:  # not JSON after all: never cached together with another
        return str(id(value))
    return hashlib.sha256(encoded).hexdigest()


def draw_overlays(
    pixels: Any, value: dict[str, Any], find_file: Callable[[Any], Path | None]
) -> Any:
    """``pixels`` (h, w, channels) as RGB with ``value``'s masks and boxes drawn in; masks
    whose files ``find_file`` cannot find or read are left out."""
    import numpy as np

    rgb = _rgb(pixels).astype(np.float32)
    height, width = rgb.shape[:2]
    for mask in (value.get("masks") or {}).values():
        classes = _mask_classes(mask, find_file)
        if classes is None:
            continue
        rows = np.arange(height) * classes.shape[0] // height  # nearest neighbour
        cols = np.arange(width) * classes.shape[1] // width
        small = classes[rows][:, cols]
        named = mask.get("class_labels") or {}
        for class_id in np.unique(small).tolist():
            if class_id == 0 and "0" not in named:
                continue
            where = small == class_id
            rgb[where] = rgb[where] * (1 - MASK_ALPHA) + _colour(class_id) * MASK_ALPHA
    size = value.get("width"), value.get("height")
    for group in (value.get("boxes") or {}).values():
        for box in group.get("box_data") or []:
            corners = _pixel_corners(box, size, width, height)
            if corners is not None:
                _outline(rgb, corners, _colour(box.get("class_id", 0)))
    return np.clip(np.rint(rgb), 0, 255).astype(np.uint8)


def _rgb(pixels: Any) -> Any:
    import numpy as np

    channels = pixels.shape[2]
    if channels in (1, 2):  # grey (with alpha)
        return np.repeat(pixels[:, :, :1], 3, axis=2)
    return pixels[:, :, :3]


def _colour(class_id: Any) -> Any:
    import numpy as np

    index = class_id if isinstance(class_id, int) else 0
    hex_colour = CLASS_COLOURS[index % len(CLASS_COLOURS)]
    return np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.float32)


def _mask_classes(mask: Any, find_file: Callable[[Any], Path | None]) -> Any:
    path = find_file(mask.get("path")) if isinstance(mask, dict) else None
    try:
        if path is None or path.stat().st_size > MAX_MASK_BYTES:
            return None
        return decode_png(path.read_bytes())[:, :, 0]
    except (OSError, ValueError):
        return None


def _pixel_corners(
    box: Any, size: tuple[Any, Any], width: int, height: int
) -> tuple[int, int, int, int] | None:
    """The box's corners in thumbnail pixels (left, top, right, bottom), clipped; None when
    it cannot be placed (pixel coordinates of an image of unknown size) or is outside."""
    position = box.get("position") if isinstance(box, dict) else None
    if not isinstance(position, dict):
        return None
    scale_x, scale_y = float(width), float(height)
    if box.get("domain") == "pixel":
        image_w, image_h = size
        if not (isinstance(image_w, int) and isinstance(image_h, int) and image_w and image_h):
            return None
        scale_x, scale_y = width / image_w, height / image_h
    try:
        left = round(float(position["minX"]) * scale_x)
        top = round(float(position["minY"]) * scale_y)
        right = round(float(position["maxX"]) * scale_x) - 1
        bottom = round(float(position["maxY"]) * scale_y) - 1
    except (KeyError, TypeError, ValueError):
        return None
    left, top = max(left, 0), max(top, 0)
    right, bottom = min(max(right, left), width - 1), min(max(bottom, top), height - 1)
    if left > width - 1 or top > height - 1:
        return None
    return left, top, right, bottom


def _outline(rgb: Any, corners: tuple[int, int, int, int], colour: Any) -> None:
    left, top, right, bottom = corners
    rgb[top, left : right + 1] = colour
    rgb[bottom, left : right + 1] = colour
    rgb[top : bottom + 1, left] = colour
    rgb[top : bottom + 1, right] = colour
