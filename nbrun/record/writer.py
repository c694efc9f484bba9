"""The record writer: a background thread that appends framed records to the run's log file.

Callers only append to an in-memory deque (no lock, no I/O); the thread drains it, assigns
sequence numbers in append order, frames records in batches and writes them. Data reaches the
OS at least every ``flush_interval`` and the disk (fsync) at least every ``fsync_interval``.
"""

from __future__ import annotations

import collections
import os
import threading
import time
from pathlib import Path
from typing import Any

from nbrun.record.framing import HEADER, encode_frame

# Records per frame: bounds frame size (and what a torn tail can take) while amortising framing.
MAX_RECORDS_PER_FRAME = 1024
# Records queued beyond this make append() wait for the writer, so a loop that does nothing but
# log cannot outrun it: memory stays flat and a record reaches the file within the flush interval.
MAX_PENDING = 8192


class _Barrier:
    """Queued behind records; the writer sets ``done`` once everything before it is written."""

    __slots__ = ("done", "fsync")

    def __init__(self, fsync: bool) -> None:
        self.fsync = fsync
        self.done = threading.Event()


class RecordWriter:
    """Appends ``[seq, kind, payload]`` records to one record-log file from a writer thread."""

    def __init__(
        self,
        path: Path,
        *,
        flush_interval: float = 0.05,
        fsync_interval: float = 0.5,
        next_seq: int = 1,
        resume_offset: int | None = None,
    ) -> None:
        """Open ``path`` for writing. With ``resume_offset``, append to an existing log after
        truncating anything past that offset (a torn tail left by a crash)."""
        self.path = path
        self._flush_interval = flush_interval
        self._fsync_interval = fsync_interval
        self._next_seq = next_seq
        self._queue: collections.deque[Any] = collections.deque()
        self._wake = threading.Event()
        self._progress = threading.Event()
        self._closing = False
        self.error: OSError | None = None
        self.records_written = 0
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

    def append(self, kind: str, payload: Any) -> None:
        """Queue one record. ``payload`` must not be mutated afterwards. Returns at once unless
        ``MAX_PENDING`` records are already waiting (then it waits for the writer to catch up)."""
        queue = self._queue
        queue.append((kind, payload))
        if len(queue) > MAX_PENDING:
            self._catch_up()

    def _catch_up(self) -> None:
        # While the disk refuses writes, waiting could last forever: keep the records in memory
        # instead (status() reports the error) so the training loop never stalls on nbrun.
        while len(self._queue) > MAX_PENDING // 2 and self.error is None:
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

    def close(self, timeout: float | None = 30.0) -> None:
        """Write everything queued, fsync, and close the file."""
        if self._closing:
            return
        self._closing = True
        self._wake.set()
        self._thread.join(timeout)
        if not self._thread.is_alive():
            os.close(self._fd)

    def _run(self) -> None:
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

    def _drain(self) -> None:
        queue = self._queue
        popleft = queue.popleft
        while queue:
            entries = [popleft() for _ in range(min(len(queue), MAX_RECORDS_PER_FRAME))]
            barriers = [i for i, entry in enumerate(entries) if type(entry) is _Barrier]
            start = 0
            for index in barriers:
                self._write_batch(entries[start:index])
                barrier = entries[index]
                if barrier.fsync:
                    self._fsync()
                barrier.done.set()
                start = index + 1
            self._write_batch(entries[start:] if start else entries)

    def _write_batch(self, batch: list[Any]) -> None:
        if not batch:
            return
        frame = encode_frame(self._next_seq, batch)
        while True:
            try:
                self._write_all(frame)
            except OSError as exc:
                # Disk full or similar: undo the partial frame so the log stays readable, keep
                # the records, and try again; the run's status() reports the error meanwhile.
                self.error = exc
                os.ftruncate(self._fd, self._offset)
                os.lseek(self._fd, self._offset, os.SEEK_SET)
                time.sleep(self._flush_interval)
                continue
            self.error = None
            break
        self._offset += len(frame)
        self._next_seq += len(batch)
        self.records_written += len(batch)
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
    error: OSError | None = None

    def append(self, kind: str, payload: Any) -> None:
        pass

    def flush(self, *, fsync: bool = True, timeout: float | None = None) -> bool:
        return True

    def close(self, timeout: float | None = None) -> None:
        pass
