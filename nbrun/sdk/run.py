"""The ``Run``: one tracked computation, as the reference documents it. A facade: each job is a
collaborator the run holds and delegates to. ``RunIdentity`` is who the run is (its settings
record); ``Recording`` what it records (the record writer, history and steps, summary, config,
metric definitions); ``LocalFiles`` its folder's files; ``OnlineSync`` its link to a backend;
``Lifecycle`` its start, finish and status. The views attach through :mod:`nbrun.sdk.hooks`."""

from __future__ import annotations

import functools
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from types import TracebackType
from typing import IO, Any

from nbrun.apis.api import Api
from nbrun.apis.restore import restore_file
from nbrun.data_types.media import Media
from nbrun.environment import default_entity
from nbrun.record import types as kinds
from nbrun.record.replay import RunState
from nbrun.record.summary import MetricDefinition
from nbrun.record.writer import NullWriter, RecordWriter
from nbrun.sdk import hooks
from nbrun.sdk.alerts import AlertLevel, Alerts
from nbrun.sdk.config import Config
from nbrun.sdk.lifecycle import Lifecycle, RunStatus
from nbrun.sdk.local_files import LocalFiles
from nbrun.sdk.metric import Metric, build_definition
from nbrun.sdk.names import check_run_id, new_run_id
from nbrun.sdk.recording import Recording, open_record_log
from nbrun.sdk.resume import find_resumable
from nbrun.sdk.run_artifacts import ArtifactRunMethods
from nbrun.sdk.run_identity import RunIdentity
from nbrun.sdk.run_pending import PendingRunMethods
from nbrun.sdk.settings import Settings, resolve_settings
from nbrun.sdk.summary import Summary
from nbrun.sdk.values import convert_log_data
from nbrun.sync.online import OnlineSync


class Run(ArtifactRunMethods, PendingRunMethods):
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
        started = time.time()
        settings = resolve_settings(settings, {})
        run_id = check_run_id(settings.run_id) if settings.run_id else new_run_id()
        entity = settings.entity or default_entity()
        online = None
        if settings.mode == "online":
            online = OnlineSync.connect(settings.base_url, settings.api_key)
        fetch = None
        if online is not None:  # a run id the backend knows may be resumed from there
            required = settings.resume == "must"
            project = settings.project or ""
            fetch = functools.partial(online.fetch_run, entity, project, run_id, required)
        resumable = find_resumable(settings, run_id, fetch)
        previous = resumable.state if resumable is not None else RunState()
        self._identity = identity = RunIdentity.for_run(
            settings,
            run_id,
            entity,
            previous,
            resumed=resumable is not None,
            offline=online is None,
            start_time=started,
        )
        self._sweep_config = sweep_config
        self._launch_config = launch_config
        self._online = online
        self._files: LocalFiles | None = None
        writer: RecordWriter | NullWriter = NullWriter()
        if settings.mode != "disabled":
            run_dir, writer = open_record_log(identity, resumable)
            self._files = LocalFiles(run_dir, writer.append)
            if online is not None:
                online.start(run_dir, identity.entity, identity.project, identity.id)
        self._recording = recording = Recording(
            identity,
            writer,
            previous,
            allow_val_change,
            self._files.write_media if self._files is not None else None,
        )
        self._alerts = Alerts(recording.append)
        self._lifecycle = Lifecycle(identity, recording, self._files, online)
        recording.append(kinds.RUN, identity.record())
        if config:
            recording.config.update(config, allow_val_change=True)
        self._lifecycle.start(capture_console=capture_console, url=self.get_url())

    # -- the reference's attributes ------------------------------------------------------------
    @property
    def id(self) -> str:
        return self._identity.id

    @property
    def name(self) -> str:
        return self._identity.name

    @name.setter
    def name(self, value: str) -> None:
        self._edit(name=str(value))

    @property
    def notes(self) -> str | None:
        return self._identity.settings.notes

    @notes.setter
    def notes(self, value: str | None) -> None:
        self._edit(notes=value)

    @property
    def tags(self) -> tuple[str, ...]:
        return tuple(self._identity.settings.tags or ())

    @tags.setter
    def tags(self, value: Sequence[str]) -> None:
        self._edit(tags=tuple(value))

    def _edit(self, **fields: Any) -> None:
        self._recording.check_open("update")
        self._recording.append(kinds.RUN, self._identity.edit(**fields))

    @property
    def entity(self) -> str:
        return self._identity.entity

    @property
    def project(self) -> str:
        return self._identity.project

    @property
    def group(self) -> str | None:
        return self._identity.settings.group

    @property
    def job_type(self) -> str | None:
        return self._identity.settings.job_type

    @property
    def sweep_id(self) -> str | None:
        return self._identity.settings.sweep_id

    @property
    def path(self) -> str:
        return self._identity.path

    @property
    def settings(self) -> Settings:
        return self._identity.settings

    @property
    def start_time(self) -> float:
        return self._identity.start_time

    @property
    def starting_step(self) -> int:
        return self._identity.starting_step

    @property
    def resumed(self) -> bool:
        return self._identity.resumed

    @property
    def mode(self) -> str:
        """The reference's 0.9.x compatibility field: ``"dryrun"`` offline, else ``"run"``."""
        return "dryrun" if self._identity.offline else "run"

    @property
    def offline(self) -> bool:
        return self._identity.offline

    @property
    def disabled(self) -> bool:
        return self._identity.settings.mode == "disabled"

    @property
    def dir(self) -> str:
        if self._files is None:  # disabled: a folder that exists, as code writes into run.dir
            return tempfile.gettempdir()
        return str(self._files.run_dir.files)

    @property
    def step(self) -> int:
        self._recording.pipeline.drain()  # counting the rows still being encoded
        return self._recording.history.step

    @property
    def summary(self) -> Summary:
        self._recording.pipeline.drain()  # with the rows still being encoded
        return self._recording.summary

    @property
    def config(self) -> Config:
        return self._recording.config

    @property
    def url(self) -> str | None:
        return self.get_url()

    def project_name(self) -> str:
        return self.project

    def get_url(self) -> str | None:
        """The run's page on its backend; None for offline runs."""
        if self._online is None:
            return None
        return self._online.run_url(self.entity, self.project, self.id)

    def get_project_url(self) -> str | None:
        """The run's project page on its backend; None for offline runs."""
        if self._online is None:
            return None
        return self._online.project_url(self.entity, self.project)

    def get_sweep_url(self) -> str | None:
        return None

    # -- recording -------------------------------------------------------------------------------
    def log(
        self,
        data: dict[str, Any],
        step: int | None = None,
        commit: bool | None = None,
        sync: bool | None = None,
    ) -> None:
        """Add ``data`` to the run's history and update the summary (see the reference's step
        rules). Invalid data raises naming the key and records nothing of this call."""
        # The hot path: convert, then History.log, with no call between (see bench/).
        history = self._recording.history
        if history.closed:
            raise self._recording.finished_error("log")
        media: list[Media] = []
        row = convert_log_data(data, media)
        pipeline = self._recording.pipeline
        if media or pipeline.busy:  # encoded and written off this thread, in call order
            pipeline.submit(row, step, commit, media)
            for value in media:
                value._nbrun_logged()
        elif not history.log(row, step, commit):
            raise self._recording.finished_error("log")

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
        definition = build_definition(name, step_metric, step_sync, hidden, summary, goal)
        return Metric(self._recording.define_metric(definition, bool(overwrite)))

    def metric_definitions(self, keys: Iterable[str]) -> dict[str, MetricDefinition | None]:
        """How ``define_metric`` applies to each of ``keys`` (None where it does not): what the
        notebook's views chart and summarise."""
        return self._recording.metric_definitions(keys)

    def alert(
        self,
        title: str,
        text: str,
        level: str | AlertLevel | None = None,
        wait_duration: float | timedelta | None = None,
    ) -> None:
        """Raise an alert; the same title is not sent again within ``wait_duration`` s."""
        self._recording.check_open("alert")
        self._alerts.send(title, text, level, wait_duration)

    def mark_preempting(self) -> None:
        """Mark the run as being pre-empted and write that to disk at once."""
        self._recording.mark_preempting()

    # -- files -----------------------------------------------------------------------------------
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
        self._recording.check_open("save")
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
        self._recording.check_open("restore")
        if run_path is None:
            own = self._files.run_dir.files / name if self._files is not None else None
            if own is not None and own.is_file() and root is None:
                return open(own, encoding="utf-8")
            run_path = self.path
        dirs = [self.settings.root_dir]
        if self._online is not None:
            backend = self._online.client.backend
            api = Api(base_url=backend.url, api_key=backend.token, dirs=dirs)
        else:
            api = Api(dirs=dirs)
        return restore_file(api, name, run_path, replace, root or self.dir)

    # -- notebook views ----------------------------------------------------------------------
    def to_html(self, height: int = 420, hidden: bool = False) -> str:
        """HTML with an iframe showing this run; ``hidden`` adds a button that reveals it."""
        return hooks.views().html(self, self._online, height, hidden)

    def display(self, height: int = 420, hidden: bool = False) -> bool:
        """Show this run in the notebook; False (and nothing shown) outside one."""
        return hooks.views().show(self, self._online, height, hidden)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return hooks.views().mime_bundle(self, self._online)

    def _add_view(
        self, tap: Callable[[dict[str, Any]], None], on_finish: Callable[[], None]
    ) -> None:
        """Feed a live view (the notebook widget) each committed history row; tell it at finish."""
        self._recording.history.tap = tap
        self._lifecycle.call_at_finish(on_finish)

    def _call_at_finish(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once the run has finished (the registry of runs forgets it)."""
        self._lifecycle.call_at_finish(callback)

    # -- lifecycle ---------------------------------------------------------------------------
    def status(self) -> RunStatus:
        """The run's state and how far its records have got (written, pending, last error)."""
        return self._lifecycle.status()

    def detach(self) -> None:
        """Make everything logged so far durable; the run stays open."""
        self._recording.pipeline.drain()
        if self._files is not None:
            self._files.wait_for_metadata()
        self._recording.writer.flush(fsync=True)

    def finish(self, exit_code: int | None = None, quiet: bool | None = None) -> None:
        """End the run: commit the open step, write everything to disk, record the exit.
        Exit code 0 (the default) marks it finished, anything else failed."""
        self._lifecycle.finish(exit_code, quiet)

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
        return f"<nbrun Run {self.path} ({self._lifecycle.state})>"
