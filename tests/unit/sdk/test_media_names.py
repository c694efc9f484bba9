"""Files of logged media are named by key, step and content (the reference's names), stored
once per content; files held inside other values keep their content names."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

import nbrun
from nbrun.protocol.media import logged_file_path


def logged(run: nbrun.Run) -> tuple[list[dict[str, Any]], Path]:
    rows: list[dict[str, Any]] = nbrun.Api().run(run.path).history(pandas=False)
    return rows, Path(run.dir)


def test_a_key_with_folders_odd_characters_and_dots_stays_inside_its_kind_folder() -> None:
    content = "media/images/0123456789abcdef0123456789abcdef.png"
    assert logged_file_path(content, "val/sample", 3) == (
        "media/images/val/sample_3_0123456789abcdef0123.png"
    )
    odd = logged_file_path(content, "../../etc/pass wd<>", 0)
    assert odd == "media/images/_/_/etc/pass_wd__0_0123456789abcdef0123.png"
    assert ".." not in odd.split("/")
    long = logged_file_path("media/tables/ab.table.json", "k" * 500, 1)
    assert long == f"media/tables/{'k' * 100}_1_ab.table.json"


def test_a_gallery_masks_and_nested_keys_are_named_for_their_key_and_step(tmp_path: Path) -> None:
    mask = {"pred": {"mask_data": np.eye(4, dtype=np.uint8), "class_labels": {0: "bg", 1: "x"}}}
    first, second = nbrun.Image(np.zeros((4, 4))), nbrun.Image(np.ones((4, 4)), masks=mask)
    with nbrun.init(project="p", mode="offline") as run:
        run.log({"gallery": [first, second]}, step=2)
        run.log({"val": {"page": nbrun.Html("<b>x</b>")}}, step=7)

    rows, files = logged(run)
    gallery = rows[0]["gallery"]
    assert [item["path"].rsplit("_", 1)[0] for item in gallery] == ["media/images/gallery_2"] * 2
    assert gallery[1]["masks"]["pred"]["path"].startswith("media/images/masks/gallery_2_")
    assert rows[1]["val.page"]["path"].startswith("media/html/val.page_7_")
    for payload in (*gallery, gallery[1]["masks"]["pred"], rows[1]["val.page"]):
        assert (files / payload["path"]).is_file()


def test_a_table_cell_keeps_its_content_name_while_the_same_image_logged_alone_is_named(
    tmp_path: Path,
) -> None:
    image = nbrun.Image(np.eye(5))
    with nbrun.init(project="p", mode="offline") as run:
        run.log({"sample": image, "table": nbrun.Table(columns=["image"], data=[[image]])})
        run.log({"sample": image})

    rows, files = logged(run)
    content_name = image._nbrun_files()[0].path
    table = (files / rows[0]["table"]["path"]).read_text()
    assert content_name in table  # the table's file refers to its cell by content
    named = [files / row["sample"]["path"] for row in rows]
    assert [path.name.split("_")[:2] for path in named] == [["sample", "0"], ["sample", "1"]]
    # Three names, one copy on disk.
    inodes = {os.stat(path).st_ino for path in (*named, files / content_name)}
    assert len(inodes) == 1
