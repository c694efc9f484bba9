"""The record writer: a background thread that appends framed records to the run's log file.

Callers only append to an in-memory deque (no lock, no I/O); the thread drains it, assigns
sequence numbers in append order, frames records in batches and writes them. Data reaches the
OS at least every ``flush_interval`` and the disk (fsync) at least every ``fsync_interval``.

Nothing stops the thread: a record that cannot be encoded, or is larger than
``MAX_RECORD_BYTES``, is skipped and reported, and every other record is written. While the disk
refuses writes (full, say) the thread keeps the records in memory and retries; past
``MAX_BUFFERED_ON_ERROR`` records it drops new history rows and console lines (counted, and
reported) rather than grow without bound or stall the training loop. At close it retries for
``error_grace`` seconds, then counts what it could not save.
"""

from __future__ import annotations

import collections
import contextlib
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nbrun.protocol.limits import MAX_FRAME_BYTES, MAX_RECORD_BYTES
from nbrun.record import types as kinds
from nbrun.record.framing import FRAME_HEAD_SIZE, HEADER, encode_frame

# Records per frame: bounds frame size (and what a torn tail can take) while amortising framing.
MAX_RECORDS_PER_FRAME = 1024
# Records queued beyond this make append() wait for the writer, so a loop that does nothing but
# log cannot outrun it: memory stays flat and a record reaches the file within the flush interval.
MAX_PENDING = 8192
# Records kept in memory while the disk refuses writes (about 50 MB of rows of ten scalars).
# Past it, new history rows and console lines are dropped (and counted); the run's own records
# (config, summary, exit, ...) are always kept.
MAX_BUFFERED_ON_ERROR = 100_000
_DROPPABLE = frozenset({kinds.HISTORY, kinds.CONSOLE})


class _Barrier:
    """Queued behind records; the writer sets ``done`` once everything before it is written."""

    __slots__ = ("done", "fsync")

    def __init__(self, fsync: bool) -> None:
        self.fsync = fsync
        self.done = threading.Event()


class _GaveUp(Exception):
    """The log is closing and the disk still refuses writes after the grace period."""


class RecordWriter:
    """Appends ``[seq, kind, payload]`` records to one record-log file from a writer thread.

    ``on_problem`` is called (from the writer thread) with a message for the user when a record
    is skipped, when writing first fails, when records start being dropped, and when writing
    works again."""

    def __init__(
        self,
        path: Path,
        *,
        flush_interval: float = 0.05,
        fsync_interval: float = 0.5,
        next_seq: int = 1,
        resume_offset: int | None = None,
        on_problem: Callable[[str], None] | None = None,
    ) -> None:
        """Open ``path`` for writing. With ``resume_offset``, append to an existing log after
        truncating anything past that offset (a torn tail left by a crash)."""
        self.path = path
        self._flush_interval = flush_interval
        self._fsync_interval = fsync_interval
        self._next_seq = next_seq
        self._on_problem = on_problem
        self._queue: collections.deque[Any] = collections.deque()
        self._wake = threading.Event()
        self._progress = threading.Event()
        self._closing = False
        self._give_up_at = float("inf")
        self.error: OSError | None = None  # the last write error, while it lasts
        self.records_written = 0
        self.records_skipped = 0  # could not be encoded, or too large
        self.records_dropped = 0  # not kept while the disk refused writes (buffer full)
        self.records_unsaved = 0  # still in memory when close() gave up
        self.last_problem: str | None = None
        self.last_fsync = time.time()
        if resume_offset is None:
            self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            self._write_all(HEADER)
        else:
            self._fd = os.open(path, os.O_WRONLY)
            os.ftruncate(self._fd, resume_offset)
            os.lseek(self._fd, resume_offset, os.SEEK_SET)
        self._offset = os.lseek(self._fd, 0, os.SEEK_CUR)
        self._unsynced = True
        self._thread = threading.Thread(target=self._run, name="nbrun-record-writer", daemon=True)
        self._thread.start()

    @property
    def pending(self) -> int:
        """Records appended but not yet written to the file."""
        return len(self._queue)

    @property
    def next_seq(self) -> int:
        """The sequence number the next written record will get."""
        return self._next_seq

    @property
    def records_lost(self) -> int:
        """Records that reached the writer but are not in the log (skipped, dropped, unsaved)."""
        return self.records_skipped + self.records_dropped + self.records_unsaved

    def append(self, kind: str, payload: Any) -> None:
        """Queue one record. ``payload`` must not be mutated afterwards. Returns at once unless
        ``MAX_PENDING`` records are already waiting (then it waits for the writer to catch up)."""
        queue = self._queue
        queue.append((kind, payload))
        if len(queue) > MAX_PENDING:
            self._catch_up()

    def _catch_up(self) -> None:
        queue = self._queue
        if self.error is not None:
            # The disk refuses writes: waiting could last forever, so keep records in memory
            # (the training loop never stalls on nbrun), up to a bound.
            last = queue[-1]
            if len(queue) > MAX_BUFFERED_ON_ERROR and type(last) is tuple and last[0] in _DROPPABLE:
                queue.pop()
                self.records_dropped += 1
                if self.records_dropped == 1:
                    self._report(
                        f"{MAX_BUFFERED_ON_ERROR} records wait in memory for the disk; new "
                        "history rows and console lines are dropped until writing works again"
                    )
            return
        while len(queue) > MAX_PENDING // 2 and self.error is None:
            if not self._thread.is_alive():
                return
            self._progress.clear()
            self._wake.set()
            self._progress.wait(0.05)

    def flush(self, *, fsync: bool = True, timeout: float | None = 10.0) -> bool:
        """Wait until every record appended so far is written (and fsynced); False on timeout."""
        if not self._thread.is_alive():
            return not self._queue
        barrier = _Barrier(fsync)
        self._queue.append(barrier)
        self._wake.set()
        return barrier.done.wait(timeout)

    def close(self, timeout: float | None = 30.0, error_grace: float = 5.0) -> None:
        """Write everything queued, fsync, and close the file. While the disk refuses writes,
        retry for ``error_grace`` seconds, then give up: ``records_unsaved`` counts the rest."""
        if self._closing:
            return
        self._give_up_at = time.monotonic() + error_grace
        self._closing = True
        self._wake.set()
        self._thread.join(timeout)
        if not self._thread.is_alive():
            os.close(self._fd)

    def _report(self, message: str) -> None:
        self.last_problem = message
        if self._on_problem is not None:
            with contextlib.suppress(Exception):  # a broken reporter must not stop the writer
                self._on_problem(message)

    def _run(self) -> None:
        try:
            while True:
                self._wake.wait(self._flush_interval)
                self._wake.clear()
                closing = self._closing
                self._drain()
                if self._unsynced and (
                    closing or time.time() - self.last_fsync >= self._fsync_interval
                ):
                    self._fsync()
                if closing and not self._queue:
                    return
        except _GaveUp:
            self._abandon()

    def _abandon(self) -> None:
        """Count what is left in memory as unsaved and release anyone waiting on a flush."""
        for entry in self._queue:
            if type(entry) is _Barrier:
                entry.done.set()
            else:
                self.records_unsaved += 1
        self._queue.clear()
        # Not printed: whoever closed the log reports the totals.
        self.last_problem = (
            f"{self.records_lost} record(s) could not be saved ({self.error}); "
            f"{self.path} holds the {self.records_written} written before"
        )

    def _drain(self) -> None:
        queue = self._queue
        popleft = queue.popleft
        while queue:
            entries = [popleft() for _ in range(min(len(queue), MAX_RECORDS_PER_FRAME))]
            barriers = [i for i, entry in enumerate(entries) if type(entry) is _Barrier]
            start = 0
            try:
                for index in barriers:
                    self._write_batch(entries[start:index])
                    barrier = entries[index]
                    if barrier.fsync:
                        self._fsync()
                    barrier.done.set()
                    start = index + 1
                self._write_batch(entries[start:] if start else entries)
            except _GaveUp:
                queue.extendleft(reversed(entries[start:]))  # counted as unsaved by _abandon
                raise

    def _write_batch(self, batch: list[Any]) -> None:
        if not batch:
            return
        try:
            frame = encode_frame(self._next_seq, batch)
        except Exception:  # msgpack raises several types for a value it cannot encode
            batch = self._encodable(batch)
            if not batch:
                return
            frame = encode_frame(self._next_seq, batch)
        if len(frame) - FRAME_HEAD_SIZE > MAX_FRAME_BYTES:
            # Large records (rare): frames stay within what the sender and the server take at
            # once, and a single record past the limit is skipped.
            if len(batch) > 1:
                half = len(batch) // 2
                self._write_batch(batch[:half])
                self._write_batch(batch[half:])
                return
            if len(frame) - FRAME_HEAD_SIZE > MAX_RECORD_BYTES:
                self._skip(batch[0][0], f"it takes {len(frame)} bytes (at most {MAX_RECORD_BYTES})")
                return
        self._write_frame(frame)
        self._next_seq += len(batch)
        self.records_written += len(batch)

    def _encodable(self, batch: list[Any]) -> list[Any]:
        """The records of ``batch`` that encode on their own; the others are skipped."""
        kept = []
        for entry in batch:
            try:
                encode_frame(0, [entry])
            except Exception as exc:
                self._skip(entry[0], f"it cannot be encoded ({exc.__class__.__name__}: {exc})")
                continue
            kept.append(entry)
        return kept

    def _skip(self, kind: str, why: str) -> None:
        self.records_skipped += 1
        self._report(f"a {kind} record was not written: {why}; every other record is")

    def _write_frame(self, frame: bytes) -> None:
        while True:
            try:
                self._write_all(frame)
                break
            except OSError as exc:
                # Disk full or similar: undo the partial frame so the log stays readable, keep
                # the records, and try again until close() gives up.
                first = self.error is None
                self.error = exc
                if first:
                    self._report(
                        f"cannot write the record log {self.path}: {exc}; records wait in "
                        "memory and writing resumes when it works again"
                    )
                try:
                    os.ftruncate(self._fd, self._offset)
                    os.lseek(self._fd, self._offset, os.SEEK_SET)
                except OSError:
                    pass
                if self._closing and time.monotonic() >= self._give_up_at:
                    raise _GaveUp from None
                self._wake.wait(self._flush_interval)
                self._wake.clear()
        if self.error is not None:
            self.error = None
            dropped = f"; {self.records_dropped} record(s) were dropped meanwhile" * bool(
                self.records_dropped
            )
            self._report(f"the record log is writable again{dropped}")
        self._offset += len(frame)
        self._unsynced = True
        self._progress.set()

    def _write_all(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view) :]

    def _fsync(self) -> None:
        try:
            os.fsync(self._fd)
        except OSError as exc:
            self.error = exc
            return
        self.last_fsync = time.time()
        self._unsynced = False


class NullWriter:
    """Stands in for :class:`RecordWriter` when nothing may be written (``mode="disabled"``)."""

    pending = 0
    records_written = 0
    records_skipped = records_dropped = records_unsaved = records_lost = 0
    last_problem: str | None = None
    error: OSError | None = None

    def append(self, kind: str, payload: Any) -> None:
        pass

    def flush(self, *, fsync: bool = True, timeout: float | None = None) -> bool:
        return True

    def close(self, timeout: float | None = None, error_grace: float = 0.0) -> None:
        pass
