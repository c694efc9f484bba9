"""The reference's step rules for ``log``: new step per call, commit=False, explicit steps,
past steps dropped with a warning, and the _step/_runtime/_timestamp columns."""

from __future__ import annotations

from typing import Any

import pytest

import nbrun


def rows(run: nbrun.Run) -> list[dict[str, Any]]:
    run.finish()
    return nbrun.Api().run(run.path).history(pandas=False)


def user_columns(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in ("_runtime", "_timestamp")}


def test_each_log_call_makes_a_new_step(offline_settings: dict[str, Any]) -> None:
    run = nbrun.init(**offline_settings)
    run.log({"loss": 0.5, "acc": 0.8})
    run.log({"loss": 0.4, "acc": 0.9})
    assert run.step == 2
    assert [user_columns(r) for r in rows(run)] == [
        {"loss": 0.5, "acc": 0.8, "_step": 0},
        {"loss": 0.4, "acc": 0.9, "_step": 1},
    ]


def test_the_three_equivalent_forms_of_the_reference_give_the_same_history(
    offline_settings: dict[str, Any],
) -> None:
    normal = nbrun.init(**offline_settings)
    normal.log({"train-loss": 0.5, "accuracy": 0.8})
    normal.log({"train-loss": 0.4, "accuracy": 0.9})
    expected = [user_columns(r) for r in rows(normal)]

    implicit = nbrun.init(**offline_settings)
    implicit.log({"train-loss": 0.5}, commit=False)
    implicit.log({"accuracy": 0.8})
    implicit.log({"train-loss": 0.4}, commit=False)
    implicit.log({"accuracy": 0.9})
    assert [user_columns(r) for r in rows(implicit)] == expected

    explicit = nbrun.init(**offline_settings)
    current_step = 0
    explicit.log({"train-loss": 0.5}, step=current_step)
    explicit.log({"accuracy": 0.8}, step=current_step)
    current_step += 1
    explicit.log({"train-loss": 0.4}, step=current_step)
    explicit.log({"accuracy": 0.9}, step=current_step)
    assert [user_columns(r) for r in rows(explicit)] == expected


def test_explicit_steps_may_skip_ahead(offline_settings: dict[str, Any]) -> None:
    run = nbrun.init(**offline_settings)
    run.log({"a": 1}, step=10)
    run.log({"a": 2}, step=20)
    assert run.step == 20
    assert [r["_step"] for r in rows(run)] == [10, 20]


def test_commit_true_with_an_explicit_step_closes_that_row(
    offline_settings: dict[str, Any],
) -> None:
    run = nbrun.init(**offline_settings)
    run.log({"a": 1}, step=3, commit=True)
    assert run.step == 4
    run.log({"b": 2})
    assert [user_columns(r) for r in rows(run)] == [{"a": 1, "_step": 3}, {"b": 2, "_step": 4}]


def test_a_past_step_is_dropped_with_one_warning_per_key(
    offline_settings: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    run = nbrun.init(**offline_settings)
    run.log({"a": 1}, step=5)
    run.log({"a": 2}, step=6)
    run.log({"a": 99}, step=2)
    run.log({"a": 98}, step=3)
    run.log({"b": 97}, step=1)
    warnings = [line for line in capsys.readouterr().err.splitlines() if "WARNING" in line]
    assert len(warnings) == 2
    assert "step=2" in warnings[0] and "current step 6" in warnings[0] and "'a'" in warnings[0]
    assert "'b'" in warnings[1]
    assert [user_columns(r) for r in rows(run)] == [{"a": 1, "_step": 5}, {"a": 2, "_step": 6}]


def test_every_row_carries_step_runtime_and_timestamp(offline_settings: dict[str, Any]) -> None:
    run = nbrun.init(**offline_settings)
    for i in range(3):
        run.log({"i": i})
    history = rows(run)
    assert [r["_step"] for r in history] == [0, 1, 2]
    runtimes = [r["_runtime"] for r in history]
    assert runtimes == sorted(runtimes) and runtimes[0] >= 0
    assert all(abs(r["_timestamp"] - run.start_time - r["_runtime"]) < 1e-3 for r in history)


def test_finish_commits_an_open_row(offline_settings: dict[str, Any]) -> None:
    run = nbrun.init(**offline_settings)
    run.log({"a": 1}, commit=False)
    assert [user_columns(r) for r in rows(run)] == [{"a": 1, "_step": 0}]


def test_a_bad_step_raises_and_the_run_goes_on(offline_settings: dict[str, Any]) -> None:
    run = nbrun.init(**offline_settings)
    with pytest.raises(TypeError, match="step must be an integer"):
        run.log({"a": 1}, step=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="step must be >= 0"):
        run.log({"a": 1}, step=-1)
    run.log({"a": 2})
    assert [user_columns(r) for r in rows(run)] == [{"a": 2, "_step": 0}]


def test_numpy_integer_steps_are_accepted(offline_settings: dict[str, Any]) -> None:
    np = pytest.importorskip("numpy")
    run = nbrun.init(**offline_settings)
    run.log({"a": 1}, step=np.int64(7))
    assert [r["_step"] for r in rows(run)] == [7]


def test_logging_from_several_threads_keeps_every_row(offline_settings: dict[str, Any]) -> None:
    import threading

    run = nbrun.init(**offline_settings)

    def worker(name: str) -> None:
        for i in range(500):
            run.log({name: i})

    threads = [threading.Thread(target=worker, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    history = rows(run)
    assert [r["_step"] for r in history] == list(range(2000))
    for n in range(4):
        assert [r[f"w{n}"] for r in history if f"w{n}" in r] == list(range(500))
