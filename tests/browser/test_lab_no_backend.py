"""JupyterLab with nbrun installed, and a notebook that never uses it: the extension reads
nothing from the backend, so the proxy never starts the embedded nbrun server."""

from __future__ import annotations

from typing import Any

from tests.browser.lab_fixture import Lab, lab

__all__ = ["lab"]  # the fixture, imported for pytest to find

WAIT_MS = 60_000  # an upper bound for the page to catch up, never a speed check


def test_a_notebook_without_nbrun_starts_no_nbrun_server(lab: Lab, new_page: Any) -> None:
    lab.write_notebook("plain.ipynb", "print(6 * 7)")
    page = new_page().page
    lab.open_notebook(page, "plain.ipynb")

    lab.run_cell(page, 0)
    page.locator(".jp-OutputArea-output", has_text="42").wait_for(timeout=WAIT_MS)

    # The status-bar plugin has followed this notebook since it opened, long before now.
    data_dir = lab.root.parent / "nbrun-data"
    assert not (data_dir / "server.json").exists()
