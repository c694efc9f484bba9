"""What the layers above the run plug into it. The run never imports them: the facade
(``nbrun/__init__.py``) attaches the notebook's views (:mod:`nbrun.jupyter.views`) and the
console capture (:mod:`nbrun.integrations.console`) here, and the run asks this module.

Without them a run still works: it shows as plain text and its console output is not saved.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from nbrun.sync.online import OnlineSync

# The run type: generic here, so that this module, which the Run imports, never imports it.
RunT = TypeVar("RunT", contravariant=True)


class RunViews(Protocol[RunT]):
    """How a front-end shows runs: a live view when a run starts, and the run drawn on demand.
    ``online`` is the run's link to its backend (None for offline and disabled runs)."""

    def run_started(self, run: RunT) -> None:
        """``run`` has just started in this process (and is the active run if it should be)."""

    def html(self, run: RunT, online: OnlineSync | None, height: int, hidden: bool) -> str:
        """``run.to_html()``."""

    def show(self, run: RunT, online: OnlineSync | None, height: int, hidden: bool) -> bool:
        """``run.display()``: False, and nothing shown, where the front-end cannot show it."""

    def mime_bundle(self, run: RunT, online: OnlineSync | None) -> dict[str, Any]:
        """What a bare ``run`` at the end of a cell renders with."""


class ConsoleCapture(Protocol):
    """Copies the process's stdout and stderr into a run's ``output.log`` from ``start()`` to
    ``stop()``; ``start()`` raises ``OSError`` when the log cannot be written."""

    def start(self) -> None: ...
    def stop(self) -> None: ...


# The log's path and the callback that records each flushed batch of lines (stream, text).
ConsoleCaptureFactory = Callable[[Path, Callable[[str, str], None]], ConsoleCapture]


class PlainViews:
    """The views of a process with no front-end attached: no live view, runs as text."""

    def run_started(self, run: object) -> None:
        pass

    def html(self, run: object, online: OnlineSync | None, height: int, hidden: bool) -> str:
        return f"<pre>{html.escape(repr(run))}</pre>"

    def show(self, run: object, online: OnlineSync | None, height: int, hidden: bool) -> bool:
        return False

    def mime_bundle(self, run: object, online: OnlineSync | None) -> dict[str, Any]:
        return {"text/plain": repr(run)}


_views: RunViews[Any] = PlainViews()
_console_capture: ConsoleCaptureFactory | None = None


def attach_views(views: RunViews[Any]) -> None:
    """Show runs with ``views`` from now on."""
    global _views
    _views = views


def views() -> RunViews[Any]:
    """The views runs are shown with."""
    return _views


def attach_console_capture(factory: ConsoleCaptureFactory) -> None:
    """Capture the console output of runs that ask for it with ``factory`` from now on."""
    global _console_capture
    _console_capture = factory


def console_capture() -> ConsoleCaptureFactory | None:
    """How to capture a run's console output, or None when nothing is attached to do it."""
    return _console_capture
