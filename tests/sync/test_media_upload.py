"""Rich values of an online run reach the backend: the history reference and its files."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import nbrun
from nbrun.sync import sender as sender_module


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


def test_tables_html_figures_and_charts_reach_the_backend(server: Any, tmp_path: Path) -> None:
    go = pytest.importorskip("plotly.graph_objects")
    image = nbrun.Image(np.full((3, 3), 0.5), caption="<script>alert(1)</script>")
    table = nbrun.Table(columns=["id", "image", "<script>"], data=[[1, image, "<img onerror=x>"]])
    page = "<h1>report</h1><script>alert(document.domain)</script>"
    figure = go.Figure(go.Bar(x=["a", "b"], y=[1, 2]))
    chart = nbrun.plot.confusion_matrix(y_true=[0, 1, 1], preds=[0, 1, 0], class_names=["a", "b"])
    run = nbrun.init(project="media", settings={"silent": True, "console": "off"})
    run.log({"table": table, "page": nbrun.Html(page, inject=False), "fig": figure, "cm": chart})
    run.finish()

    remote = nbrun.Api().run(run.path)
    [row] = remote.history(pandas=False)

    def file_bytes(path: str) -> bytes:
        return remote.file(path).download(root=str(tmp_path / "dl"), replace=True).read_bytes()

    assert row["table"] == {**table._nbrun_value(), "path": row["table"]["path"]}
    content = json.loads(file_bytes(row["table"]["path"]))
    assert content == {
        "columns": ["id", "image", "<script>"],
        "data": [[1, image._nbrun_value(), "<img onerror=x>"]],
    }
    assert file_bytes(content["data"][0][1]["path"]) == image._nbrun_files()[0].data
    assert file_bytes(row["page"]["path"]).decode() == page
    assert file_bytes(row["fig"]["path"]) == figure.to_json().encode()
    assert row["cm"]["preset"] == "confusion_matrix"
    assert json.loads(file_bytes(row["cm"]["table"]["path"]))["data"][2] == ["b", "a", 1]
    names = {f.name for f in remote.files()}
    assert {row["table"]["path"], row["page"]["path"], row["cm"]["table"]["path"]} <= names


def test_a_live_rows_media_file_is_on_the_backend_when_the_row_is(
    server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The periodic scan of files/ never comes round during the test: only the rows' own
    # upload order can put the file there in time.
    monkeypatch.setattr(sender_module, "FILE_SCAN_SECONDS", 3600.0)
    run = nbrun.init(project="media", settings={"silent": True, "console": "off"})
    try:
        run.log({"sample": nbrun.Image(np.full((4, 4), 0.5))})
        deadline = time.monotonic() + 30
        rows: list[dict[str, Any]] = []
        while not rows and time.monotonic() < deadline:
            try:
                remote = nbrun.Api().run(run.path)
                rows = remote.history(pandas=False)
            except nbrun.Error:  # the run is not on the backend yet
                pass
            time.sleep(0.05)
        [row] = rows
        names = {f.name for f in remote.files()}
        assert row["sample"]["path"] in names  # the run is still going: no final scan yet
    finally:
        run.finish()
