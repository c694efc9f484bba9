import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import nbrun
from nbrun.record.replay import replay_log


@pytest.fixture
def run(offline_settings: dict[str, Any]) -> nbrun.Run:
    return nbrun.init(**offline_settings)


def recorded_alerts(run: nbrun.Run) -> list[dict[str, Any]]:
    """The alerts in the run's record log, read once the run is finished."""
    run.finish(quiet=True)
    return replay_log(Path(run.status().log_path or "")).alerts


def titles(run: nbrun.Run) -> list[str]:
    return [alert["title"] for alert in recorded_alerts(run)]


# -- what is recorded ----------------------------------------------------------------------


def test_an_alert_is_recorded_with_title_text_level_and_time(run: nbrun.Run) -> None:
    before = time.time()

    run.alert("Loss diverged", "loss is NaN at step 12", level="ERROR")

    [alert] = recorded_alerts(run)
    assert alert["title"] == "Loss diverged"
    assert alert["text"] == "loss is NaN at step 12"
    assert alert["level"] == "ERROR"
    assert before <= alert["time"] <= time.time()


def test_the_level_defaults_to_info(run: nbrun.Run) -> None:
    run.alert("Done", "training finished")

    assert [a["level"] for a in recorded_alerts(run)] == ["INFO"]


@pytest.mark.parametrize(
    ("level", "recorded"),
    [
        ("INFO", "INFO"),
        ("WARN", "WARN"),
        ("ERROR", "ERROR"),
        ("warn", "WARN"),
        ("Error", "ERROR"),
        (nbrun.AlertLevel.INFO, "INFO"),
        (nbrun.AlertLevel.WARN, "WARN"),
        (nbrun.AlertLevel.ERROR, "ERROR"),
    ],
)
def test_level_is_a_case_insensitive_string_or_an_alert_level(
    run: nbrun.Run, level: Any, recorded: str
) -> None:
    run.alert("Check", "text", level=level)

    assert [a["level"] for a in recorded_alerts(run)] == [recorded]


def test_alert_level_values_are_the_references_strings() -> None:
    assert [level.value for level in nbrun.AlertLevel] == ["INFO", "WARN", "ERROR"]
    assert nbrun.AlertLevel.WARN == "WARN"


def test_the_module_level_alert_alerts_on_the_active_run(run: nbrun.Run) -> None:
    nbrun.alert("From module", "text", level=nbrun.AlertLevel.WARN)

    assert titles(run) == ["From module"]


def test_alert_before_init_raises_nbrun_error() -> None:
    with pytest.raises(nbrun.Error, match=r"nbrun\.init\(\)"):
        nbrun.alert("Title", "text")


def test_alert_after_finish_raises_nbrun_error(run: nbrun.Run) -> None:
    run.finish(quiet=True)

    with pytest.raises(nbrun.Error, match="finished"):
        run.alert("Late", "text")


# -- validation ----------------------------------------------------------------------------


def test_a_title_of_63_characters_is_accepted(run: nbrun.Run) -> None:
    run.alert("t" * 63, "text")

    assert titles(run) == ["t" * 63]


@pytest.mark.parametrize("length", [64, 65, 200])
def test_a_title_of_64_characters_or_more_raises_value_error(run: nbrun.Run, length: int) -> None:
    with pytest.raises(ValueError, match="64"):
        run.alert("t" * length, "text")

    assert recorded_alerts(run) == []


@pytest.mark.parametrize("title", ["", None, 42])
def test_an_empty_or_non_string_title_raises_value_error(run: nbrun.Run, title: Any) -> None:
    with pytest.raises(ValueError, match="title"):
        run.alert(title, "text")


def test_a_non_string_text_raises_value_error(run: nbrun.Run) -> None:
    with pytest.raises(ValueError, match="text"):
        run.alert("Title", 3.5)  # type: ignore[arg-type]


@pytest.mark.parametrize("level", ["CRITICAL", "warning", "", 1])
def test_an_unknown_level_raises_value_error_naming_it(run: nbrun.Run, level: Any) -> None:
    with pytest.raises(ValueError, match=repr(level)):
        run.alert("Title", "text", level=level)

    assert recorded_alerts(run) == []


@pytest.mark.parametrize("wait", [-1, timedelta(seconds=-1), "60"])
def test_a_negative_or_non_numeric_wait_duration_raises_value_error(
    run: nbrun.Run, wait: Any
) -> None:
    with pytest.raises(ValueError, match="wait_duration"):
        run.alert("Title", "text", wait_duration=wait)


def test_a_refused_alert_does_not_hold_back_the_next_one(run: nbrun.Run) -> None:
    with pytest.raises(ValueError):
        run.alert("Title", "text", level="LOUD")

    run.alert("Title", "text", level="WARN")

    assert titles(run) == ["Title"]


# -- wait_duration -------------------------------------------------------------------------


def test_the_same_title_within_wait_duration_is_not_recorded_again(run: nbrun.Run) -> None:
    run.alert("Slow epoch", "first", wait_duration=300)
    run.alert("Slow epoch", "second", wait_duration=300)

    assert [a["text"] for a in recorded_alerts(run)] == ["first"]


def test_the_same_title_is_throttled_by_default(run: nbrun.Run) -> None:
    run.alert("Slow epoch", "first")
    run.alert("Slow epoch", "second")

    assert [a["text"] for a in recorded_alerts(run)] == ["first"]


def test_a_different_title_within_wait_duration_is_recorded(run: nbrun.Run) -> None:
    run.alert("Slow epoch", "first", wait_duration=300)
    run.alert("Fast epoch", "second", wait_duration=300)

    assert titles(run) == ["Slow epoch", "Fast epoch"]


def test_wait_duration_may_be_a_timedelta(run: nbrun.Run) -> None:
    run.alert("Slow epoch", "first", wait_duration=timedelta(minutes=5))
    run.alert("Slow epoch", "second", wait_duration=timedelta(minutes=5))

    assert [a["text"] for a in recorded_alerts(run)] == ["first"]


def test_with_wait_duration_zero_the_same_title_is_recorded_again(run: nbrun.Run) -> None:
    run.alert("Step done", "1", wait_duration=0)
    run.alert("Step done", "2", wait_duration=0)
    run.alert("Step done", "3", wait_duration=timedelta(0))

    assert [a["text"] for a in recorded_alerts(run)] == ["1", "2", "3"]


def test_the_same_title_is_recorded_again_once_wait_duration_has_passed(run: nbrun.Run) -> None:
    run.alert("Heartbeat", "1", wait_duration=0.2)
    run.alert("Heartbeat", "2", wait_duration=300)
    time.sleep(0.25)
    run.alert("Heartbeat", "3", wait_duration=timedelta(milliseconds=200))

    assert [a["text"] for a in recorded_alerts(run)] == ["1", "3"]


def test_throttling_is_per_run(offline_settings: dict[str, Any]) -> None:
    first = nbrun.init(**offline_settings)
    first.alert("Done", "first run")
    first.finish(quiet=True)

    second = nbrun.init(**offline_settings)
    second.alert("Done", "second run")

    assert [a["text"] for a in recorded_alerts(second)] == ["second run"]


def test_a_throttled_alert_says_so_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    run = nbrun.init(mode="offline", settings={"console": "off"})
    capsys.readouterr()

    run.alert("Slow epoch", "first")
    run.alert("Slow epoch", "second")

    err = capsys.readouterr().err
    assert "ALERT [INFO] Slow epoch: first" in err
    assert "'Slow epoch' not sent" in err


def test_alerts_work_in_disabled_mode_and_record_nothing() -> None:
    run = nbrun.init(mode="disabled")

    run.alert("Title", "text", level="WARN")
    run.alert("Title", "text", level="WARN")
    run.finish()

    assert run.status().log_path is None
    assert list(Path.cwd().iterdir()) == []
