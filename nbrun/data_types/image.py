"""``nbrun.Image``: an image logged into the history, stored once as a file of the run."""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nbrun.data_types.image_overlays import (
    boxes_payload,
    checked_masks,
    class_labels,
    encode_masks,
)
from nbrun.data_types.media import Media, MediaFile, StoredBytes, content_path, read_media_file
from nbrun.data_types.png import encode_png, png_size
from nbrun.errors import InvalidValueError

_FILE_FORMATS = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".gif": "gif", ".webp": "webp"}
MEDIA_FOLDER = "media/images"


class Image(Media):
    """An image from a NumPy array (H×W, H×W×C or C×H×W; floats in [0, 1] or [-1, 1] are
    scaled), a torch tensor, a PIL image, a matplotlib figure or an image file path, with
    optional ``boxes`` and ``masks`` overlays (:mod:`nbrun.data_types.image_overlays`).

    ``run.log({"samples": nbrun.Image(array, caption="epoch 3")})``

    An array is checked and copied here; its PNG is made when first needed, which for a value
    given to ``run.log`` is on the run's encoder threads, not the caller's.
    """

    MAX_ITEMS = 108  # images in one gallery (a list under one key), as the reference

    def __init__(
        self,
        data_or_path: Any,
        mode: str | None = None,
        caption: str | None = None,
        grouping: int | None = None,
        classes: Any = None,
        boxes: Any = None,
        masks: Any = None,
        file_type: str | None = None,
        normalize: bool = True,
    ) -> None:
        if caption is not None and not isinstance(caption, str):
            raise InvalidValueError(f"Image caption must be a string, got {type(caption).__name__}")
        if file_type not in (None, "png"):
            raise InvalidValueError(f"Image file_type {file_type!r} is not supported; use 'png'")
        self.caption = caption
        self.grouping = grouping
        self._lock = threading.Lock()
        self._pixels: Any = None  # checked and copied pixels, until encoded
        self._normalize = normalize
        self._data, self._path = b"", ""
        self.format = "png"
        self.width: int | None = None
        self.height: int | None = None
        if hasattr(data_or_path, "detach"):  # torch
            data_or_path = data_or_path.detach().cpu().numpy()
        if type(data_or_path).__module__ == "numpy" or isinstance(data_or_path, (list, tuple)):
            self._pixels = _pixel_array(data_or_path)
            self.height, self.width = (int(n) for n in self._pixels.shape[:2])
        else:
            self._data, self.format = _image_bytes(data_or_path, mode)
            self._path = content_path(
                MEDIA_FOLDER, self._data, "jpg" if self.format == "jpeg" else self.format
            )
            size = png_size(self._data) if self.format == "png" else None
            if size:
                self.width, self.height = size
        self._boxes = boxes_payload(boxes) if boxes is not None else None
        self._masks: dict[str, Any] | None = None
        self._mask_files: list[StoredBytes] = []
        # Checked and copied masks, until encoded.
        self._masks_to_encode = checked_masks(masks) if masks is not None else None
        if classes is not None:
            _default_labels(classes, self._boxes, self._masks_to_encode)

    def _encode(self) -> None:
        """Make the PNG of an array, once (any thread)."""
        with self._lock:
            if self._pixels is not None:
                self._data = encode_png(_to_uint8(self._pixels, self._normalize))
                self._path = content_path(MEDIA_FOLDER, self._data, "png")
                self._pixels = None
            if self._masks_to_encode is not None:
                self._masks, self._mask_files = encode_masks(self._masks_to_encode)
                self._masks_to_encode = None

    def _nbrun_deferred(self) -> str | None:
        pending = self._pixels is not None or self._masks_to_encode is not None
        return "image-file" if pending else None

    def _nbrun_pending_bytes(self) -> int:
        arrays = [self._pixels] + [
            group["source"] for group in (self._masks_to_encode or {}).values()
        ]
        return sum(int(getattr(array, "nbytes", 0)) for array in arrays if array is not None)

    def _nbrun_value(self) -> dict[str, Any]:
        self._encode()
        value: dict[str, Any] = {
            "_type": "image-file",
            "path": self._path,
            "format": self.format,
            "size": len(self._data),
            "width": self.width,
            "height": self.height,
        }
        if self.caption is not None:
            value["caption"] = self.caption
        if self._boxes:
            value["boxes"] = self._boxes
        if self._masks:
            value["masks"] = self._masks
        return value

    def _nbrun_files(self) -> list[MediaFile]:
        self._encode()
        return [MediaFile(self._path, self._data), *(m.file() for m in self._mask_files)]

    def __repr__(self) -> str:
        stored = "not encoded yet" if self._pixels is not None else f"{len(self._data)} bytes"
        return f"Image({self.format}, {self.width}x{self.height}, {stored})"


def _default_labels(classes: Any, *groups: dict[str, Any] | None) -> None:
    """``classes`` (the reference's ``[{"id": 0, "name": "cat"}, ...]`` or ``{0: "cat"}``) names
    the classes of every overlay group that names none itself."""
    classes = getattr(classes, "_class_set", classes)  # a Classes object of the reference
    try:
        if isinstance(classes, (list, tuple)):
            classes = {entry["id"]: entry["name"] for entry in classes}
        if not isinstance(classes, Mapping):
            raise TypeError
    except (TypeError, KeyError):
        raise InvalidValueError(
            "Image classes must be a list of {'id': int, 'name': str} or a dict {id: name}"
        ) from None
    labels = class_labels(classes, "Image classes")
    for overlay in groups:
        for group in (overlay or {}).values():
            if not group["class_labels"]:
                group["class_labels"] = dict(labels)


def _image_bytes(data: Any, mode: str | None) -> tuple[bytes, str]:
    if isinstance(data, (str, os.PathLike)):
        return read_media_file(
            "Image", Path(data), _FILE_FORMATS, f"one of {', '.join(sorted(_FILE_FORMATS))}"
        )
    if hasattr(data, "savefig"):  # a matplotlib figure
        buffer = io.BytesIO()
        data.savefig(buffer, format="png", bbox_inches="tight")
        return buffer.getvalue(), "png"
    if hasattr(data, "save") and hasattr(data, "mode") and hasattr(data, "size"):  # PIL
        buffer = io.BytesIO()
        (data.convert(mode) if mode else data).save(buffer, format="PNG")
        return buffer.getvalue(), "png"
    raise InvalidValueError(
        f"Image takes a NumPy array, a torch tensor, a PIL image, a matplotlib figure or a file "
        f"path; got {type(data).__module__}.{type(data).__qualname__}"
    )


def _pixel_array(data: Any) -> Any:
    """``data`` as pixels (H, W) or (H, W, 3|4), checked, in memory of its own (the caller may
    change theirs once ``log()`` returns)."""
    import numpy as np

    array = np.asarray(data)
    if array.ndim == 3 and array.shape[0] in (1, 3, 4) and array.shape[-1] not in (1, 3, 4):
        array = np.transpose(array, (1, 2, 0))  # channels first (torch) -> channels last
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[-1] not in (3, 4)):
        raise InvalidValueError(
            f"Image array has shape {array.shape}; expected (H, W), (H, W, 3|4) or (3|4, H, W)"
        )
    if array.size == 0:
        raise InvalidValueError("Image array is empty")
    if array.dtype.kind not in "biuf":
        raise InvalidValueError(f"Image array has dtype {array.dtype}; expected numbers")
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise InvalidValueError("Image array holds NaN or infinite values")
    return np.array(array, order="C", copy=True)


def _to_uint8(array: Any, normalize: bool) -> Any:
    """Checked pixels as 8-bit: booleans as 0/255, floats in [0, 1] or [-1, 1] scaled."""
    import numpy as np

    if array.dtype.kind == "b":
        return array.astype(np.uint8) * 255
    if array.dtype.kind == "f":
        low, high = float(array.min()), float(array.max())
        if normalize and low >= 0.0 and high <= 1.0:
            array = array * 255.0
        elif normalize and low >= -1.0 and high <= 1.0:
            array = (array + 1.0) * 127.5
    return np.clip(np.rint(array) if array.dtype.kind == "f" else array, 0, 255).astype(np.uint8)
