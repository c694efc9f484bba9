"""``nbrun.Object3D``: a point cloud or a 3D model logged into the history, stored once as a file
of the run.

Point clouds (NumPy N×3, N×4 or N×6 arrays, or the reference's ``lidar/beta`` scene dicts with
boxes and vectors) are written as JSON ``{"points": [[x, y, z, ...], ...]}`` in a ``.pts.json``
file, written on the run's encoder thread when logged (the constructor checks and copies the
points); 3D files (.obj, .gltf, .glb, .stl, .pts.json) are stored as they are.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson

from nbrun.data_types.media import OneFileMedia, read_media_file
from nbrun.errors import InvalidValueError
from nbrun.protocol.media import OBJECT3D

MAX_POINTS = 300_000  # a larger cloud is refused: the dashboard draws every point
POINTS_FORMAT = "pts.json"
FILE_FORMATS = {suffix: suffix[1:] for suffix in (".obj", ".gltf", ".glb", ".stl")}
SCENE_TYPE = "lidar/beta"
_ARRAY_FORMS = (
    "a NumPy array of shape (N, 3) [x, y, z], (N, 4) [x, y, z, category] or (N, 6) "
    "[x, y, z, r, g, b] (r, g, b in 0..255), a scene dict {'type': 'lidar/beta', 'points': "
    "array, 'boxes': [...], 'vectors': [...]}, or a path to a .obj, .gltf, .glb, .stl or "
    ".pts.json file"
)


class Object3D(OneFileMedia):
    """A 3D point cloud from a NumPy array or a ``lidar/beta`` scene dict, or a 3D file's path.

    ``run.log({"cloud": nbrun.Object3D(points, caption="epoch 3")})``. Arrays are N×3 (x, y, z),
    N×4 (x, y, z, category) or N×6 (x, y, z, r, g, b with colours in 0..255), at most
    ``MAX_POINTS`` points. Scene dicts keep their ``boxes`` and ``vectors`` (lists of dicts) as
    given. Files (.obj, .gltf, .glb, .stl, .pts.json) are stored as they are; a file object
    needs ``file_type``.
    """

    KIND = OBJECT3D

    def __init__(
        self, data_or_path: Any, caption: str | None = None, *, file_type: str | None = None
    ) -> None:
        super().__init__()
        if caption is not None and not isinstance(caption, str):
            raise InvalidValueError(
                f"Object3D caption must be a string, got {type(caption).__name__}"
            )
        self.caption = caption
        if isinstance(data_or_path, (str, os.PathLike)):
            data, self.format, self.points = _read_file(Path(data_or_path))
        elif hasattr(data_or_path, "read"):
            data, self.format, self.points = _read_stream(data_or_path, file_type)
        else:
            if isinstance(data_or_path, Mapping):
                document = _scene(data_or_path)
            else:
                document = {"points": _points(data_or_path, "data_or_path")}
            points = document["points"]
            self.points, self.format = len(points), POINTS_FORMAT
            self._store_later(document, _points_json, POINTS_FORMAT, points.nbytes)
            return
        self._store_file(data, self.format)

    @classmethod
    def from_numpy(cls, data: Any) -> Object3D:
        """A point cloud from an N×3, N×4 or N×6 NumPy array (as the reference's)."""
        return cls(data)

    @classmethod
    def from_file(cls, data_or_path: Any, file_type: str | None = None) -> Object3D:
        """A 3D file by path, or a file object whose ``file_type`` (``obj``, ``gltf``, ``glb``,
        ``stl``, ``pts.json``) is given (as the reference's)."""
        if isinstance(data_or_path, (str, os.PathLike)):
            return cls(data_or_path)
        return cls(data_or_path, file_type=file_type)

    @classmethod
    def from_point_cloud(
        cls,
        points: Any,
        boxes: Any,
        vectors: Any = None,
        point_cloud_type: str = SCENE_TYPE,
    ) -> Object3D:
        """A scene: points with 3D boxes (``corners``, ``label``, ``color``) and vectors
        (``start``, ``end``), as the reference's."""
        scene = {"type": point_cloud_type, "points": points, "boxes": boxes}
        return cls(scene if vectors is None else {**scene, "vectors": vectors})

    def _nbrun_value(self) -> dict[str, Any]:
        value = self._file().reference(OBJECT3D)
        value["format"] = self.format
        value["points"] = self.points
        if self.caption is not None:
            value["caption"] = self.caption
        return value

    def __repr__(self) -> str:
        counted = "" if self.points is None else f"{self.points} points, "
        return f"Object3D({self.format}, {counted}{self._stored_size()})"


def _points_json(document: dict[str, Any]) -> bytes:
    return orjson.dumps(document, option=orjson.OPT_SERIALIZE_NUMPY)


def _read_file(path: Path) -> tuple[bytes, str, int | None]:
    cloud = path.name.lower().endswith(".pts.json")  # its suffix alone is .json
    formats = {".json": POINTS_FORMAT} if cloud else FILE_FORMATS
    data, file_format = read_media_file("Object3D", path, formats, _ARRAY_FORMS)
    points = _count_points(data, repr(str(path))) if file_format == POINTS_FORMAT else None
    return data, file_format, points


def _read_stream(stream: Any, file_type: str | None) -> tuple[bytes, str, int | None]:
    formats = {POINTS_FORMAT, *FILE_FORMATS.values()}
    if file_type not in formats:
        raise InvalidValueError(
            f"Object3D from a file object needs file_type, one of {', '.join(sorted(formats))}; "
            f"got {file_type!r}"
        )
    try:
        content = stream.read()
    except (OSError, ValueError) as exc:
        raise InvalidValueError(f"Object3D file object cannot be read: {exc}") from None
    data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
    points = _count_points(data, "file object") if file_type == POINTS_FORMAT else None
    return data, file_type, points


def _count_points(data: bytes, where: str) -> int:
    """The points of a ``.pts.json`` file: a list of points, or ``{"points": [...], ...}``."""
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError:
        document = None
    points = document.get("points") if isinstance(document, dict) else document
    if not isinstance(points, list):
        raise InvalidValueError(
            f"Object3D file {where} is not a point cloud: a .pts.json file holds a JSON list of "
            "points [[x, y, z, ...], ...] or {'points': [...]}"
        )
    return len(points)


def _scene(scene: Mapping[str, Any]) -> dict[str, Any]:
    """A ``lidar/beta`` scene checked: its points copied, its boxes and vectors as JSON values."""
    kind = scene.get("type")
    if kind != SCENE_TYPE:
        raise InvalidValueError(
            f"Object3D scene dict needs 'type': {SCENE_TYPE!r}, got {kind!r}; Object3D takes "
            f"{_ARRAY_FORMS}"
        )
    unknown = sorted(set(scene) - {"type", "points", "boxes", "vectors"})
    if unknown:
        raise InvalidValueError(
            f"Object3D scene dict has unknown keys {unknown}; it takes 'type', 'points', "
            "'boxes' and 'vectors'"
        )
    if "points" not in scene:
        raise InvalidValueError("Object3D scene dict needs 'points' (an N×3, N×4 or N×6 array)")
    extras = {name: _dict_list(scene[name], name) for name in ("boxes", "vectors") if name in scene}
    try:  # checked now, and copied: later changes to the user's lists are not logged
        extras = orjson.loads(orjson.dumps(extras, option=orjson.OPT_SERIALIZE_NUMPY))
    except orjson.JSONEncodeError as exc:
        raise InvalidValueError(f"Object3D scene dict cannot be stored as JSON: {exc}") from None
    return {"type": SCENE_TYPE, "points": _points(scene["points"], "scene 'points'"), **extras}


def _dict_list(items: Any, name: str) -> list[dict[str, Any]]:
    if type(items).__module__ == "numpy" and hasattr(items, "tolist"):
        items = items.tolist()
    if not isinstance(items, (list, tuple)) or not all(isinstance(i, Mapping) for i in items):
        raise InvalidValueError(
            f"Object3D scene {name!r} must be a list of dicts (boxes: {{'corners': 8 × [x, y, "
            "z], 'label': str, 'color': [r, g, b]}}; vectors: {'start': [x, y, z], 'end': "
            f"[x, y, z]}}), got {type(items).__name__}"
        )
    return [dict(item) for item in items]


def _points(data: Any, argument: str) -> Any:
    """The points checked, as a contiguous copy that ``orjson`` writes (float64 or int64)."""
    try:
        import numpy as np
    except ImportError:
        raise InvalidValueError(
            "Object3D from an array needs NumPy: pip install 'nbrun[media]'"
        ) from None
    if hasattr(data, "detach"):  # torch
        data = data.detach().cpu().numpy()
    if not (type(data).__module__ == "numpy" or isinstance(data, (list, tuple))):
        raise InvalidValueError(
            f"Object3D {argument}: got {type(data).__module__}.{type(data).__qualname__}; "
            f"Object3D takes {_ARRAY_FORMS}"
        )
    try:
        array = np.asarray(data)
    except ValueError:  # ragged nested lists
        raise InvalidValueError(f"Object3D {argument} is ragged; expected {_ARRAY_FORMS}") from None
    if array.ndim != 2 or array.shape[1] not in (3, 4, 6):
        raise InvalidValueError(
            f"Object3D {argument} has shape {array.shape}; expected {_ARRAY_FORMS}"
        )
    if array.dtype.kind not in "iuf":
        raise InvalidValueError(
            f"Object3D {argument} has dtype {array.dtype}; expected numbers (integers or floats)"
        )
    if array.shape[0] == 0:
        raise InvalidValueError(f"Object3D {argument} is empty (shape {array.shape})")
    if array.shape[0] > MAX_POINTS:
        raise InvalidValueError(
            f"Object3D {argument} has {array.shape[0]:,} points; at most {MAX_POINTS:,} are "
            "logged (subsample the cloud)"
        )
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise InvalidValueError(f"Object3D {argument} holds NaN or infinite values")
    if array.shape[1] == 6 and (array[:, 3:].min() < 0 or array[:, 3:].max() > 255):
        raise InvalidValueError(
            f"Object3D {argument} of shape (N, 6) holds colours outside 0..255; expected "
            "[x, y, z, r, g, b] with r, g, b in 0..255"
        )
    return np.array(array, dtype=np.float64 if array.dtype.kind == "f" else np.int64, order="C")
