"""tests/notebooks/live_widget.ipynb executed by nbclient (a real kernel), saved, and exported
by nbconvert: the saved file keeps the widget's final state and a static snapshot that renders
without a kernel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from nbconvert import HTMLExporter

from tests.notebooks.conftest import badge, execute_saved, shown_step, snapshot_of

NOTEBOOK = Path(__file__).parent / "live_widget.ipynb"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return execute_saved(NOTEBOOK, tmp_path_factory.mktemp("saved-notebook"))


def test_the_notebook_runs_without_errors(saved: Any) -> None:
    outputs = [output for cell in saved.cells for output in cell.outputs]
    assert not [output for output in outputs if output["output_type"] == "error"]


def test_the_saved_output_is_the_static_snapshot_of_the_final_state(saved: Any) -> None:
    snapshot = snapshot_of(saved)
    assert "nbrun-snapshot" in snapshot
    assert badge(snapshot) == "Finished"
    assert shown_step(snapshot) == 300  # 0..299, plus the epoch row committed at finish
    assert "title='train/loss'" in snapshot and "title='val/acc'" in snapshot
    assert "x: epoch" in snapshot  # val/acc is drawn against its step metric
    assert "debug/grad" not in snapshot  # hidden
    assert "train/acc.last" in snapshot  # summary="last" keeps {"last": value} under the key
    assert "live &lt;b&gt;demo&lt;/b&gt;" in snapshot
    assert "&lt;script&gt;alert(&#x27;summary&#x27;)&lt;/script&gt;" in snapshot
    assert "<script" not in snapshot and "<img src=x" not in snapshot
    assert len(snapshot.encode()) < 200_000


def test_the_widget_models_are_saved_in_their_final_state(saved: Any) -> None:
    states = saved.metadata["widgets"][WIDGET_STATE]["state"]
    values = [
        m["state"].get("value", "") for m in states.values() if m["model_name"] == "HTMLModel"
    ]
    (header,) = [value for value in values if "nbrun-header" in value]
    assert badge(header) == "Finished"
    assert shown_step(header) == 300
    assert any("title='train/loss'" in value for value in values)
    assert sum(len(str(m)) for m in states.values()) < 200_000  # no plotting library inside


def test_nbconvert_html_shows_the_snapshot(saved: Any) -> None:
    body, _ = HTMLExporter().from_notebook_node(saved)
    assert "nbrun-snapshot" in body
    assert "title='train/loss'" in body or 'title="train/loss"' in body
