"""Replaying a record log into run state, and carrying that state across batches."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgpack

import nbrun
from nbrun.record.reader import RecordLogReader
from nbrun.record.replay import RunState, replay_log


def logged_run(offline_settings: dict[str, Any]) -> nbrun.Run:
    run = nbrun.init(config={"lr": 0.1}, **offline_settings)
    run.define_metric("loss", summary="min,mean")
    run.define_metric("acc", summary="best", goal="maximize")
    for i in range(20):
        run.log({"loss": 1 / (i + 1), "acc": (i % 7) / 10, "note": f"step {i}"})
    run.summary["best_epoch"] = 4
    run.alert("done", "all good")
    run.finish()
    return run


def test_replay_gives_the_summary_the_run_had(offline_settings: dict[str, Any]) -> None:
    run = logged_run(offline_settings)
    state = replay_log(run.status().log_path or "")
    assert state.summary_values == run.summary.as_dict()
    assert state.config == {"lr": 0.1}
    assert state.exit is not None and state.exit["exit_code"] == 0
    assert state.last_step == 19 and state.history_rows == 20
    assert [a["title"] for a in state.alerts] == ["done"]


def test_state_saved_midway_continues_to_the_same_result(offline_settings: dict[str, Any]) -> None:
    run = logged_run(offline_settings)
    records = list(RecordLogReader(Path(run.status().log_path or "")))
    state = RunState()
    for index, (_seq, kind, payload) in enumerate(records):
        if index % 5 == 0:  # as a server does between batches: save, encode, load
            saved = msgpack.unpackb(msgpack.packb(state.to_state()), strict_map_key=False)
            state = RunState.from_state(saved)
        state.apply(kind, payload)
    assert state.summary_values == replay_log(run.status().log_path or "").summary_values
    assert state.summary_values["loss"]["mean"] == run.summary["loss"]["mean"]
