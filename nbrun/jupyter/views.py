"""The notebook's views of a run, attached to every run through :mod:`nbrun.sdk.hooks` by the
facade: the live widget and the ``%nbrun`` magics when a run starts in a notebook, and the
iframe of ``run.to_html()``, ``run.display()`` and a bare ``run`` in a cell."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nbrun.environment import in_notebook
from nbrun.jupyter.magics import register_magics

if TYPE_CHECKING:
    from nbrun.sdk.run import Run
    from nbrun.sync.online import OnlineSync


class NotebookViews:
    """:class:`nbrun.sdk.hooks.RunViews` for Jupyter kernels (and the HTML of runs anywhere).

    The live view and the display module are imported on first use: they load the backend
    client (requests) and the widget code, which ``import nbrun`` must not.
    """

    def run_started(self, run: Run) -> None:
        if not in_notebook():
            return
        from nbrun.jupyter.live_view import show_live_widget

        register_magics()
        show_live_widget(run)

    def html(self, run: Run, online: OnlineSync | None, height: int, hidden: bool) -> str:
        from nbrun.jupyter.display import run_html

        return run_html(run, online, height=height, hidden=hidden)

    def show(self, run: Run, online: OnlineSync | None, height: int, hidden: bool) -> bool:
        from nbrun.jupyter.display import show

        return show(run, online, height=height, hidden=hidden)

    def mime_bundle(self, run: Run, online: OnlineSync | None) -> dict[str, Any]:
        from nbrun.jupyter.display import mime_bundle

        return mime_bundle(run, online)
