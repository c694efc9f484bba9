"""Media encoding off the caller's thread: ``log()`` hands rows holding media to a thread that
encodes them (PNG ...), writes their files and records the rows, in ``log()`` order.

``log()`` copies what it must (an image's pixels, in ``Image()``) and returns. While rows wait
here, every later row waits behind them, so the history keeps the order of the calls. The queue
is bounded by the bytes its values hold (``MAX_PENDING_BYTES``) and by its length: past either,
``log()`` waits for the encoder, so a loop that logs an image every step runs in flat memory.

Whatever reads the history's state (``run.step``, the summary, ``define_metric``, finish) first
calls :meth:`MediaPipeline.drain`, so it sees every row logged before it. A value that fails to
encode, or whose file cannot be written, is recorded as null with a warning naming its key; the
rest of its row is kept.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable
from typing import Any

from nbrun import termlog
from nbrun.data_types.media import Media, PendingValue
from nbrun.sdk.history import History, as_step

MAX_PENDING_BYTES = 64 << 20  # of media values not encoded yet
MAX_PENDING_ROWS = 10_000

_Entry = tuple[dict[str, Any], Any, "bool | None", list[Media], int]


class MediaPipeline:
    """One run's encoder thread (started on first use) in front of its ``History``."""

    def __init__(self, history: History, write_media: Callable[[list[Media]], None] | None) -> None:
        self._history = history
        self._write_media = write_media
        self._queue: collections.deque[_Entry] = collections.deque()
        self._queued_bytes = 0
        self._busy = 0  # rows submitted and not yet recorded
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    @property
    def busy(self) -> bool:
        """Rows are waiting: a new row must wait behind them."""
        return self._busy > 0

    def submit(
        self, row: dict[str, Any], step: Any, commit: bool | None, media: list[Media]
    ) -> None:
        """Record ``row`` (with its ``media``) after the rows before it; waits while the queue
        is full. A bad ``step`` raises here, in the caller."""
        if step is not None:
            step = as_step(step)
        size = sum(value._nbrun_pending_bytes() for value in media)
        with self._changed:
            while self._busy and (
                self._queued_bytes + size > MAX_PENDING_BYTES or self._busy >= MAX_PENDING_ROWS
            ):
                self._changed.wait()
            self._queue.append((row, step, commit, media, size))
            self._queued_bytes += size
            self._busy += 1
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="nbrun-media-encoder", daemon=True
                )
                self._thread.start()
            self._changed.notify_all()

    def drain(self) -> None:
        """Wait until every submitted row is recorded."""
        if not self._busy:
            return
        with self._changed:
            while self._busy:
                self._changed.wait()

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._queue:
                    self._changed.wait()
                row, step, commit, media, size = self._queue[0]
            try:
                self._record(row, step, commit, media)
            except Exception as exc:  # never lose the rows behind this one
                termlog.warn(
                    f"a logged row could not be recorded ({exc.__class__.__name__}: {exc})"
                )
            with self._changed:
                self._queue.popleft()
                self._queued_bytes -= size
                self._busy -= 1
                self._changed.notify_all()

    def _record(
        self, row: dict[str, Any], step: Any, commit: bool | None, media: list[Media]
    ) -> None:
        failed: set[int] = set()
        for value in media:
            try:
                value._nbrun_files()  # encodes, once
            except Exception as exc:
                failed.add(id(value))
                termlog.warn(
                    f"a logged {type(value).__name__} could not be encoded "
                    f"({exc.__class__.__name__}: {exc}); it is recorded as null"
                )
        stored = [value for value in media if id(value) not in failed]
        if stored and self._write_media is not None:
            try:
                self._write_media(stored)
            except OSError as exc:
                termlog.warn(f"media files of a logged row could not be written: {exc}")
        resolved = {key: _resolve(key, value, failed) for key, value in row.items()}
        self._history.log(resolved, step, commit)


def _resolve(key: str, value: Any, failed: set[int]) -> Any:
    """``value`` with its pending media replaced by their payloads (null where they failed)."""
    if type(value) is PendingValue:
        if id(value.media) in failed:
            termlog.warn(f"log(): the value of {key!r} is recorded as null (see above)")
            return None
        return value.media._nbrun_value()
    if type(value) is dict:
        return {k: _resolve(key, v, failed) for k, v in value.items()}
    if type(value) is list:
        return [_resolve(key, v, failed) for v in value]
    return value
