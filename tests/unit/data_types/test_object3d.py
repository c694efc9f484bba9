"""nbrun.Object3D: point clouds stored as JSON points, 3D files stored as they are; and
nbrun.Molecule, which refuses with a clear error."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import nbrun
from nbrun.data_types import object3d
from nbrun.errors import InvalidValueError


def stored(value: nbrun.Object3D) -> Any:
    [media_file] = value._nbrun_files()
    assert media_file.path == value._nbrun_value()["path"]
    return json.loads(media_file.data)


@pytest.mark.parametrize("columns", [3, 4, 6])
def test_an_array_of_points_is_stored_as_json_points(columns: int) -> None:
    points = np.arange(5 * columns, dtype=np.float64).reshape(5, columns) % 200

    cloud = nbrun.Object3D(points, caption="lidar")

    assert stored(cloud) == {"points": points.tolist()}
    value = cloud._nbrun_value()
    assert value["_type"] == "object3D-file"
    assert value["path"].startswith("media/object3d/") and value["path"].endswith(".pts.json")
    assert value["size"] == len(cloud._nbrun_files()[0].data) and len(value["sha256"]) == 64
    assert (value["format"], value["points"], value["caption"]) == ("pts.json", 5, "lidar")


def test_integer_points_lists_and_from_numpy_are_taken_and_the_same_cloud_shares_a_file() -> None:
    a = nbrun.Object3D.from_numpy(np.array([[1, 2, 3, 1]], dtype=np.int32))
    b = nbrun.Object3D([[1, 2, 3, 1]])

    assert stored(a) == {"points": [[1, 2, 3, 1]]}
    assert a._nbrun_value() == b._nbrun_value() and "caption" not in a._nbrun_value()


def test_a_scene_dict_keeps_its_boxes_and_vectors_as_given() -> None:
    corners = [[x, y, z] for x in (0, 1) for y in (0, 1) for z in (0, 1)]
    boxes = np.array([{"corners": corners, "label": "car", "color": [0, 255, 0], "score": 0.9}])
    vectors = [{"start": [0, 0, 0], "end": np.array([1.0, 1.0, 1.0])}]

    scene = nbrun.Object3D(
        {"type": "lidar/beta", "points": np.zeros((2, 3)), "boxes": boxes, "vectors": vectors}
    )

    assert stored(scene) == {
        "type": "lidar/beta",
        "points": [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]],
        "boxes": [{"corners": corners, "label": "car", "color": [0, 255, 0], "score": 0.9}],
        "vectors": [{"start": [0, 0, 0], "end": [1.0, 1.0, 1.0]}],
    }
    assert scene._nbrun_value()["points"] == 2
    made = nbrun.Object3D.from_point_cloud(np.zeros((2, 3)), list(boxes), vectors)
    assert made._nbrun_value() == scene._nbrun_value()


@pytest.mark.parametrize("suffix", [".obj", ".gltf", ".glb", ".stl", ".OBJ"])
def test_a_3d_file_is_stored_as_is(tmp_path: Path, suffix: str) -> None:
    source = tmp_path / f"model{suffix}"
    source.write_bytes(b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")

    model = nbrun.Object3D.from_file(str(source))

    assert model._nbrun_files()[0].data == source.read_bytes()
    value = model._nbrun_value()
    assert value["format"] == suffix[1:].lower() and value["points"] is None
    assert value["path"].endswith(f".{suffix[1:].lower()}")


@pytest.mark.parametrize("document", [[[0, 0, 0], [1, 1, 1]], {"points": [[0, 0, 0], [1, 1, 1]]}])
def test_a_pts_json_file_is_stored_as_is_with_its_points_counted(
    tmp_path: Path, document: Any
) -> None:
    source = tmp_path / "scan.pts.json"
    source.write_text(json.dumps(document))

    cloud = nbrun.Object3D(source)

    assert cloud._nbrun_files()[0].data == source.read_bytes()
    assert (cloud._nbrun_value()["format"], cloud._nbrun_value()["points"]) == ("pts.json", 2)


def test_a_file_object_needs_its_file_type() -> None:
    model = nbrun.Object3D.from_file(io.StringIO("v 0 0 0\n"), file_type="obj")
    assert model._nbrun_files()[0].data == b"v 0 0 0\n"
    assert nbrun.Object3D(io.BytesIO(b"[[1, 2, 3]]"), file_type="pts.json").points == 1
    with pytest.raises(InvalidValueError, match=r"needs file_type, one of glb, gltf, obj"):
        nbrun.Object3D(io.StringIO("v 0 0 0\n"))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (np.zeros((4, 5)), r"data_or_path has shape \(4, 5\); expected a NumPy array of shape"),
        (np.zeros(3), r"has shape \(3,\); expected .*\(N, 4\) \[x, y, z, category\]"),
        (np.array([["a", "b", "c"]]), r"has dtype <U1; expected numbers"),
        (np.array([[True, False, True]]), r"has dtype bool; expected numbers"),
        (np.array([[0.0, np.nan, 1.0]]), r"holds NaN or infinite values"),
        (np.array([[0.0, 1.0, np.inf]]), r"holds NaN or infinite values"),
        (np.zeros((0, 3)), r"is empty"),
        (np.array([[0, 0, 0, 256, 0, 0]]), r"colours outside 0\.\.255"),
        ([[0, 1, 2], [3, 4]], r"(ragged|has shape)"),
        ({1, 2, 3}, r"got builtins\.set; Object3D takes a NumPy array"),
        (42, r"got builtins\.int; Object3D takes .*\.pts\.json file"),
    ],
)
def test_bad_arrays_name_the_argument_and_the_accepted_forms(data: Any, message: str) -> None:
    with pytest.raises(InvalidValueError, match=message):
        nbrun.Object3D(data)


def test_a_cloud_over_the_cap_is_refused_naming_the_cap() -> None:
    assert object3d.MAX_POINTS == 300_000
    with pytest.raises(InvalidValueError, match=r"300,001 points; at most 300,000 are logged"):
        nbrun.Object3D(np.zeros((300_001, 3), dtype=np.float32))


@pytest.mark.parametrize(
    ("scene", "message"),
    [
        ({"points": np.zeros((1, 3))}, r"scene dict needs 'type': 'lidar/beta', got None"),
        ({"type": "lidar/beta"}, r"scene dict needs 'points'"),
        ({"type": "lidar/beta", "points": np.zeros((1, 2))}, r"scene 'points' has shape"),
        ({"type": "lidar/beta", "points": [[0, 0, 0]], "boxes": "car"}, r"'boxes' must be a list"),
        ({"type": "lidar/beta", "points": [[0, 0, 0]], "vectors": [1]}, r"'vectors' must be"),
        ({"type": "lidar/beta", "points": [[0, 0, 0]], "meshes": []}, r"unknown keys \['meshes'\]"),
        (
            {"type": "lidar/beta", "points": [[0, 0, 0]], "boxes": [{"label": object()}]},
            r"cannot be stored as JSON",
        ),
    ],
)
def test_bad_scene_dicts_say_what_is_wrong(scene: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidValueError, match=message):
        nbrun.Object3D(scene)


def test_bad_files_say_the_accepted_extensions_or_why_they_cannot_be_read(tmp_path: Path) -> None:
    (tmp_path / "mesh.ply").write_bytes(b"ply")
    with pytest.raises(InvalidValueError, match=r"unsupported type '.ply'; Object3D takes .*\.stl"):
        nbrun.Object3D(tmp_path / "mesh.ply")
    with pytest.raises(InvalidValueError, match=r"missing\.obj' cannot be read"):
        nbrun.Object3D(str(tmp_path / "missing.obj"))
    (tmp_path / "bad.pts.json").write_text("{not json")
    with pytest.raises(InvalidValueError, match=r"bad\.pts\.json' is not a point cloud"):
        nbrun.Object3D(tmp_path / "bad.pts.json")
    with pytest.raises(InvalidValueError, match=r"caption must be a string, got int"):
        nbrun.Object3D(np.zeros((1, 3)), caption=3)  # type: ignore[arg-type]


def test_molecule_raises_a_clear_error_naming_what_to_log_instead() -> None:
    with pytest.raises(InvalidValueError, match=r"nbrun\.Molecule is not supported") as raised:
        nbrun.Molecule("protein.pdb", caption="x")
    assert "run.save(" in str(raised.value) and "nbrun.Object3D" in str(raised.value)
    with pytest.raises(InvalidValueError, match=r"not supported"):
        nbrun.Molecule.from_smiles("CCO")
