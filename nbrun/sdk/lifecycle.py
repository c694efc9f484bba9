"""A run's life from start to finish: its state (running, finished, failed), what it says when it
starts and ends, the finish that writes and uploads what remains, and ``run.status()``."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable

from nbrun import termlog
from nbrun.apis.local import default_roots
from nbrun.sdk.local_files import LocalFiles
from nbrun.sdk.recording import Recording
from nbrun.sdk.run_identity import RunIdentity
from nbrun.sync.online import OnlineSync

RUNNING, FINISHED, FAILED = "running", "finished", "failed"


@dataclasses.dataclass(frozen=True)
class RunStatus:
    """What ``run.status()`` reports: the run's state and how far its records have got."""

    state: str
    step: int
    records_written: int  # to the local record log
    records_pending: int  # queued for the record log
    log_path: str | None
    backend_url: str | None  # None for offline runs
    synced: bool  # every record and file is acknowledged by the backend
    acked_seq: int | None  # the last record the backend acknowledged
    upload_pending_bytes: int | None  # of the record log, not yet acknowledged
    last_error: str | None  # of the record writer or the upload, if the last try failed
    log_error: str | None = None  # of the record writer, while writing fails (disk full ...)
    upload_error: str | None = None  # of the upload, while it fails (backend away ...)
    records_not_saved: int = 0  # reached the writer but are not in the log (see last_problem)
    records_refused: int = 0  # refused by the backend (see last_problem)
    last_problem: str | None = None  # the last thing reported about a record not kept


class Lifecycle:
    """Starts and finishes one run over its recording, its files (None when disabled) and its
    link to the backend (None offline); owns the run's state and the calls made at finish."""

    def __init__(
        self,
        identity: RunIdentity,
        recording: Recording,
        files: LocalFiles | None,
        online: OnlineSync | None,
    ) -> None:
        self._identity = identity
        self._recording = recording
        self._files = files
        self._online = online
        self.state = RUNNING
        self.exit_code: int | None = None
        self._finish_lock = threading.Lock()
        # Called at finish: the registry forgets the run, live views (notebook widget) freeze.
        self._on_finish: list[Callable[[], None]] = []

    def start(self, *, capture_console: bool, url: str | None) -> None:
        """Write the run's first files, start console capture, and say where the run is."""
        files, identity = self._files, self._identity
        if files is None:
            return
        files.start(
            run_id=identity.id,
            start_time=identity.start_time,
            config=self._recording.config.as_dict(),
            capture_console=capture_console and identity.settings.console != "off",
            save_code=bool(identity.settings.save_code),
        )
        if url is not None:
            termlog.info(f"view run {identity.name} at {url}")
        verb = "resuming" if identity.resumed else "recording"
        termlog.info(f"{verb} run {identity.label} in {files.run_dir.path}")

    def call_at_finish(self, callback: Callable[[], None]) -> None:
        self._on_finish.append(callback)

    def finish(self, exit_code: int | None, quiet: bool | None) -> None:
        """Commit the open step, write everything to disk, record the exit, upload what
        remains; then the calls made at finish. Exit code 0 (the default) marks the run
        finished, anything else failed. A second call does nothing."""
        with self._finish_lock:
            if self.exit_code is not None:
                return
            try:
                self._finish(0 if exit_code is None else int(exit_code), quiet)
            finally:
                for callback in self._on_finish:
                    callback()

    def _finish(self, exit_code: int, quiet: bool | None) -> None:
        recording, files = self._recording, self._files
        self.exit_code = exit_code
        self.state = FINISHED if exit_code == 0 else FAILED
        waiting = recording.pipeline.waiting_rows
        if waiting and not quiet:  # videos take seconds each: say why finish waits
            termlog.info(f"finishing: encoding the media of {waiting} logged row(s) first")
        recording.record_exit(exit_code)
        if files is not None:
            files.close_records()  # the last console lines and metadata go in the log
        recording.writer.close()
        if files is None:
            return
        try:
            files.finish(recording.final_summary, recording.config.as_dict())
        except OSError as exc:  # the record log holds the summary and config all the same
            termlog.warn(f"could not write the run's summary and config files: {exc}")
        finally:
            files.stop_console()  # before the upload, so output.log goes up complete
        if self._online is not None:
            self._online.finish(self._identity.settings.sync_timeout or 0.0, files.run_dir)
        not_saved = recording.not_saved_message()
        if not_saved is not None:  # said even when quiet: the log is not the whole run
            termlog.warn(not_saved)
        if not quiet:
            self._announce_finish(files)

    def _announce_finish(self, files: LocalFiles) -> None:
        identity = self._identity
        found_by_path = identity.settings.root_dir.resolve() in [
            root.resolve() for root in default_roots()
        ]
        handle = identity.path if found_by_path else str(files.run_dir.path)
        step = self._recording.history.step
        logged = f"last step {step - 1}" if step > 0 else "no history logged"
        termlog.info(
            f"run {identity.label} {self.state}, {logged}; read it back "
            f"with nbrun.Api().run({handle!r})"
        )

    def status(self) -> RunStatus:
        writer = self._recording.writer
        online = self._online
        sender = online.sender if online is not None else None
        error = writer.error or (sender.last_error if sender is not None else None)
        refused = sender.state.refused_count if sender is not None else 0
        problem = sender.refusal_summary() if sender is not None and refused else None
        return RunStatus(
            state=self.state,
            step=self._recording.history.step,
            records_written=writer.records_written,
            records_pending=writer.pending,
            log_path=str(self._files.run_dir.log_path) if self._files is not None else None,
            backend_url=online.client.backend.url if online is not None else None,
            synced=sender is not None and sender.state.synced,
            acked_seq=sender.state.acked_seq if sender is not None else None,
            upload_pending_bytes=sender.pending_bytes() if sender is not None else None,
            last_error=str(error) if error else None,
            log_error=str(writer.error) if writer.error else None,
            upload_error=sender.last_error if sender is not None else None,
            records_not_saved=writer.records_lost,
            records_refused=refused,
            last_problem=writer.last_problem or problem,
        )
