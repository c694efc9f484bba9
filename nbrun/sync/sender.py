"""The sender: a thread that uploads a run's record log and files to the backend.

It reads the log from the last acknowledged offset (so it never holds the history in memory),
posts batches, and records each acknowledgement next to the log. While the backend is away it
backs off and retries; the records wait on disk. Every record carries its sequence number and
the server applies batches idempotently, so a resend after a lost answer duplicates nothing.
Records the backend refuses (one at a time, with a reason) are counted and reported; the
others go on. Nothing the thread meets stops it but the backend refusing its requests.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nbrun.errors import CommError
from nbrun.processes import writer_alive
from nbrun.protocol import http as http_api
from nbrun.protocol.limits import SEND_BATCH_BYTES
from nbrun.record import types as kinds
from nbrun.record.framing import HEADER_SIZE, decode_body
from nbrun.record.reader import RecordLogReader, log_ending
from nbrun.record.replay import KEPT_REFUSALS
from nbrun.sync.artifact_upload import ArtifactUploader, artifact_records
from nbrun.sync.client import BackendClient, GapError, NotFoundError, RejectedError
from nbrun.sync.state import SyncState

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
        knows_backend_state: bool = False,
        on_problem: Callable[[str], None] | None = None,
    ) -> None:
        """``live=False`` uploads a log whose run is over or gone (``nbrun sync``): its batches
        are no heartbeats. ``knows_backend_state``: the run started from the backend's own
        record of its id (or made the id up), so its sequence numbers follow the backend's.
        ``on_problem`` is told (from the thread) when the backend first fails, when it works
        again, and when it refuses records."""
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
        if self.state.synced:
            # Until this sender has caught up: a resumed run adds records to a synced log.
            self.state.synced = False
            self.state.save(run_dir)
        if (knows_backend_state and self.state.acked_seq == 0) or self.state.acked_seq > 0:
            # Made the id up, learnt the backend's state, or uploaded part of this log already
            # (a sync.json from before reconciliation existed counts too): nothing to place.
            self.state.reconciled = True
        self.last_error: str | None = None
        self._on_problem = on_problem
        self._failing = False  # the backend failed and was not reachable since
        # time.monotonic() of the first failure of the current failing spell, else None
        self.failing_since: float | None = None
        # Set when the backend refuses our requests (a revoked key, say): retrying cannot help,
        # so the sender stops and leaves the records on disk for `nbrun sync`.
        self.rejected = False
        self._file_policies: dict[str, str] = {}
        self._artifacts = ArtifactUploader(client, run_dir, self._report, self._timeout)
        self._log_complete = False  # set by finish(): the writer has closed the log
        self._wake = threading.Event()
        self._stop = False
        self._done = threading.Event()  # everything acknowledged
        self._ended = threading.Event()  # the thread is over: done, refused or stopped
        self._last_post = 0.0
        self._last_file_scan = 0.0
        self._deadline: float | None = None  # time.monotonic() by which requests must end
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

    def set_deadline(self, deadline: float) -> None:
        """Every request from now on ends by ``deadline`` (``time.monotonic()``): at finish, a
        slow or silent backend cannot hold the caller past its timeout."""
        self._deadline = deadline
        self._wake.set()

    def wait(self, timeout: float | None) -> bool:
        """Wait until everything is acknowledged (after :meth:`close_log`) or the thread ended
        (the backend refused our key, say); True when everything is."""
        self._ended.wait(timeout)
        return self._done.is_set()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread, done or not (waiting at most ``timeout`` s for a request under way;
        the thread ends by itself after it); what is left stays on disk for ``nbrun sync``."""
        self._stop = True
        self._wake.set()
        if self._thread.ident is not None:  # started
            self._thread.join(max(0.0, timeout))

    def refusal_summary(self) -> str:
        """What the backend refused, for the user: how many records, and the latest reasons."""
        latest = "; ".join(
            f"record {r.get('seq')} ({r.get('kind')}): {r.get('reason')}"
            for r in self.state.refused[-3:]
        )
        return f"the backend refused {self.state.refused_count} record(s), latest: {latest}"

    def run_to_completion(self, timeout: float | None = None) -> bool:
        """Upload a closed (or abandoned) log from start to end: for ``nbrun sync``."""
        self.close_log()
        self.start()
        done = self.wait(timeout)
        self.stop()
        return done

    # -- the thread ------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            self._loop()
        finally:
            self._ended.set()

    def _loop(self) -> None:
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
                self.failing_since = None
                if self._failing:
                    self._failing = False
                    self._report(f"the backend at {self._client.backend.url} answers again")
                backoff = 0.0
                if self._log_complete and self._caught_up():
                    # Everything the log holds is acknowledged: a finished run's exit record,
                    # or all that a crashed run managed to write.
                    self._report_crash()
                    self.state.synced = True
                    self.state.save(self._run_dir)
                    self._done.set()
                    return
            except RejectedError as exc:
                self.last_error = str(exc)
                self.rejected = True
                return
            except (CommError, OSError) as exc:  # the backend is away, or a file vanished
                self.last_error = str(exc) if isinstance(exc, CommError) else _describe(exc)
                backoff = min(MAX_BACKOFF_SECONDS, max(0.5, backoff * 2))
                if self.failing_since is None:
                    self.failing_since = time.monotonic()
                if not self._failing and self._live and isinstance(exc, CommError):
                    self._failing = True
                    self._report(
                        f"cannot upload ({exc}); the records wait on disk and upload when the "
                        "backend is back"
                    )
            except Exception as exc:  # anything else: said, and retried; the thread goes on
                self.last_error = _describe(exc)
                backoff = min(MAX_BACKOFF_SECONDS, max(0.5, backoff * 2))
            self._wake.wait(backoff or self._poll_interval)
            self._wake.clear()

    def _timeout(self) -> float | None:
        if self._deadline is None:
            return None
        return max(0.05, min(30.0, self._deadline - time.monotonic()))

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
                if size >= SEND_BATCH_BYTES:
                    break
            if end == self.state.offset:
                return
            if not self.state.reconciled:
                self._reconcile(frames[0])
            # The media files these rows point at go up first: a view that reads a row (the
            # live stream, the dashboard) finds its file. So do the blobs of artifacts.
            self._take_files_records(frames)
            for artifact in artifact_records(frames):
                self._artifacts.upload(artifact)
            try:
                ack = self._post(frames)
                acked = int(ack["acked_seq"])
                last_seq = decode_body(frames[-1])[-1][0] + self.state.seq_offset
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
            self._note_refused(ack.get("refused") or [])
            self.state.offset, self.state.acked_seq = end, max(acked, self.state.acked_seq)
            self.state.save(self._run_dir)

    def _reconcile(self, first_frame: bytes) -> None:
        """Before this log's first upload: when the backend already holds records of this run
        id from another session (the run started offline, or with the backend away), this log's
        records go after them (sequence numbers and steps shifted) instead of being taken for
        records the backend has. The same log uploaded again (its start time matches) is not."""
        address = self._address
        path = http_api.run_path(address.entity, address.project, address.run_id)
        info: http_api.RunInfo | None
        try:
            info = self._client.get_json(path, timeout=self._timeout())
        except NotFoundError:
            info = None
        head = decode_body(first_frame)[0]
        start_time = head[2].get("start_time") if head[1] == kinds.RUN else None
        if info is not None and info["acked_seq"] > 0 and info["start_time"] != start_time:
            self.state.seq_offset = info["acked_seq"]
            last_step = info["last_step"]
            self.state.step_offset = 0 if last_step is None else last_step + 1
        self.state.reconciled = True
        self.state.save(self._run_dir)

    def _note_refused(self, refused: list[http_api.RefusedRecord]) -> None:
        if not refused:
            return
        state = self.state
        state.refused_count += len(refused)
        state.refused = [*state.refused, *map(dict, refused)][-KEPT_REFUSALS:]
        first = refused[0]
        self._report(
            f"the backend refused {len(refused)} record(s), e.g. record {first['seq']} "
            f"({first['kind']}): {first['reason']}; the others are stored"
        )

    def _report(self, message: str) -> None:
        if self._on_problem is not None:
            with contextlib.suppress(Exception):  # a broken reporter must not stop the upload
                self._on_problem(message)

    def _post(self, frames: list[bytes], crashed: bool = False) -> http_api.BatchAck:
        address = self._address
        records: list[list[Any]] = []
        if not self._send_frames or self.state.seq_offset:
            records = [self._shifted(r) for body in frames for r in decode_body(body)]
            frames = []
        ack = self._client.post_records(
            address.entity,
            address.project,
            address.run_id,
            records,
            live=self._live,
            frames=frames,
            crashed=crashed,
            timeout=self._timeout(),
        )
        self._last_post = time.monotonic()
        return ack

    def _shifted(self, record: list[Any]) -> list[Any]:
        """``record`` renumbered after the backend's own records (see :meth:`_reconcile`)."""
        seq, kind, payload = record
        offset, steps = self.state.seq_offset, self.state.step_offset
        if not offset:
            return record
        if steps and kind == kinds.HISTORY and isinstance(payload.get("_step"), int):
            payload = {**payload, "_step": payload["_step"] + steps}
        elif kind == kinds.RUN:
            starting = payload.get("starting_step") or 0
            payload = {**payload, "resumed": True, "starting_step": starting + steps}
        return [seq + offset, kind, payload]

    def _report_crash(self) -> None:
        """When replaying a log whose writer died without an exit record on this machine, tell
        the backend the run crashed (it would otherwise wait for heartbeats to time out)."""
        if self._live or self.state.crash_reported:
            return
        ending = log_ending(self._log_path)
        if ending.run is None or ending.exited:
            return
        if writer_alive(ending.run.get("host"), ending.run.get("pid")):
            return  # still being written, or written on another machine: not ours to judge
        self._post([], crashed=True)
        self.state.crash_reported = True

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
            self._upload_file(relative, path)

    def _take_files_records(self, frames: list[bytes]) -> None:
        """Note the policy of each file the ``files`` records of ``frames`` name, and upload
        those named for upload now."""
        files_dir = self._run_dir / "files"
        for body in frames:
            if _FILES_MARK not in body:  # most frames hold history rows only: skip decoding
                continue
            for _seq, kind, payload in decode_body(body):
                if kind != kinds.FILES:
                    continue
                for entry in payload.get("files", ()):
                    self._file_policies[entry["path"]] = entry["policy"]
                    path = files_dir / entry["path"]
                    if entry["policy"] == "now" and path.is_file():
                        self._upload_file(entry["path"], path)

    def _upload_file(self, relative: str, path: Path) -> None:
        """Upload ``path`` as the run's file ``relative`` unless it went up unchanged."""
        stat = path.stat()
        signature = [stat.st_mtime_ns, stat.st_size]
        if self.state.uploaded.get(relative) == signature:
            return
        address = self._address
        try:
            with open(path, "rb") as data:  # streamed: a large file is never held whole
                self._client.upload_file(
                    address.entity,
                    address.project,
                    address.run_id,
                    relative,
                    data,
                    timeout=self._timeout(),
                )
        except RejectedError as exc:
            if exc.refuses_access:
                raise
            # This file alone (its name, its size): said, and not tried again unchanged.
            self._report(f"the backend refused the file {relative!r}: {exc}")
        self.state.uploaded[relative] = signature
        self.state.save(self._run_dir)


def _describe(exc: BaseException) -> str:
    return f"{exc.__class__.__name__}: {exc}"
