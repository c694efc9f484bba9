"""Rich values of an online run reach the backend: the history reference and its file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

import nbrun


def test_a_logged_image_and_histogram_reach_the_backend(server: Any, tmp_path: Path) -> None:
    pixels = (np.arange(48, dtype=np.uint8) * 5).reshape(4, 4, 3)
    run = nbrun.init(project="media", settings={"silent": True, "console": "off"})
    run.log({"sample": nbrun.Image(pixels), "weights": nbrun.Histogram([1, 2, 2], num_bins=2)})
    run.finish()

    remote = nbrun.Api().run(run.path)
    [row] = remote.history(pandas=False)
    image_path = row["sample"]["path"]
    downloaded = remote.file(image_path).download(root=str(tmp_path / "dl"))
    assert downloaded.read_bytes() == nbrun.Image(pixels)._nbrun_files()[0].data
    assert row["weights"] == {"_type": "histogram", "values": [1.0, 2.0], "bins": [1.0, 1.5, 2.0]}
