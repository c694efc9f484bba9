"""Masks and boxes drawn into thumbnails: in their class colours, where the payload puts them."""

import base64
from pathlib import Path
from typing import Any

import numpy as np

import nbrun
from nbrun.data_types.png import decode_png, encode_png
from nbrun.jupyter.media_html import MediaRenderer
from nbrun.jupyter.overlays import draw_overlays
from nbrun.protocol.media import CLASS_COLOURS, MASK_ALPHA
from tests.html_elements import Elements


def rgb(class_id: int) -> list[int]:
    colour = CLASS_COLOURS[class_id % len(CLASS_COLOURS)]
    return [int(colour[i : i + 2], 16) for i in (1, 3, 5)]


def stored(image: Any, files: Path) -> dict[str, Any]:
    """The image's payload with its files written under ``files`` (as a run would)."""
    for media_file in image._nbrun_files():
        (files / media_file.path).parent.mkdir(parents=True, exist_ok=True)
        (files / media_file.path).write_bytes(media_file.data)
    value: dict[str, Any] = image._nbrun_value()
    return value


def finder(files: Path) -> Any:
    return lambda relative: files / relative if isinstance(relative, str) else None


def test_a_box_is_outlined_in_its_class_colour_in_either_domain(tmp_path: Path) -> None:
    pixels = np.zeros((20, 40, 3), dtype=np.uint8)
    boxes = {
        "p": {
            "box_data": [
                {
                    "position": {"minX": 0.25, "maxX": 0.75, "minY": 0.25, "maxY": 0.75},
                    "class_id": 1,
                },
                {
                    "position": {"minX": 2, "maxX": 6, "minY": 2, "maxY": 6},
                    "domain": "pixel",
                    "class_id": 2,
                },
            ]
        }
    }
    value = stored(nbrun.Image(pixels, boxes=boxes), tmp_path)
    # Drawn into a thumbnail half the size: pixel boxes scale with it.
    drawn = draw_overlays(pixels[::2, ::2], value, finder(tmp_path))
    assert drawn.shape == (10, 20, 3)
    assert drawn[2, 5].tolist() == rgb(1)  # top-left corner of the fraction box
    assert drawn[7, 14].tolist() == rgb(1)  # bottom-right corner
    assert drawn[5, 10].tolist() == [0, 0, 0]  # inside: not filled
    assert drawn[1, 1].tolist() == rgb(2) and drawn[2, 2].tolist() == rgb(2)


def test_a_mask_is_blended_in_class_colours_leaving_the_unnamed_background_clear(
    tmp_path: Path,
) -> None:
    pixels = np.full((20, 40, 3), 200, dtype=np.uint8)
    mask = np.zeros((20, 40), dtype=np.uint8)
    mask[:, 20:] = 3
    value = stored(nbrun.Image(pixels, masks={"truth": {"mask_data": mask}}), tmp_path)
    drawn = draw_overlays(pixels, value, finder(tmp_path))
    assert drawn[5, 5].tolist() == [200, 200, 200]
    expected = [round(200 * (1 - MASK_ALPHA) + c * MASK_ALPHA) for c in rgb(3)]
    assert drawn[5, 30].tolist() == expected


def test_a_missing_mask_file_leaves_the_image_as_it_is(tmp_path: Path) -> None:
    pixels = np.full((4, 4, 1), 90, dtype=np.uint8)
    value = nbrun.Image(pixels[:, :, 0], masks={"m": {"mask_data": np.ones((4, 4), int)}})
    drawn = draw_overlays(pixels, value._nbrun_value(), finder(tmp_path))
    assert drawn.tolist() == np.full((4, 4, 3), 90).tolist()  # grey made RGB, nothing else


def test_a_mask_file_given_by_path_is_drawn(tmp_path: Path) -> None:
    (tmp_path / "m.png").write_bytes(encode_png(np.ones((4, 4), dtype=np.uint8)))
    pixels = np.zeros((4, 4, 3), dtype=np.uint8)
    files = tmp_path / "files"
    value = stored(nbrun.Image(pixels, masks={"m": {"path": str(tmp_path / "m.png")}}), files)
    drawn = draw_overlays(pixels, value, finder(files))
    assert drawn[0, 0].tolist() == [round(c * MASK_ALPHA) for c in rgb(1)]


def test_the_widget_thumbnail_shows_the_overlays(tmp_path: Path) -> None:
    pixels = np.zeros((256, 256, 3), dtype=np.uint8)
    corners = {"minX": 0.5, "maxX": 1.0, "minY": 0.5, "maxY": 1.0}
    boxes = {"p": {"box_data": [{"position": corners, "class_id": 4}]}}
    plain = stored(nbrun.Image(pixels), tmp_path)
    boxed = stored(nbrun.Image(pixels, boxes=boxes), tmp_path)
    renderer = MediaRenderer(tmp_path)
    (plain_png,) = Elements(renderer.frame(plain, 0) or "").sources
    (boxed_png,) = Elements(renderer.frame(boxed, 0) or "").sources
    thumbnail = decode_png(base64.b64decode(boxed_png.split(",", 1)[1]))
    assert thumbnail.shape == (128, 128, 3)  # downscaled, then drawn on
    assert thumbnail[64, 64].tolist() == rgb(4) and thumbnail[127, 127].tolist() == rgb(4)
    assert thumbnail[100, 100].tolist() == [0, 0, 0]
    assert boxed_png != plain_png  # one file, two thumbnails: cached apart
