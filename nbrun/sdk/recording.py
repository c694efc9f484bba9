"""What a run records: the record log's writer and the state the records build up (history and
its steps, metric definitions, summary, config). Every record of the run goes through here."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from nbrun import termlog
from nbrun.data_types.media import MediaFile
from nbrun.errors import Error
from nbrun.record import types as kinds
from nbrun.record.replay import RunState
from nbrun.record.run_dir import RunDir
from nbrun.record.summary import MetricDefinition, SummaryFolder
from nbrun.record.writer import NullWriter, RecordWriter
from nbrun.sdk.config import Config
from nbrun.sdk.history import History
from nbrun.sdk.media_pipeline import MediaPipeline
from nbrun.sdk.resume import Resumable
from nbrun.sdk.run_identity import RunIdentity
from nbrun.sdk.summary import Summary


def open_record_log(
    identity: RunIdentity, resumable: Resumable | None
) -> tuple[RunDir, RecordWriter]:
    """The run's folder and the writer of its record log: a resumed run's own folder and log,
    continued after its last whole record, or a new folder."""
    settings = identity.settings
    next_seq, resume_offset = 1, None
    if resumable is not None:
        # Sequence numbers go on from the run's last record, so the backend takes the new
        # records as the continuation they are.
        next_seq = resumable.state.last_seq + 1
    if resumable is not None and resumable.run_dir is not None:
        run_dir, resume_offset = resumable.run_dir, resumable.state.valid_end
    else:
        run_dir = RunDir.create(
            settings.root_dir, identity.id, identity.offline, identity.start_time
        )
    writer = RecordWriter(
        run_dir.log_path,
        flush_interval=settings.flush_interval or 0.05,
        fsync_interval=settings.fsync_interval or 0.5,
        next_seq=next_seq,
        resume_offset=resume_offset,
        on_problem=termlog.warn,
    )
    run_dir.link_as_latest()
    return run_dir, writer


class Recording:
    """The run's records and their state. ``history`` is public for ``Run.log``'s fast path
    (``convert_log_data`` then ``History.log``, nothing between); once ``record_exit`` has
    run, every recording call raises ``nbrun.Error`` naming the run."""

    def __init__(
        self,
        identity: RunIdentity,
        writer: RecordWriter | NullWriter,
        previous: RunState,
        allow_val_change: bool,
        write_media: Callable[[list[MediaFile]], None] | None = None,
    ) -> None:
        self._identity = identity
        self.writer = writer
        self.append: Callable[[str, Any], None] = writer.append
        # A resumed run continues the replayed definitions, aggregates and config.
        self._metrics = previous.metrics
        self._summary_folder = previous.summary or SummaryFolder(self._metrics)
        self.history = History(
            writer.append,
            self._summary_folder,
            self._metrics,
            identity.start_time,
            identity.starting_step,
        )
        # Rows with media reach the history through here (encoded off the caller's thread).
        self.pipeline = MediaPipeline(self.history, write_media)
        self.summary = Summary(self._summary_folder, self._edit_summary)
        self.config = Config(self._record_config, allow_val_change=allow_val_change)
        self.config.update(previous.config, allow_val_change=True)

    def check_open(self, method: str) -> None:
        if self.history.closed:
            raise self.finished_error(method)

    def finished_error(self, method: str) -> Error:
        return Error(
            f"run {self._identity.label} is finished; {method} needs an active run: call "
            "nbrun.init() to start a new one"
        )

    # -- what the user records besides history -------------------------------------------
    def define_metric(self, definition: MetricDefinition, overwrite: bool) -> MetricDefinition:
        """Merge (or with ``overwrite`` replace) ``definition`` into the run's table and record
        the result."""
        self.check_open("define_metric")
        self.pipeline.drain()  # the rows logged before it are summarised without it
        with self.history.lock:
            definition = self._metrics.define(definition, overwrite=overwrite)
            self.append(kinds.METRIC, definition.to_payload())
        return definition

    def metric_definitions(self, keys: Iterable[str]) -> dict[str, MetricDefinition | None]:
        """The definition that applies to each of ``keys`` (None where none does)."""
        # Under the lock that guards define_metric: the table's cache is not thread-safe.
        with self.history.lock:
            return {key: self._metrics.lookup(key) for key in keys}

    def _edit_summary(self, update: dict[str, Any], remove: list[str]) -> None:
        self.check_open("summary")
        self.pipeline.drain()  # a row logged before it must not overwrite it
        with self.history.lock:
            self._summary_folder.apply_manual(update, remove)
            self.append(kinds.SUMMARY, {"update": update, "remove": remove})

    def _record_config(self, update: dict[str, Any]) -> None:
        self.check_open("config")
        self.append(kinds.CONFIG, {"update": update, "remove": []})

    def mark_preempting(self) -> None:
        """Record the pre-emption and make it durable at once."""
        self.check_open("mark_preempting")
        self.append(kinds.PREEMPTING, {"time": time.time()})
        self.writer.flush(fsync=True, timeout=5.0)

    # -- the end ---------------------------------------------------------------------------
    def record_exit(self, exit_code: int) -> None:
        """Commit the open step, refuse further records, and record the exit with the final
        summary (the writer stays open for the last console lines)."""
        self.pipeline.drain()
        self.history.close()
        end = time.time()
        self.append(
            kinds.EXIT,
            {
                "exit_code": exit_code,
                "time": end,
                "runtime": end - self._identity.start_time,
                "summary": self._summary_folder.values,
            },
        )

    @property
    def final_summary(self) -> dict[str, Any]:
        return self._summary_folder.values

    def not_saved_message(self) -> str | None:
        """What the user must hear at finish (even when quiet) when records are missing from
        the log, or None when every record reached it."""
        writer = self.writer
        if not writer.records_lost:
            return None
        assert isinstance(writer, RecordWriter)  # a NullWriter loses nothing
        why = [
            f"{count} {what}"
            for count, what in (
                (writer.records_skipped, "could not be encoded or were too large"),
                (writer.records_dropped, "were dropped while the disk refused writes"),
                (writer.records_unsaved, f"were still in memory at finish ({writer.error})"),
            )
            if count
        ]
        return (
            f"{writer.records_lost} record(s) of run {self._identity.label} were not saved: "
            f"{'; '.join(why)}. The log {writer.path} holds the {writer.records_written} "
            "records written"
        )
