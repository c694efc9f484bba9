"""Bounding boxes and segmentation masks drawn over an ``Image``, in the reference's input forms.

``boxes={"predictions": {"box_data": [...], "class_labels": {0: "cat"}}}``: each box has a
``position`` (``minX/minY/maxX/maxY``, or ``middle: [x, y]`` with ``width``/``height``, stored
as the corners), a ``domain`` (None: fractions of the image; ``"pixel"``: pixels), a
``class_id``, an optional ``box_caption`` and ``scores``. Boxes stay in the history row (they
are small); a group of more than ``MAX_BOXES`` is refused.

``masks={"ground_truth": {"mask_data": array, "class_labels": {...}}}``: an H×W array of class
ids 0..255 (or ``path`` to a PNG of them), stored once as a grayscale PNG file of the run.
``checked_masks`` checks and copies them (in the caller); ``encode_masks`` makes the PNGs (on
the run's encoder thread when logged).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nbrun.data_types.media import StoredBytes
from nbrun.data_types.png import decode_png, encode_png
from nbrun.errors import InvalidValueError

MAX_BOXES = 10_000  # per group and image
MASK_FOLDER = "media/images/masks"
_POSITION_FORMS = "{minX, minY, maxX, maxY} or {middle: [x, y], width, height}"


def class_labels(labels: Any, where: str) -> dict[str, str]:
    """``{class id: name}`` with the ids as JSON keys ("0", "1", ...)."""
    if labels is None:
        return {}
    if not isinstance(labels, Mapping):
        raise InvalidValueError(f"{where}: class_labels must be a dict {{int: str}}")
    out = {}
    for class_id, name in labels.items():
        if isinstance(class_id, bool) or not isinstance(class_id, int):
            try:
                class_id = int(class_id)
            except (TypeError, ValueError):
                raise InvalidValueError(
                    f"{where}: class_labels keys must be integer class ids, got {class_id!r}"
                ) from None
        out[str(class_id)] = str(name)
    return out


def boxes_payload(boxes: Any) -> dict[str, Any]:
    """The ``boxes`` of an image payload: group name -> ``{box_data, class_labels}``."""
    groups = _groups(boxes, "boxes")
    payload = {}
    for name, group in groups.items():
        where = f"Image boxes[{name!r}]"
        box_data = group.get("box_data")
        if not isinstance(box_data, (list, tuple)):
            raise InvalidValueError(f"{where}: 'box_data' must be a list of boxes (dicts)")
        if len(box_data) > MAX_BOXES:
            raise InvalidValueError(
                f"{where}: {len(box_data)} boxes; at most {MAX_BOXES} per group and image"
            )
        payload[name] = {
            "box_data": [_box(box, f"{where}['box_data'][{i}]") for i, box in enumerate(box_data)],
            "class_labels": class_labels(group.get("class_labels"), where),
        }
    return payload


def checked_masks(masks: Any) -> dict[str, dict[str, Any]]:
    """The ``masks`` argument checked: group name -> ``{"source", "class_labels"}``, the source
    a copy of the class ids (uint8 array) or a PNG file's bytes."""
    checked = {}
    for name, group in _groups(masks, "masks").items():
        where = f"Image masks[{name!r}]"
        checked[name] = {
            "source": _mask_source(group, where),
            "class_labels": class_labels(group.get("class_labels"), where),
        }
    return checked


def encode_masks(checked: dict[str, dict[str, Any]]) -> tuple[dict[str, Any], list[StoredBytes]]:
    """The ``masks`` of an image payload (group name -> ``{path, size, sha256,
    class_labels}``) and the PNG files they point at."""
    payload, files = {}, []
    for name, group in checked.items():
        source = group["source"]
        data = source if isinstance(source, bytes) else encode_png(source)
        stored = StoredBytes.of(MASK_FOLDER, data, "png")
        files.append(stored)
        payload[name] = {
            "path": stored.path,
            "size": len(stored.data),
            "sha256": stored.sha256,
            "class_labels": group["class_labels"],
        }
    return payload, files


def _groups(value: Any, argument: str) -> dict[str, Mapping[str, Any]]:
    if not isinstance(value, Mapping):
        raise InvalidValueError(
            f"Image {argument} must be a dict of group name -> dict, e.g. "
            f"{{'predictions': {{...}}}}; got {type(value).__name__}"
        )
    groups = {}
    for name, group in value.items():
        group = getattr(group, "_val", group)  # a BoundingBoxes2D / ImageMask of the reference
        if not isinstance(name, str) or not isinstance(group, Mapping):
            raise InvalidValueError(
                f"Image {argument}: each entry must be a group name (str) -> dict; "
                f"got {name!r} -> {type(group).__name__}"
            )
        groups[name] = group
    return groups


def _box(box: Any, where: str) -> dict[str, Any]:
    if not isinstance(box, Mapping):
        raise InvalidValueError(f"{where} must be a dict with 'position' and 'class_id'")
    position = box.get("position")
    if not isinstance(position, Mapping):
        raise InvalidValueError(f"{where}: 'position' must be {_POSITION_FORMS}")
    domain = box.get("domain")
    if domain not in (None, "pixel"):
        raise InvalidValueError(f"{where}: 'domain' must be None (fractions) or 'pixel'")
    class_id = box.get("class_id")
    if isinstance(class_id, bool) or not isinstance(class_id, int):
        raise InvalidValueError(f"{where}: 'class_id' must be an int, got {class_id!r}")
    out: dict[str, Any] = {"position": _corners(position, where), "class_id": class_id}
    if domain is not None:
        out["domain"] = domain
    caption = box.get("box_caption")
    if caption is not None:
        out["box_caption"] = str(caption)
    scores = box.get("scores")
    if scores is not None:
        if not isinstance(scores, Mapping):
            raise InvalidValueError(f"{where}: 'scores' must be a dict of name -> number")
        out["scores"] = {str(k): _number(v, f"{where}: scores[{k!r}]") for k, v in scores.items()}
    return out


def _corners(position: Mapping[str, Any], where: str) -> dict[str, float]:
    if "middle" in position:
        middle = position["middle"]
        if not isinstance(middle, (list, tuple)) or len(middle) != 2:
            raise InvalidValueError(f"{where}: position 'middle' must be [x, y]")
        x, y = (_number(v, f"{where}: position middle") for v in middle)
        width = _number(position.get("width"), f"{where}: position width")
        height = _number(position.get("height"), f"{where}: position height")
        corners = {"minX": x - width / 2, "minY": y - height / 2}
        corners |= {"maxX": x + width / 2, "maxY": y + height / 2}
    elif all(name in position for name in ("minX", "minY", "maxX", "maxY")):
        corners = {
            name: _number(position[name], f"{where}: position {name}")
            for name in ("minX", "minY", "maxX", "maxY")
        }
    else:
        raise InvalidValueError(f"{where}: 'position' must be {_POSITION_FORMS}")
    if corners["maxX"] < corners["minX"] or corners["maxY"] < corners["minY"]:
        raise InvalidValueError(f"{where}: position has max below min ({corners})")
    return corners


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            value = float(value)  # NumPy scalars
        except (TypeError, ValueError):
            raise InvalidValueError(f"{where} must be a number, got {value!r}") from None
    number = float(value)
    if not math.isfinite(number):
        raise InvalidValueError(f"{where} must be finite, got {number}")
    return number


def _mask_source(group: Mapping[str, Any], where: str) -> Any:
    import numpy as np

    if "path" in group:
        path = group["path"]
        if not isinstance(path, (str, os.PathLike)) or Path(path).suffix.lower() != ".png":
            raise InvalidValueError(f"{where}: 'path' must name a .png file of class ids")
        try:
            data = Path(path).read_bytes()
            classes = decode_png(data)
        except (OSError, ValueError) as exc:
            raise InvalidValueError(f"{where}: cannot read {str(path)!r}: {exc}") from None
        if classes.shape[-1] != 1:  # decoded as H x W x channels
            raise InvalidValueError(f"{where}: {str(path)!r} must be a grayscale PNG of class ids")
        return data
    if "mask_data" not in group:
        raise InvalidValueError(f"{where} needs 'mask_data' (H x W class ids) or 'path'")
    data = group["mask_data"]
    if hasattr(data, "detach"):  # torch
        data = data.detach().cpu().numpy()
    array = np.asarray(data)
    if array.ndim != 2 or array.size == 0:
        raise InvalidValueError(
            f"{where}: 'mask_data' has shape {array.shape}; expected (H, W) class ids"
        )
    if array.dtype.kind not in "iub" or (array.size and (array.min() < 0 or array.max() > 255)):
        raise InvalidValueError(
            f"{where}: 'mask_data' must hold integer class ids 0..255 (dtype {array.dtype})"
        )
    return array.astype(np.uint8)  # a copy: later changes to mask_data are not logged
