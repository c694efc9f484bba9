import hashlib
from pathlib import Path

import numpy as np
import pytest

import nbrun
from nbrun.data_types.png import png_size


def test_a_float_array_in_unit_range_is_scaled_to_bytes() -> None:
    image = nbrun.Image(np.full((4, 6, 3), 0.5), caption="half grey")

    value = image._nbrun_value()

    assert value["_type"] == "image-file"
    assert (value["width"], value["height"], value["format"]) == (6, 4, "png")
    assert value["caption"] == "half grey"
    assert value["path"].startswith("media/images/") and value["path"].endswith(".png")
    [media_file] = image._nbrun_files()
    assert media_file.path == value["path"] and len(media_file.data) == value["size"]


def test_channels_first_arrays_are_transposed() -> None:
    image = nbrun.Image(np.zeros((3, 8, 5), dtype=np.uint8))

    assert (image.width, image.height) == (5, 8)


def test_the_same_pixels_give_the_same_file() -> None:
    a = nbrun.Image(np.eye(4))
    b = nbrun.Image(np.eye(4))

    assert a._nbrun_value()["path"] == b._nbrun_value()["path"]


def test_an_image_file_path_is_stored_as_is(tmp_path: Path) -> None:
    source = tmp_path / "cat.png"
    source.write_bytes(nbrun.Image(np.ones((2, 3)))._nbrun_files()[0].data)

    image = nbrun.Image(source)

    assert image._nbrun_files()[0].data == source.read_bytes()
    assert png_size(source.read_bytes()) == (3, 2)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (np.zeros((2, 2, 7)), r"shape \(2, 2, 7\)"),
        (np.array([[np.nan, 1.0]]), "NaN"),
        (np.zeros((0, 3)), "empty"),
        (object(), "NumPy array, a torch tensor"),
        ("missing.png", "cannot be read"),
        ("notes.txt", "unsupported type '.txt'"),
    ],
)
def test_bad_image_input_names_what_is_wrong(data: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        nbrun.Image(data)


def test_a_logged_image_is_named_by_key_step_and_content_and_stored_once(tmp_path: Path) -> None:
    with nbrun.init(project="p", mode="offline") as run:
        pixels = np.random.default_rng(0).random((8, 8, 3))
        run.log({"val/sample": nbrun.Image(pixels), "loss": 1.0})
        run.log({"val/sample": nbrun.Image(pixels)}, step=5)
        files_dir = Path(run.dir)

    digest = hashlib.sha256(nbrun.Image(pixels)._nbrun_files()[0].data).hexdigest()[:20]
    names = [f"media/images/val/sample_{step}_{digest}.png" for step in (0, 5)]
    history = nbrun.Api().run(f"{run.entity}/{run.project}/{run.id}").history(pandas=False)
    assert [row["val/sample"]["path"] for row in history] == names
    stored = sorted(p.relative_to(files_dir).as_posix() for p in files_dir.glob("media/**/*.png"))
    assert stored == names
    first, second = (files_dir / name for name in names)
    assert first.stat().st_ino == second.stat().st_ino  # one copy on disk


def test_a_bad_image_in_log_records_nothing_of_that_call(tmp_path: Path) -> None:
    with nbrun.init(project="p", mode="offline") as run:
        with pytest.raises(ValueError, match="shape"):
            run.log({"loss": 1.0, "sample": nbrun.Image(np.zeros((2, 2, 9)))})
        run.log({"loss": 2.0})

    history = nbrun.Api().run(f"{run.entity}/{run.project}/{run.id}").history(pandas=False)
    assert [row["loss"] for row in history] == [2.0]


def test_a_gallery_past_the_cap_keeps_the_first_images_and_says_so(
    capsys: pytest.CaptureFixture[str],
) -> None:
    images = [nbrun.Image(np.full((2, 2), i, dtype=np.uint8)) for i in range(110)]
    with nbrun.init(project="p", mode="offline") as run:
        run.log({"gallery": images, "loss": 1.0})
    (row,) = nbrun.Api().run(run.path).history(pandas=False)
    assert len(row["gallery"]) == nbrun.Image.MAX_ITEMS == 108 and row["loss"] == 1.0
    assert "110 images under 'gallery'; a gallery holds at most 108" in capsys.readouterr().err
