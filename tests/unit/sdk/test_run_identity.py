"""Who a run is: its settings record, kept across a resume and edited by the user."""

from __future__ import annotations

import pytest

from nbrun.record.replay import RunState
from nbrun.sdk.run_identity import RunIdentity
from nbrun.sdk.settings import Settings


def identity_for(settings: Settings, previous: RunState) -> RunIdentity:
    return RunIdentity.for_run(
        settings, "abc12345", "team", previous, resumed=True, offline=True, start_time=2000.0
    )


def test_a_resumed_run_keeps_its_name_its_clock_and_its_place_in_the_steps() -> None:
    previous = RunState(run={"name": "calm-sea-1", "start_time": 1000.0}, last_step=41)
    identity = identity_for(Settings(project="p"), previous)
    assert identity.name == "calm-sea-1"
    assert (identity.start_time, identity.starting_step) == (1000.0, 42)
    assert identity.path == "team/p/abc12345" and identity.label == "calm-sea-1 (abc12345)"


def test_a_new_run_gets_a_random_name_and_starts_at_step_zero_now() -> None:
    identity = identity_for(Settings(), RunState())
    assert identity.name.count("-") == 2 and identity.starting_step == 0
    assert identity.start_time == 2000.0 and identity.project == ""


def test_an_edit_replaces_the_settings_and_returns_the_run_record() -> None:
    identity = identity_for(Settings(project="p"), RunState())
    before = identity.settings
    record = identity.edit(name="renamed", tags=("a",))
    assert identity.settings is not before and before.name != "renamed"
    assert (record["name"], record["tags"], record["id"]) == ("renamed", ["a"], "abc12345")


def test_an_edit_with_a_bad_value_changes_nothing() -> None:
    identity = identity_for(Settings(), RunState())
    name = identity.name
    with pytest.raises(ValueError, match="lone surrogate"):
        identity.edit(name="lone \ud800 surrogate")
    assert identity.name == name
