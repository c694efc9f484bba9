"""Media encoding off the caller's thread: ``log()`` hands rows holding media to encoder threads
that encode them (PNG ...); a recorder thread writes their files and records the rows, in
``log()`` order.

``log()`` copies what it must (an image's pixels, in ``Image()``) and returns. Encoders work on
several rows at once; rows are recorded one by one in the order of the calls, and while rows
wait here every later row waits behind them. The queue is bounded by the bytes its values hold
(``MAX_PENDING_BYTES``) and by its length: past either, ``log()`` waits for the encoders, so a
loop that logs an image every step runs in flat memory.

Whatever reads the history's state (``run.step``, the summary, ``define_metric``, finish) first
calls :meth:`MediaPipeline.drain`, so it sees every row logged before it. A value that fails to
encode, or whose file cannot be written, is recorded as null with a warning naming its key; the
rest of its row is kept.
"""

from __future__ import annotations

import collections
import dataclasses
import os
import threading
from collections.abc import Callable
from typing import Any

from nbrun import termlog
from nbrun.data_types.media import Media, MediaFile, PendingValue
from nbrun.sdk.history import History, as_step
from nbrun.sdk.media_names import name_row_files

MAX_PENDING_BYTES = 64 << 20  # of media values not recorded yet
MAX_PENDING_ROWS = 10_000
# Encoders working at once (zlib and NumPy let go of the GIL): rows are still recorded in order.
ENCODER_THREADS = max(1, min(4, os.cpu_count() or 1))


@dataclasses.dataclass(eq=False)
class _Entry:
    """One ``log()`` call waiting to be recorded."""

    row: dict[str, Any]
    step: Any
    commit: bool | None
    media: list[Media]
    size: int
    encoded: threading.Event = dataclasses.field(default_factory=threading.Event)
    failed: set[int] = dataclasses.field(default_factory=set)  # ids of media that failed


class MediaPipeline:
    """One run's encoder threads and recorder thread (started on first use) in front of its
    ``History``: encoders take rows in order and may finish out of order; the recorder records
    each row once it is encoded and every row before it is recorded."""

    def __init__(
        self, history: History, write_media: Callable[[list[MediaFile]], None] | None
    ) -> None:
        self._history = history
        self._write_media = write_media
        self._to_encode: collections.deque[_Entry] = collections.deque()
        self._to_record: collections.deque[_Entry] = collections.deque()
        self._queued_bytes = 0
        self._busy = 0  # rows submitted and not yet recorded
        self._changed = threading.Condition()
        self._started = False

    @property
    def busy(self) -> bool:
        """Rows are waiting: a new row must wait behind them."""
        return self._busy > 0

    @property
    def waiting_rows(self) -> int:
        """Rows submitted and not recorded yet."""
        return self._busy

    def submit(
        self, row: dict[str, Any], step: Any, commit: bool | None, media: list[Media]
    ) -> None:
        """Record ``row`` (with its ``media``) after the rows before it; waits while the queue
        is full. A bad ``step`` raises here, in the caller."""
        if step is not None:
            step = as_step(step)
        size = sum(value._nbrun_pending_bytes() for value in media)
        entry = _Entry(row, step, commit, media, size)
        with self._changed:
            while self._busy and (
                self._queued_bytes + size > MAX_PENDING_BYTES or self._busy >= MAX_PENDING_ROWS
            ):
                self._changed.wait()
            if media:
                self._to_encode.append(entry)
            else:
                entry.encoded.set()
            self._to_record.append(entry)
            self._queued_bytes += size
            self._busy += 1
            if not self._started:
                self._start()
            self._changed.notify_all()

    def drain(self) -> None:
        """Wait until every submitted row is recorded."""
        if not self._busy:
            return
        with self._changed:
            while self._busy:
                self._changed.wait()

    def _start(self) -> None:
        self._started = True
        workers = [(self._record_loop, "nbrun-media-recorder")]
        workers += [(self._encode_loop, "nbrun-media-encoder")] * ENCODER_THREADS
        for target, name in workers:
            threading.Thread(target=target, name=name, daemon=True).start()

    def _encode_loop(self) -> None:
        while True:
            with self._changed:
                while not self._to_encode:
                    self._changed.wait()
                entry = self._to_encode.popleft()
            for value in entry.media:
                try:
                    value._nbrun_files()  # encodes, once
                except Exception as exc:
                    entry.failed.add(id(value))
                    termlog.warn(
                        f"a logged {type(value).__name__} could not be encoded "
                        f"({exc.__class__.__name__}: {exc}); it is recorded as null"
                    )
            entry.encoded.set()

    def _record_loop(self) -> None:
        while True:
            with self._changed:
                while not self._to_record:
                    self._changed.wait()
                entry = self._to_record[0]
            entry.encoded.wait()
            try:
                self._record(entry)
            except Exception as exc:  # never lose the rows behind this one
                problem = f"{exc.__class__.__name__}: {exc}"
                termlog.warn(f"a logged row could not be recorded ({problem})")
            with self._changed:
                self._to_record.popleft()
                self._queued_bytes -= entry.size
                self._busy -= 1
                self._changed.notify_all()

    def _record(self, entry: _Entry) -> None:
        failed = entry.failed
        row = {key: _resolve(key, value, failed) for key, value in entry.row.items()}
        stored = [value for value in entry.media if id(value) not in failed]
        if stored:
            # The step this row lands on (rows are recorded here alone while any wait).
            step = self._history.step
            if entry.step is not None and entry.step > step:
                step = entry.step
            row, files = name_row_files(row, stored, step)
            if self._write_media is not None:
                try:
                    self._write_media(files)
                except OSError as exc:
                    termlog.warn(f"media files of a logged row could not be written: {exc}")
        self._history.log(row, entry.step, entry.commit)


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
