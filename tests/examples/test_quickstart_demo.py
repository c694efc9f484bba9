"""The README's main job, run the way a new user runs it (minus the wait for Ctrl-C)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat

import nbrun
from nbrun.sync.embedded import stop_embedded_server

DEMO = Path(__file__).resolve().parents[2] / "examples" / "quickstart_demo.py"


def download(remote: Any, path: str, tmp_path: Path) -> bytes:
    return bytes(remote.file(path).download(root=str(tmp_path / "dl")).read_bytes())


def test_the_demo_runs_the_quickstart_notebook_into_the_embedded_server(tmp_path: Path) -> None:
    try:
        done = subprocess.run(
            [sys.executable, str(DEMO), "--no-wait", "--output-dir", str(tmp_path / "out")],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        url = re.search(r"the run's dashboard: (http://127\.0\.0\.1:\d+/\S+)", done.stdout)
        assert url, done.stdout
        entity, project, _, run_id = url.group(1).split("/")[3:]

        notebook = nbformat.read(tmp_path / "out" / "quickstart.ipynb", as_version=4)
        outputs = [o for c in notebook.cells for o in c.get("outputs", [])]
        assert [o for o in outputs if o.output_type == "error"] == []
        # The widget's models are saved; its output became the static snapshot at finish().
        assert "application/vnd.jupyter.widget-state+json" in notebook.metadata["widgets"]
        html = [o.data.get("text/html", "") for o in outputs if "data" in o]
        (snapshot,) = [h for h in html if "nbrun-snapshot" in h]
        assert "title='val/acc'" in snapshot and "title='train/loss'" in snapshot
        # Media payloads are leaves: the image, histogram, table and chart are no line charts.
        leaves = r"val/sample|weights|val/predictions|val/confusion"
        assert not re.search(rf"title='({leaves})[./]", snapshot), snapshot[:2000]
        # display(): the run page through the Jupyter server extension's proxy, no token.
        iframes = [h for h in html if h.startswith("<iframe")]
        assert iframes and f'src="/nbrun/{entity}/{project}/runs/{run_id}?embed=1"' in iframes[0]
        remote = nbrun.Api().run(f"{entity}/{project}/{run_id}")
        assert remote.state == "finished", (remote.state, done.stdout, done.stderr[-3000:])
        history = remote.history(pandas=False)
        assert len([row for row in history if "train/loss" in row]) == 1000
        images = [row["val/sample"]["path"] for row in history if "val/sample" in row]
        assert len(images) == 5
        assert {f.name for f in remote.files()} >= set(images)
        # The table of predictions and the confusion matrix, read back from the backend.
        [row] = [row for row in history if "val/predictions" in row]
        table = json.loads(download(remote, row["val/predictions"]["path"], tmp_path))
        assert table["columns"] == ["id", "truth", "prediction"] and len(table["data"]) == 60
        chart = row["val/confusion"]
        assert (chart["_type"], chart["preset"]) == ("plot", "confusion_matrix")
        matrix = json.loads(download(remote, chart["table"]["path"], tmp_path))
        assert len(matrix["data"]) == 9 and sum(cell[2] for cell in matrix["data"]) == 60
    finally:
        stop_embedded_server()
