"""Image ``boxes=`` and ``masks=`` in the reference's forms: kept in the payload (boxes) and as
run files (masks), read back as logged; bad overlays refused with what was wrong."""

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import nbrun
from nbrun.data_types.png import decode_png, encode_png

PIXELS = np.zeros((20, 40, 3), dtype=np.uint8)
LABELS = {0: "person", 1: "car"}


def box(**fields: Any) -> dict[str, Any]:
    return {
        "position": {"minX": 0.1, "maxX": 0.2, "minY": 0.3, "maxY": 0.4},
        "class_id": 1,
    } | fields


def test_boxes_in_either_position_form_are_kept_as_corners_with_labels_and_scores() -> None:
    image = nbrun.Image(
        PIXELS,
        boxes={
            "predictions": {
                "box_data": [
                    box(box_caption="car (0.9)", scores={"acc": np.float32(0.5)}),
                    {
                        "position": {"middle": [20, 10], "width": 10, "height": 4},
                        "domain": "pixel",
                        "class_id": 0,
                    },
                ],
                "class_labels": LABELS,
            }
        },
    )
    boxes = image._nbrun_value()["boxes"]
    assert boxes == {
        "predictions": {
            "box_data": [
                {
                    "position": {"minX": 0.1, "minY": 0.3, "maxX": 0.2, "maxY": 0.4},
                    "class_id": 1,
                    "box_caption": "car (0.9)",
                    "scores": {"acc": 0.5},
                },
                {
                    "position": {"minX": 15.0, "minY": 8.0, "maxX": 25.0, "maxY": 12.0},
                    "class_id": 0,
                    "domain": "pixel",
                },
            ],
            "class_labels": {"0": "person", "1": "car"},
        }
    }


def test_a_mask_is_stored_as_a_png_of_class_ids() -> None:
    mask = np.zeros((20, 40), dtype=np.int64)
    mask[5:10, 5:30] = 2
    image = nbrun.Image(PIXELS, masks={"ground_truth": {"mask_data": mask, "class_labels": LABELS}})
    reference = image._nbrun_value()["masks"]["ground_truth"]
    files = {f.path: f.data for f in image._nbrun_files()}
    assert reference["path"].startswith("media/images/masks/")
    assert reference["class_labels"] == {"0": "person", "1": "car"}
    assert reference["size"] == len(files[reference["path"]])
    assert (decode_png(files[reference["path"]])[:, :, 0] == mask).all()


def test_classes_name_the_groups_that_name_none(tmp_path: Path) -> None:
    mask_file = tmp_path / "mask.png"
    mask_file.write_bytes(encode_png(np.ones((20, 40), dtype=np.uint8)))
    image = nbrun.Image(
        PIXELS,
        classes=[{"id": 0, "name": "sky"}, {"id": 1, "name": "road"}],
        boxes={"p": {"box_data": [box()]}},
        masks={"m": {"path": str(mask_file)}},
    )
    value = image._nbrun_value()
    assert value["boxes"]["p"]["class_labels"] == {"0": "sky", "1": "road"}
    assert value["masks"]["m"]["class_labels"] == {"0": "sky", "1": "road"}


def test_overlays_are_logged_and_read_back(tmp_path: Path) -> None:
    mask = np.eye(20, 40, dtype=np.uint8)
    with nbrun.init(project="p", mode="offline") as run:
        image = nbrun.Image(
            PIXELS,
            boxes={"predictions": {"box_data": [box()], "class_labels": LABELS}},
            masks={"truth": {"mask_data": mask}},
        )
        run.log({"detections": image})
        files_dir = Path(run.dir)

    (row,) = nbrun.Api().run(f"{run.entity}/{run.project}/{run.id}").history(pandas=False)
    logged = row["detections"]
    assert logged["boxes"]["predictions"]["box_data"][0]["class_id"] == 1
    mask_path = files_dir / logged["masks"]["truth"]["path"]
    assert (decode_png(mask_path.read_bytes())[:, :, 0] == mask).all()


@pytest.mark.parametrize(
    ("overlays", "message"),
    [
        ({"boxes": [box()]}, "boxes must be a dict of group name"),
        ({"boxes": {"p": {"box_data": "x"}}}, r"boxes\['p'\]: 'box_data' must be a list"),
        ({"boxes": {"p": {"box_data": [{"class_id": 0}]}}}, "'position' must be"),
        ({"boxes": {"p": {"box_data": [box(class_id="car")]}}}, "'class_id' must be an int"),
        ({"boxes": {"p": {"box_data": [box(domain="percent")]}}}, "'domain' must be None"),
        (
            {
                "boxes": {
                    "p": {"box_data": [box(position={"minX": 1, "maxX": 0, "minY": 0, "maxY": 1})]}
                }
            },
            "max below min",
        ),
        (
            {"boxes": {"p": {"box_data": [box(scores={"a": "high"})]}}},
            r"scores\['a'\] must be a number",
        ),
        ({"boxes": {"p": {"box_data": [], "class_labels": {"x": "a"}}}}, "integer class ids"),
        (
            {"masks": {"m": {"mask_data": np.zeros((2, 2, 3))}}},
            r"shape \(2, 2, 3\); expected \(H, W\)",
        ),
        ({"masks": {"m": {"mask_data": np.full((2, 2), 300)}}}, "class ids 0..255"),
        ({"masks": {"m": {"mask_data": np.zeros((2, 2), dtype=float)}}}, "class ids 0..255"),
        ({"masks": {"m": {}}}, "needs 'mask_data'"),
        ({"masks": {"m": {"path": "mask.jpg"}}}, "must name a .png file"),
        ({"classes": "cats"}, "classes must be a list of"),
        ({"classes": [{"name": "cat"}]}, "classes must be a list of"),
    ],
)
def test_bad_overlays_name_what_is_wrong(overlays: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        nbrun.Image(PIXELS, **overlays)
