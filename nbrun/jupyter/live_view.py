"""The live run widget's life: shown by ``init()`` in a notebook, fed by one daemon publisher
thread, frozen at ``finish()`` into a static snapshot that a saved notebook keeps.

Threads: the widget and its display are created on the caller's (main) thread; the publisher
thread alone folds logged rows and updates the view; ``finish`` stops it, then draws the final
state. A failure in the publisher is reported once and stops the updates, never the run.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbrun import environment, termlog
from nbrun.jupyter.live_history import LiveHistory, history_from_rows
from nbrun.jupyter.live_media import MediaDrawer, latest_cards
from nbrun.jupyter.snapshot import Chart, MediaCard, RunHeader, header_html, snapshot_html
from nbrun.jupyter.widget import CellView, HtmlView, WidgetView
from nbrun.record.reader import RecordLogReader

if TYPE_CHECKING:
    from nbrun.sdk.lifecycle import RunStatus
    from nbrun.sdk.run import Run

WAKE_SECONDS = 0.1  # how often the publisher folds queued rows
WIDGET_INTERVAL = 0.5  # at most two view updates a second
HTML_INTERVAL = 2.0  # the display_id fallback resends everything: update it less often
IDLE_INTERVAL = 5.0  # between updates while nothing is logged (the elapsed time still moves)
BYTES_PER_SECOND = 200_000  # well under iopub's default 1 MB/s rate limit
# Values folded per wake, at most: caps the thread's share of the GIL (~0.3 us a value) near 3 %
# of a core. Past that rate the backlog's oldest rows are dropped from the charts (only).
VALUES_PER_WAKE = 10_000
LIVE_POINTS = 200  # per chart sent to the browser
SNAPSHOT_POINTS = 200
JOIN_SECONDS = 5.0

_views: weakref.WeakKeyDictionary[Run, LiveRunView] = weakref.WeakKeyDictionary()


def show_live_widget(run: Run) -> LiveRunView | None:
    """Show ``run``'s live widget in the current cell, unless silenced, switched off, disabled
    or outside a notebook; returns it (None when nothing is shown)."""
    settings = run.settings
    if settings.silent or settings.show_widget is False or run.disabled:
        return None
    if not environment.in_notebook():
        return None
    try:
        view = LiveRunView(run)
        view.start()
    except Exception as exc:  # the widget must never keep a run from starting
        termlog.warn(f"the live widget could not be shown ({exc.__class__.__name__}: {exc})")
        return None
    _views[run] = view
    return view


def _choose_view(header: RunHeader) -> CellView:
    """Core ipywidgets where a widget manager renders them, else the HTML fallback."""
    try:
        import ipywidgets  # type: ignore[import-untyped]  # noqa: F401
    except ImportError:
        return HtmlView()
    if environment.frontend() is environment.Frontend.COLAB and not _enable_colab_widgets():
        return HtmlView()
    return WidgetView(header)


def _enable_colab_widgets() -> bool:
    try:
        from google.colab import output  # type: ignore[import-not-found]

        output.enable_custom_widget_manager()
    except Exception:  # an older Colab, or no Colab after all: widgets may not render
        return False
    return True


class LiveRunView:
    """One run's live view in its cell and the thread that keeps it current."""

    def __init__(self, run: Run) -> None:
        self._run = run
        self.history = LiveHistory(run.metric_definitions)
        self._media = MediaDrawer(_files_dir(run))
        self._stop = threading.Event()
        self._published: dict[str, int] = {}  # key -> version shown
        self.failed = False
        self.finished = False
        self._view = _choose_view(self.header())
        self._interval = WIDGET_INTERVAL if isinstance(self._view, WidgetView) else HTML_INTERVAL
        self._thread = threading.Thread(target=self._publish_loop, name="nbrun-widget", daemon=True)

    def start(self) -> None:
        """Display the view (on the calling thread), then start the publisher."""
        from IPython.display import display

        fallback = header_html(self.header()) + (
            "<div style='color:#57606a;font-size:12px'>Live charts need a Jupyter widget "
            "manager; the final charts appear here when the run finishes.</div>"
        )
        handle = display(self._view.bundle(fallback), raw=True, display_id=True)  # type: ignore[no-untyped-call]
        self._handle = handle
        if isinstance(self._view, HtmlView):
            self._view.handle = handle
        self._run._add_view(self.history.offer, self.finish)
        self._thread.start()

    # -- the publisher thread ----------------------------------------------------------------
    def _publish_loop(self) -> None:
        next_publish = time.monotonic() + self._interval
        idle_until = 0.0  # with no new rows, only the clock and sync state move: update rarely
        fresh = False
        while not self._stop.wait(WAKE_SECONDS):
            try:
                fresh = self.history.drain(VALUES_PER_WAKE) or fresh
                now = time.monotonic()
                if now < next_publish or (not fresh and now < idle_until):
                    continue
                sent = self._publish()
                fresh, idle_until = False, now + IDLE_INTERVAL
            except Exception as exc:  # the widget must never break the run
                self.failed = True
                termlog.warn(
                    f"the live widget stopped updating ({exc.__class__.__name__}: {exc}); "
                    "the run goes on and finish() still records everything"
                )
                return
            next_publish = time.monotonic() + max(self._interval, sent / BYTES_PER_SECOND)

    def _publish(self, limit: int = LIVE_POINTS, final: bool = False) -> int:
        history = self.history
        history.refresh_definitions()
        versions = history.versions()
        changed = {key for key, v in versions.items() if self._published.get(key) != v}
        charts = history.charts(limit)
        media = self._media.draw(history, final)
        sent = self._view.update(self.header(), charts, changed, media)
        self._published = versions
        return sent

    # -- what the header shows ---------------------------------------------------------------
    def header(self) -> RunHeader:
        return _header(self._run, self.history.last_step)

    # -- finish ------------------------------------------------------------------------------
    def finish(self) -> None:
        """Freeze the view in its final state and replace the output with the static snapshot
        (kept by saved notebooks). Called by ``run.finish()``; never raises."""
        if self.finished:
            return
        self.finished = True
        self._stop.set()
        _views.pop(self._run, None)  # after finish, snapshots come from the record log
        try:
            if self._thread.is_alive():
                self._thread.join(JOIN_SECONDS)
            if self._thread.is_alive():  # stuck mid-update: leave the view alone
                self.failed = True
            self.history.drain()
            if not self.failed and isinstance(self._view, WidgetView):
                self._publish(final=True)  # the widget's final state, for front-ends keeping it
            self._handle.update(
                {"text/html": self.snapshot_html(), "text/plain": repr(self._run)}, raw=True
            )
        except Exception as exc:
            termlog.warn(
                f"the live widget could not show the run's final snapshot "
                f"({exc.__class__.__name__}: {exc})"
            )

    def snapshot_html(self) -> str:
        """The static view of the run as the live history has it now (media: the latest value
        of each key, as the widget drew it)."""
        self.history.drain()
        self.history.refresh_definitions()
        media = self._media.draw(self.history, final=self.finished)
        cards = [drawn.card() for drawn in media]
        return _snapshot(self._run, self.header(), self.history.charts(SNAPSHOT_POINTS), cards)


def run_snapshot_html(run: Run) -> str:
    """The static view of ``run`` (charts, summary, config) from its live widget's buffers, or
    from its record log when no widget is shown."""
    shown = _views.get(run)
    if shown is not None:
        return shown.snapshot_html()
    status = run.status()
    rows: Iterable[dict[str, Any]] = ()
    if status.log_path is not None:
        run.detach()  # what was logged so far is in the file
        rows = (p for _, kind, p in RecordLogReader(status.log_path) if kind == "history")
    history = history_from_rows(rows, run.metric_definitions)
    charts = history.charts(SNAPSHOT_POINTS)
    header = _header(run, history.last_step)
    return _snapshot(run, header, charts, latest_cards(history, _files_dir(run)))


def _files_dir(run: Run) -> Path | None:
    """The run's ``files/`` folder, where media payloads point."""
    return None if run.disabled else Path(run.dir)


def _header(run: Run, step: int | None) -> RunHeader:
    status = run.status()
    return RunHeader(
        name=run.name,
        state=status.state,
        step=step,
        elapsed=time.time() - run.start_time,
        url=run.url,
        sync=_sync_phrase(
            run.offline, status.synced, status.upload_pending_bytes, status.upload_error
        ),
        alert=_log_alert(status),
    )


def _snapshot(
    run: Run, header: RunHeader, charts: list[Chart], media: Sequence[MediaCard] = ()
) -> str:
    summary = dict(run.summary.items())
    definitions = run.metric_definitions(summary)
    shown = {
        key: value
        for key, value in summary.items()
        if not key.startswith("_") and not ((d := definitions.get(key)) is not None and d.hidden)
    }
    return snapshot_html(header, charts, shown, run.config.as_dict(), media)


def _log_alert(status: RunStatus) -> str | None:
    """What the user must know about records not reaching the log, or None."""
    if status.log_error:
        return (
            f"cannot write the log ({status.log_error}): "
            f"{status.records_pending} records wait in memory"
        )
    if status.records_not_saved:
        return f"{status.records_not_saved} records not saved ({status.last_problem})"
    if status.records_refused:
        return f"{status.records_refused} records refused by the backend"
    return None


def _sync_phrase(
    offline: bool, synced: bool, pending_bytes: int | None, last_error: str | None
) -> str:
    if offline:
        return "offline"
    waiting = f"{(pending_bytes or 0) / 1000:.0f} kB"
    if last_error:
        return f"backend unreachable · {waiting} waiting on disk"
    if synced:
        return "synced"
    return f"syncing · {waiting} to upload" if pending_bytes else "syncing"
