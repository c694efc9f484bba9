"""A run's lifecycle: one finish, its state by exit code, and the calls made at finish."""

from __future__ import annotations

import pytest

from nbrun.record.replay import RunState
from nbrun.record.writer import NullWriter
from nbrun.sdk.lifecycle import Lifecycle
from nbrun.sdk.recording import Recording
from nbrun.sdk.run_identity import RunIdentity
from nbrun.sdk.settings import Settings


def disabled_lifecycle() -> tuple[Lifecycle, Recording]:
    identity = RunIdentity(
        Settings(run_id="abc12345", name="calm-sea-1", mode="disabled"),
        start_time=1000.0,
        starting_step=0,
        resumed=False,
        offline=True,
    )
    recording = Recording(identity, NullWriter(), RunState(), allow_val_change=False)
    return Lifecycle(identity, recording, files=None, online=None), recording


def test_a_second_finish_does_nothing_and_the_calls_at_finish_run_once() -> None:
    lifecycle, recording = disabled_lifecycle()
    calls: list[str] = []
    lifecycle.call_at_finish(lambda: calls.append("registry"))
    lifecycle.finish(exit_code=3, quiet=True)
    lifecycle.finish(exit_code=0, quiet=True)
    assert calls == ["registry"]
    assert (lifecycle.state, lifecycle.exit_code) == ("failed", 3)
    assert recording.history.closed


def test_the_calls_at_finish_run_even_when_finishing_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lifecycle, recording = disabled_lifecycle()
    calls: list[str] = []
    lifecycle.call_at_finish(lambda: calls.append("widget"))

    def broken(exit_code: int) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(recording, "record_exit", broken)
    with pytest.raises(OSError, match="disk gone"):
        lifecycle.finish(exit_code=None, quiet=True)
    assert calls == ["widget"]


def test_the_status_of_a_run_without_files_or_backend() -> None:
    lifecycle, recording = disabled_lifecycle()
    recording.history.log({"a": 1}, None, None)
    status = lifecycle.status()
    assert (status.state, status.step, status.log_path, status.backend_url) == (
        "running",
        1,
        None,
        None,
    )
    assert status.synced is False and status.acked_seq is None
