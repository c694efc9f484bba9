"""Outside a notebook: no widget, and the static view of a run is built from its record log.
(The widget itself is tested in a real kernel: tests/notebooks/test_live_widget_in_kernel.py.)"""

from __future__ import annotations

from typing import Any

import nbrun
from nbrun.jupyter.live_view import run_snapshot_html, show_live_widget


def test_a_plain_process_shows_no_widget(offline_settings: dict[str, Any]) -> None:
    run = nbrun.init(**{**offline_settings, "settings": {"console": "off"}})
    assert show_live_widget(run) is None
    run.finish()


def test_the_snapshot_of_a_run_without_widget_comes_from_its_record_log(
    offline_settings: dict[str, Any],
) -> None:
    run = nbrun.init(name="<i>r</i>", **offline_settings)
    run.define_metric("secret", hidden=True)
    for step in range(500):
        run.log({"train/loss": 1 / (step + 1), "secret": step})
    run.summary["best"] = 0.5
    document = run_snapshot_html(run)  # while the run is open
    assert "title='train/loss'" in document and "secret" not in document
    assert "step <b class='nbrun-step'>499</b>" in document
    assert "&lt;i&gt;r&lt;/i&gt;" in document and ">Running<" in document
    run.finish()
    assert ">Finished<" in run_snapshot_html(run)
