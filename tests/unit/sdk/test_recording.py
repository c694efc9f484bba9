"""The run's recording: every record goes through one writer, and none after the exit."""

from __future__ import annotations

from typing import Any

import pytest

from nbrun.errors import Error
from nbrun.record.replay import RunState
from nbrun.record.summary import MetricDefinition
from nbrun.record.writer import NullWriter
from nbrun.sdk.recording import Recording
from nbrun.sdk.run_identity import RunIdentity
from nbrun.sdk.settings import Settings


class ListWriter(NullWriter):
    def __init__(self) -> None:
        self.records: list[tuple[str, Any]] = []

    def append(self, kind: str, payload: Any) -> None:
        self.records.append((kind, payload))


def make_recording(previous: RunState | None = None) -> tuple[Recording, ListWriter]:
    identity = RunIdentity(
        Settings(run_id="abc12345", name="calm-sea-1", mode="offline"),
        start_time=1000.0,
        starting_step=0,
        resumed=False,
        offline=True,
    )
    writer = ListWriter()
    return Recording(identity, writer, previous or RunState(), allow_val_change=False), writer


def test_history_summary_config_and_metrics_are_recorded_in_call_order() -> None:
    recording, writer = make_recording()
    recording.define_metric(MetricDefinition(name="loss", summary=("min",)), overwrite=False)
    recording.history.log({"loss": 0.5}, None, None)
    recording.config.update({"lr": 0.1})
    recording.summary["best"] = 1
    assert [kind for kind, _ in writer.records] == ["metric", "history", "config", "summary"]
    assert recording.summary["loss"] == {"min": 0.5} and recording.history.step == 1


def test_after_the_exit_record_every_recording_call_names_the_finished_run() -> None:
    recording, writer = make_recording()
    recording.history.log({"a": 1}, None, False)  # the open step is committed by the exit
    recording.record_exit(0)
    assert [kind for kind, _ in writer.records] == ["history", "exit"]
    assert writer.records[-1][1]["summary"]["a"] == 1
    for call in (
        lambda: recording.config.update({"b": 2}),
        lambda: recording.summary.update({"b": 2}),
        lambda: recording.define_metric(MetricDefinition(name="b"), overwrite=False),
        recording.mark_preempting,
    ):
        with pytest.raises(Error, match=r"run calm-sea-1 \(abc12345\) is finished"):
            call()
    assert not recording.history.log({"a": 2}, None, None)


def test_a_resumed_recording_goes_on_from_the_replayed_config_and_definitions() -> None:
    previous = RunState(config={"lr": 0.1})
    previous.metrics.define(MetricDefinition(name="acc*", hidden=True))
    recording, _ = make_recording(previous)
    assert recording.config.as_dict() == {"lr": 0.1}
    definitions = recording.metric_definitions(["acc/top1", "loss"])
    assert definitions["acc/top1"] is not None and definitions["acc/top1"].hidden
    assert definitions["loss"] is None


def test_nothing_lost_means_nothing_to_say_at_finish() -> None:
    recording, _ = make_recording()
    assert recording.not_saved_message() is None
