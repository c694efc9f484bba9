"""The sender: a thread that uploads a run's record log and files to the backend.

It reads the log from the last acknowledged offset (so it never holds the history in memory),
posts batches, and records each acknowledgement next to the log. While the backend is away it
backs off and retries; the records wait on disk. Every record carries its sequence number and
the server applies batches idempotently, so a resend after a lost answer duplicates nothing.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from pathlib import Path

from nbrun.errors import CommError
from nbrun.record import types as kinds
from nbrun.record.framing import HEADER_SIZE, decode_body
from nbrun.record.reader import RecordLogReader
from nbrun.sync.client import BackendClient, GapError, RejectedError
from nbrun.sync.state import SyncState

# Bytes of frames per POST (about 20,000 rows of ten scalars): big enough to amortise a
# request and a transaction, small enough that the server answers within a fraction of a second.
MAX_BATCH_BYTES = 4 << 20
HEARTBEAT_SECONDS = 30.0
FILE_SCAN_SECONDS = 2.0
MAX_BACKOFF_SECONDS = 30.0
# How often the log is checked for new records: the writer's flush interval, so a record waits
# for no fixed sleep here. A check while nothing is new is one stat() call.
POLL_SECONDS = 0.05
_FILES_MARK = b"\xa5" + kinds.FILES.encode()  # how msgpack writes the string "files"


@dataclasses.dataclass(frozen=True)
class RunAddress:
    entity: str
    project: str
    run_id: str


class Sender:
    """Uploads one run directory (``run-<id>.nbrun`` and ``files/``) until told to finish."""

    def __init__(
        self,
        run_dir: Path,
        log_path: Path,
        address: RunAddress,
        client: BackendClient,
        poll_interval: float = POLL_SECONDS,
        live: bool = True,
    ) -> None:
        """``live=False`` uploads a log whose run is over or gone (``nbrun sync``): its batches
        are no heartbeats."""
        self._run_dir = run_dir
        self._log_path = log_path
        self._address = address
        self._client = client
        self._poll_interval = poll_interval
        self._live = live
        self.state = SyncState.load(run_dir)
        if self.state.base_url not in (None, client.backend.url):
            self.state = SyncState()  # a different backend has seen none of it
        self.state.base_url = client.backend.url
        self.last_error: str | None = None
        # Set when the backend refuses our requests (a revoked key, say): retrying cannot help,
        # so the sender stops and leaves the records on disk for `nbrun sync`.
        self.rejected = False
        self._file_policies: dict[str, str] = {}
        self._log_complete = False  # set by finish(): the writer has closed the log
        self._wake = threading.Event()
        self._stop = False
        self._done = threading.Event()
        self._last_post = 0.0
        self._last_file_scan = 0.0
        self._send_frames = True  # record-log frames as they are; decoded records for old servers
        self._thread = threading.Thread(target=self._run, name="nbrun-sender", daemon=True)

    # -- control ---------------------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def pending_bytes(self) -> int:
        """Bytes of the log not yet acknowledged by the backend."""
        try:
            return max(0, self._log_path.stat().st_size - self.state.offset)
        except OSError:
            return 0

    def close_log(self) -> None:
        """The writer has closed the log: upload the rest and the final files, then stop."""
        self._log_complete = True
        self._wake.set()

    def wait(self, timeout: float | None) -> bool:
        """True once everything is acknowledged (after :meth:`close_log`)."""
        return self._done.wait(timeout)

    def stop(self) -> None:
        """Stop the thread, done or not; what is left stays on disk for ``nbrun sync``."""
        self._stop = True
        self._wake.set()
        self._thread.join(5.0)

    def run_to_completion(self, timeout: float | None = None) -> bool:
        """Upload a closed (or abandoned) log from start to end: for ``nbrun sync``."""
        self.close_log()
        self.start()
        done = self.wait(timeout)
        self.stop()
        return done

    # -- the thread ------------------------------------------------------------------------
    def _run(self) -> None:
        backoff = 0.0
        while not self._stop:
            try:
                self._send_available()
                now = time.monotonic()
                if self._log_complete or now - self._last_file_scan >= FILE_SCAN_SECONDS:
                    self._upload_changed_files(final=self._log_complete)
                    self._last_file_scan = now
                heartbeat_due = now - self._last_post >= HEARTBEAT_SECONDS
                if heartbeat_due and self._live and not self._log_complete:
                    self._post([])
                self.last_error = None
                backoff = 0.0
                if self._log_complete and self._caught_up():
                    # Everything the log holds is acknowledged: a finished run's exit record,
                    # or all that a crashed run managed to write.
                    self.state.synced = True
                    self.state.save(self._run_dir)
                    self._done.set()
                    return
            except RejectedError as exc:
                self.last_error = str(exc)
                self.rejected = True
                return
            except CommError as exc:
                self.last_error = str(exc)
                backoff = min(MAX_BACKOFF_SECONDS, max(0.5, backoff * 2))
            except OSError as exc:  # the log or a file vanished under us
                self.last_error = f"{exc.__class__.__name__}: {exc}"
                backoff = min(MAX_BACKOFF_SECONDS, max(0.5, backoff * 2))
            self._wake.wait(backoff or self._poll_interval)
            self._wake.clear()

    def _caught_up(self) -> bool:
        reader = RecordLogReader(self._log_path, self.state.offset)
        return not any(True for _ in reader.frame_bodies())

    def _send_available(self) -> None:
        while self._log_path.stat().st_size > self.state.offset:
            # Frames go up as the writer framed them: no decoding or re-encoding here, and the
            # server skips records it has already applied (at or below its acked_seq).
            reader = RecordLogReader(self._log_path, self.state.offset)
            frames: list[bytes] = []
            size = 0
            end = self.state.offset
            for frame_end, body in reader.frame_bodies():
                frames.append(body)
                size += len(body)
                end = frame_end
                if size >= MAX_BATCH_BYTES:
                    break
            if end == self.state.offset:
                return
            try:
                acked = self._post(frames)
                last_seq = decode_body(frames[-1])[-1][0]
                if acked < last_seq and self._send_frames:
                    # A server older than the frames field ignores it and applies nothing:
                    # send decoded records to it instead.
                    self._send_frames = False
                    continue
            except GapError as gap:
                # The server lost or never saw earlier records: start again from the top of
                # the log; it skips what it already has.
                self.state.offset, self.state.acked_seq = HEADER_SIZE, gap.acked_seq
                continue
            self._note_file_policies(frames)
            self.state.offset, self.state.acked_seq = end, max(acked, self.state.acked_seq)
            self.state.save(self._run_dir)

    def _note_file_policies(self, frames: list[bytes]) -> None:
        for body in frames:
            if _FILES_MARK not in body:  # most frames hold history rows only: skip decoding
                continue
            for _seq, kind, payload in decode_body(body):
                if kind == kinds.FILES:
                    for entry in payload.get("files", ()):
                        self._file_policies[entry["path"]] = entry["policy"]

    def _post(self, frames: list[bytes]) -> int:
        address = self._address
        records: list[list[object]] = []
        if not self._send_frames:
            records = [record for body in frames for record in decode_body(body)]
            frames = []
        acked = self._client.post_records(
            address.entity, address.project, address.run_id, records, live=self._live, frames=frames
        )
        self._last_post = time.monotonic()
        return acked

    def _upload_changed_files(self, final: bool) -> None:
        files_dir = self._run_dir / "files"
        if not files_dir.is_dir():
            return
        for path in sorted(files_dir.rglob("*")):
            if not path.is_file():
                continue
            relative = path.relative_to(files_dir).as_posix()
            if self._file_policies.get(relative) == "end" and not final:
                continue
            stat = path.stat()
            signature = [stat.st_mtime_ns, stat.st_size]
            if self.state.uploaded.get(relative) == signature:
                continue
            data = path.read_bytes()
            address = self._address
            self._client.upload_file(
                address.entity, address.project, address.run_id, relative, data
            )
            self.state.uploaded[relative] = signature
            self.state.save(self._run_dir)
