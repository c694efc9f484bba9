"""The ``Run``: one tracked computation. It owns the run's collaborators and delegates to them:
history (steps), summary, config, the record writer, files and alerts."""

from __future__ import annotations

import dataclasses
import os
import socket
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from types import TracebackType
from typing import IO, Any, NoReturn

from nbrun.data_types.media import Media
from nbrun.errors import Error
from nbrun.jupyter.environment import kernel_id
from nbrun.record import types as kinds
from nbrun.record.replay import RunState
from nbrun.record.summary import SummaryFolder
from nbrun.record.writer import NullWriter, RecordWriter
from nbrun.sdk import registry, termlog
from nbrun.sdk.alerts import AlertLevel, AlertThrottle, parse_level, parse_wait, validate_alert
from nbrun.sdk.config import Config
from nbrun.sdk.history import History
from nbrun.sdk.local_files import LocalFiles
from nbrun.sdk.metric import Metric, build_definition
from nbrun.sdk.names import check_run_id, default_entity, new_run_id, random_run_name
from nbrun.sdk.online import OnlineSync
from nbrun.sdk.resume import Resumable, find_resumable
from nbrun.sdk.run_attributes import RunAttributes
from nbrun.sdk.run_dir import RunDir
from nbrun.sdk.run_pending import PendingRunMethods
from nbrun.sdk.settings import Settings, resolve_settings
from nbrun.sdk.summary import Summary
from nbrun.sdk.values import convert_log_data

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


class Run(RunAttributes, PendingRunMethods):
    """A unit of computation logged by nbrun, usually an ML experiment. Create it with
    ``nbrun.init()``; finish it with ``finish()`` or a ``with`` block."""

    def __init__(
        self,
        settings: Settings,
        config: dict[str, Any] | None = None,
        sweep_config: dict[str, Any] | None = None,
        launch_config: dict[str, Any] | None = None,
        *,
        allow_val_change: bool = False,
        capture_console: bool = False,
    ) -> None:
        settings = resolve_settings(settings, {})
        run_id = check_run_id(settings.run_id) if settings.run_id else new_run_id()
        self._start_time = time.time()
        self._finished = False
        self._finish_lock = threading.Lock()
        self._state = RUNNING
        self._exit_code: int | None = None
        self._alerts = AlertThrottle()
        self._sweep_config = sweep_config
        self._launch_config = launch_config
        self._on_finish: list[Callable[[], None]] = []  # live views to freeze (notebook widget)

        entity = settings.entity or default_entity()
        self._online: OnlineSync | None = None
        if settings.mode == "online":
            self._online = OnlineSync.connect(settings.base_url, settings.api_key)
        self._offline = self._online is None
        online = self._online
        resumable = find_resumable(
            settings,
            run_id,
            None
            if online is None
            else lambda: online.fetch_run(entity, settings.project or "", run_id),
        )
        previous = resumable.state if resumable else RunState()
        self._resumed = resumable is not None
        self._settings = dataclasses.replace(
            settings,
            run_id=run_id,
            name=settings.name or previous.run.get("name") or random_run_name(),
            entity=entity,
        )
        # A resumed run continues the replayed definitions, aggregates, config and clock.
        self._metrics = previous.metrics
        self._summary_folder = previous.summary or SummaryFolder(self._metrics)
        self._starting_step = previous.last_step + 1 if previous.last_step is not None else 0
        self._start_time = previous.run.get("start_time", self._start_time)

        self._writer: RecordWriter | NullWriter
        self._files: LocalFiles | None = None
        self._run_dir: RunDir | None = None
        if self._settings.mode == "disabled":
            self._writer = NullWriter()
        else:
            self._run_dir, self._writer = self._open_log(resumable)
            self._files = LocalFiles(self._run_dir, self._writer.append)
            if self._online is not None:
                self._online.start(self._run_dir, self.entity, self.project, self.id)
        self._history = History(
            self._writer.append,
            self._summary_folder,
            self._metrics,
            self._start_time,
            self._starting_step,
        )
        self._summary = Summary(self._summary_folder, self._edit_summary)
        self._config = Config(self._record_config, allow_val_change=allow_val_change)
        self._config.update(previous.config, allow_val_change=True)
        self._writer.append(kinds.RUN, self._run_payload())
        if config:
            self._config.update(config, allow_val_change=True)
        if self._files is not None:
            self._files.start(
                run_id=self.id,
                start_time=self._start_time,
                config=self._config.as_dict(),
                capture_console=capture_console and self._settings.console != "off",
                save_code=bool(self._settings.save_code),
            )
            self._announce_start()

    # -- start-up --------------------------------------------------------------------------
    def _open_log(self, resumable: Resumable | None) -> tuple[RunDir, RecordWriter]:
        settings = self._settings
        next_seq, resume_offset = 1, None
        if resumable is not None:
            # Sequence numbers go on from the run's last record, so the backend takes the new
            # records as the continuation they are.
            next_seq = resumable.state.last_seq + 1
        if resumable is not None and resumable.run_dir is not None:
            run_dir, resume_offset = resumable.run_dir, resumable.state.valid_end
        else:
            run_dir = RunDir.create(settings.root_dir, self.id, self._offline, self._start_time)
        writer = RecordWriter(
            run_dir.log_path,
            flush_interval=settings.flush_interval or 0.05,
            fsync_interval=settings.fsync_interval or 0.5,
            next_seq=next_seq,
            resume_offset=resume_offset,
        )
        run_dir.link_as_latest()
        return run_dir, writer

    def _run_payload(self) -> kinds.RunRecord:
        settings = self._settings
        return {
            "id": self.id,
            "entity": self.entity,
            "project": self.project,
            "name": self.name,
            "notes": settings.notes,
            "tags": list(settings.tags or ()),
            "group": settings.group,
            "job_type": settings.job_type,
            "mode": settings.mode or "online",
            "start_time": self._start_time,
            "starting_step": self._starting_step,
            "resumed": self._resumed,
            "sweep_id": settings.sweep_id,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "kernel_id": kernel_id(),
        }

    def _announce_start(self) -> None:
        url = self.get_url()
        if url is not None:
            termlog.info(f"view run {self.name} at {url}")
        verb = "resuming" if self._resumed else "recording"
        where = self._run_dir.path if self._run_dir else "(disabled)"
        termlog.info(f"{verb} run {self.name} ({self.id}) in {where}")

    # -- logging ---------------------------------------------------------------------------
    def log(
        self,
        data: dict[str, Any],
        step: int | None = None,
        commit: bool | None = None,
        sync: bool | None = None,
    ) -> None:
        """Add ``data`` to the run's history and update the summary (see the reference's step
        rules). Invalid data raises naming the key and records nothing of this call."""
        if self._finished:
            self._raise_finished("log")
        media: list[Media] = []
        row = convert_log_data(data, media)
        if media and self._run_dir is not None:
            paths = self._run_dir.write_media(media)
            self._writer.append(
                kinds.FILES, {"files": [{"path": p, "policy": "now"} for p in paths]}
            )
        if not self._history.log(row, step, commit):
            self._raise_finished("log")

    def define_metric(
        self,
        name: str,
        step_metric: str | Metric | None = None,
        step_sync: bool | None = None,
        hidden: bool | None = None,
        summary: str | None = None,
        goal: str | None = None,
        overwrite: bool | None = None,
    ) -> Metric:
        """Customise how a metric (or a ``prefix*`` glob of them) is summarised and charted."""
        self._check_open("define_metric")
        definition = build_definition(name, step_metric, step_sync, hidden, summary, goal)
        with self._history.lock:
            definition = self._metrics.define(definition, overwrite=bool(overwrite))
            self._writer.append(kinds.METRIC, definition.to_payload())
        return Metric(definition)

    def _edit_summary(self, update: dict[str, Any], remove: list[str]) -> None:
        self._check_open("summary")
        with self._history.lock:
            self._summary_folder.apply_manual(update, remove)
            self._writer.append(kinds.SUMMARY, {"update": update, "remove": remove})

    def _record_config(self, update: dict[str, Any]) -> None:
        self._check_open("config")
        self._writer.append(kinds.CONFIG, {"update": update, "remove": []})

    def _update_run_fields(self, **fields: Any) -> None:
        self._check_open("update")
        self._settings = dataclasses.replace(self._settings, **fields)
        self._writer.append(kinds.RUN, self._run_payload())

    # -- files and alerts ------------------------------------------------------------------
    def save(
        self,
        glob_str: str | os.PathLike[str] | None = None,
        base_path: str | os.PathLike[str] | None = None,
        policy: str = "live",
    ) -> bool | list[str]:
        """Copy or link files into the run's ``files/`` folder (glob expanded now).

        ``live`` tracks the file as it changes, ``now`` copies it at once, ``end`` at finish.
        Returns the paths created in the run folder.
        """
        self._check_open("save")
        if glob_str is None:
            raise ValueError("save(): give a file path or glob, e.g. run.save('model.pt')")
        if self._files is None:
            return []
        return self._files.save(glob_str, base_path, policy)

    def restore(
        self,
        name: str,
        run_path: str | None = None,
        replace: bool = False,
        root: str | None = None,
    ) -> IO[str] | None:
        """Fetch a file saved by a run (this one by default) into ``root`` (default: this run's
        folder) and open it; None when the run has no such file. Raises ``ValueError`` for an
        unknown ``run_path`` and ``nbrun.CommError`` when the backend cannot be reached."""
        self._check_open("restore")
        from nbrun.apis.api import Api
        from nbrun.apis.restore import restore_file

        if run_path is None:
            own = self._run_dir.files / name if self._run_dir is not None else None
            if own is not None and own.is_file() and root is None:
                return open(own, encoding="utf-8")
            run_path = self.path
        if self._online is not None:
            backend = self._online.client.backend
            api = Api(base_url=backend.url, api_key=backend.token, dirs=[self._settings.root_dir])
        else:
            api = Api(dirs=[self._settings.root_dir])
        return restore_file(api, name, run_path, replace, root or self.dir)

    def alert(
        self,
        title: str,
        text: str,
        level: str | AlertLevel | None = None,
        wait_duration: float | timedelta | None = None,
    ) -> None:
        """Raise an alert; the same title is not sent again within ``wait_duration`` s."""
        self._check_open("alert")
        validate_alert(title, text)
        alert_level = parse_level(level)
        wait_seconds = parse_wait(wait_duration)
        left = self._alerts.seconds_until_allowed(title, wait_seconds)
        if left > 0:
            termlog.info(
                f"alert {title!r} not sent: the same title was sent {wait_seconds - left:.0f}s ago "
                f"(wait_duration={wait_seconds:g}s)"
            )
            return
        self._alerts.mark_sent(title)
        self._writer.append(
            kinds.ALERT,
            {"title": title, "text": text, "level": alert_level.value, "time": time.time()},
        )
        termlog.info(f"ALERT [{alert_level.value}] {title}: {text}")

    def mark_preempting(self) -> None:
        """Mark the run as being pre-empted and write that to disk at once."""
        self._check_open("mark_preempting")
        self._writer.append(kinds.PREEMPTING, {"time": time.time()})
        self._writer.flush(fsync=True, timeout=5.0)

    def status(self) -> RunStatus:
        """The run's state and how far its records have got (written, pending, last error)."""
        sender = self._online.sender if self._online is not None else None
        error = self._writer.error or (sender.last_error if sender is not None else None)
        return RunStatus(
            state=self._state,
            step=self.step,
            records_written=self._writer.records_written,
            records_pending=self._writer.pending,
            log_path=str(self._run_dir.log_path) if self._run_dir else None,
            backend_url=self._online.client.backend.url if self._online else None,
            synced=sender is not None and sender.state.synced,
            acked_seq=sender.state.acked_seq if sender is not None else None,
            upload_pending_bytes=sender.pending_bytes() if sender is not None else None,
            last_error=str(error) if error else None,
        )

    # -- notebook views ----------------------------------------------------------------------
    def to_html(self, height: int = 420, hidden: bool = False) -> str:
        """HTML with an iframe showing this run; ``hidden`` adds a button that reveals it."""
        from nbrun.jupyter.display import run_html

        return run_html(self, self._online, height=height, hidden=hidden)

    def display(self, height: int = 420, hidden: bool = False) -> bool:
        """Show this run in the notebook; False (and nothing shown) outside one."""
        from nbrun.jupyter.display import show

        return show(self, self._online, height=height, hidden=hidden)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        from nbrun.jupyter.display import mime_bundle

        return mime_bundle(self, self._online)

    def _add_view(
        self, tap: Callable[[dict[str, Any]], None], on_finish: Callable[[], None]
    ) -> None:
        """Feed a live view (the notebook widget) each committed history row; tell it at finish."""
        self._history.tap = tap
        self._on_finish.append(on_finish)

    # -- lifecycle ---------------------------------------------------------------------------
    def detach(self) -> None:
        """Make everything logged so far durable; the run stays open."""
        self._writer.flush(fsync=True)

    def finish(self, exit_code: int | None = None, quiet: bool | None = None) -> None:
        """End the run: commit the open step, write everything to disk, record the exit.
        Exit code 0 (the default) marks it finished, anything else failed."""
        with self._finish_lock:
            if self._finished:
                return
            try:
                self._finish(exit_code, quiet)
            finally:
                for callback in self._on_finish:
                    callback()

    def _finish(self, exit_code: int | None, quiet: bool | None) -> None:
        self._history.close()
        self._finished = True
        self._exit_code = 0 if exit_code is None else int(exit_code)
        self._state = FINISHED if self._exit_code == 0 else FAILED
        end = time.time()
        self._writer.append(
            kinds.EXIT,
            {
                "exit_code": self._exit_code,
                "time": end,
                "runtime": end - self._start_time,
                "summary": self._summary_folder.values,
            },
        )
        if self._files is not None:
            self._files.close_records()  # the last console lines and metadata go in the log
        self._writer.close()
        registry.unregister(self)
        if self._files is None:
            return
        try:
            self._files.finish(self._summary_folder.values, self._config.as_dict())
        finally:
            self._files.stop_console()  # before the upload, so output.log goes up complete
        if self._online is not None and self._run_dir is not None:
            self._online.finish(self._settings.sync_timeout or 0.0, self._run_dir)
        if not quiet:
            self._announce_finish()

    def _announce_finish(self) -> None:
        from nbrun.apis.local import default_roots

        assert self._run_dir is not None
        found_by_path = self._settings.root_dir.resolve() in [
            root.resolve() for root in default_roots()
        ]
        handle = self.path if found_by_path else str(self._run_dir.path)
        logged = f"last step {self.step - 1}" if self.step > 0 else "no history logged"
        termlog.info(
            f"run {self.name} ({self.id}) {self._state}, {logged}; read it back "
            f"with nbrun.Api().run({handle!r})"
        )

    def join(self, exit_code: int | None = None) -> None:
        """Deprecated alias of :meth:`finish`."""
        self.finish(exit_code=exit_code)

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.finish(exit_code=0 if exc_type is None else 1)

    def __repr__(self) -> str:
        return f"<nbrun Run {self.path} ({self._state})>"

    def _check_open(self, method: str) -> None:
        if self._finished:
            self._raise_finished(method)

    def _raise_finished(self, method: str) -> NoReturn:
        raise Error(
            f"run {self.name} ({self.id}) is finished; {method} needs an active run: call "
            "nbrun.init() to start a new one"
        )
