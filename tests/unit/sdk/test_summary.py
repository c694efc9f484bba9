"""run.summary: last values by default, manual values until the key is logged again,
define_metric aggregates, nested values and the dict-like interface."""

from __future__ import annotations

from typing import Any

import pytest

import nbrun


def read_summary(run: nbrun.Run) -> dict[str, Any]:
    run.finish()
    return nbrun.Api().run(run.path).summary


def test_summary_holds_the_last_logged_value(offline_settings: dict[str, Any]) -> None:
    run = nbrun.init(**offline_settings)
    run.log({"loss": 0.5, "acc": 0.1})
    run.log({"loss": 0.25})
    assert run.summary["loss"] == 0.25 and run.summary["acc"] == 0.1
    assert run.summary.loss == 0.25
    assert run.summary["_step"] == 1
    assert read_summary(run)["loss"] == 0.25


def test_a_manual_value_holds_until_the_key_is_logged_again(
    offline_settings: dict[str, Any],
) -> None:
    run = nbrun.init(**offline_settings)
    run.log({"acc": 0.7})
    run.summary["acc"] = 0.99
    run.summary.update({"best_epoch": 3})
    run.log({"loss": 1.0})
    assert run.summary["acc"] == 0.99
    run.log({"acc": 0.8})
    assert run.summary["acc"] == 0.8
    run.summary["acc"] = 0.95
    summary = read_summary(run)
    assert summary["acc"] == 0.95 and summary["best_epoch"] == 3


def test_deleting_a_summary_key_is_recorded(offline_settings: dict[str, Any]) -> None:
    run = nbrun.init(**offline_settings)
    run.log({"tmp": 1, "keep": 2})
    del run.summary["tmp"]
    assert "tmp" not in run.summary
    with pytest.raises(KeyError):
        del run.summary["never"]
    assert "tmp" not in read_summary(run)


@pytest.mark.parametrize(
    ("option", "goal", "expected"),
    [
        ("min", None, {"min": 0.2}),
        ("max", None, {"max": 0.9}),
        ("mean", None, {"mean": pytest.approx(0.5)}),
        ("first", None, {"first": 0.4}),
        ("last", None, {"last": 0.5}),  # as the reference: run.summary["loss"]["last"]
        ("copy", None, 0.5),
        ("best", "maximize", {"best": 0.9}),
        ("best", "minimize", {"best": 0.2}),
        ("min,max,last", None, {"min": 0.2, "max": 0.9, "last": 0.5}),
    ],
)
def test_define_metric_summaries(
    offline_settings: dict[str, Any], option: str, goal: str | None, expected: Any
) -> None:
    run = nbrun.init(**offline_settings)
    run.define_metric("loss", summary=option, goal=goal)
    for value in (0.4, 0.2, 0.9, 0.5):
        run.log({"loss": value})
    assert run.summary["loss"] == expected
    assert read_summary(run)["loss"] == expected


def test_summary_none_leaves_the_key_out(offline_settings: dict[str, Any]) -> None:
    run = nbrun.init(**offline_settings)
    run.define_metric("noise", summary="none")
    run.log({"noise": 1.0, "signal": 2.0})
    assert "noise" not in run.summary and run.summary["signal"] == 2.0


def test_a_trailing_glob_defines_every_matching_metric_and_exact_names_win(
    offline_settings: dict[str, Any],
) -> None:
    run = nbrun.init(**offline_settings)
    run.define_metric("val/*", summary="max")
    run.define_metric("val/loss", summary="min")
    for i in (1, 3, 2):
        run.log({"val/acc": i / 10, "val/loss": i, "train/loss": i})
    assert run.summary["val/acc"] == {"max": 0.3}
    assert run.summary["val/loss"] == {"min": 1}
    assert run.summary["train/loss"] == 2


def test_definitions_merge_unless_overwrite(offline_settings: dict[str, Any]) -> None:
    run = nbrun.init(**offline_settings)
    run.define_metric("acc", step_metric="epoch")
    merged = run.define_metric("acc", summary="max")
    assert (merged.step_metric, merged.summary) == ("epoch", ("max",))
    replaced = run.define_metric("acc", summary="min", overwrite=True)
    assert (replaced.step_metric, replaced.summary) == (None, ("min",))


def test_step_metric_is_inserted_into_rows_that_lack_it(offline_settings: dict[str, Any]) -> None:
    run = nbrun.init(**offline_settings)
    run.define_metric("val_acc", step_metric="epoch")
    run.define_metric("no_sync", step_metric="epoch", step_sync=False)
    run.log({"epoch": 1})
    run.log({"val_acc": 0.5})
    run.log({"no_sync": 0.1})
    run.finish()
    rows = nbrun.Api().run(run.path).history(pandas=False)
    assert rows[1]["epoch"] == 1 and rows[1]["val_acc"] == 0.5
    assert "epoch" not in rows[2]


def test_hidden_metrics_are_recorded_for_the_views(offline_settings: dict[str, Any]) -> None:
    from nbrun.record.replay import replay_log

    run = nbrun.init(**offline_settings)
    metric = run.define_metric("internal/*", hidden=True)
    assert metric.hidden is True and "hidden=True" in repr(metric)
    run.finish()
    definition = replay_log(run.status().log_path or "").metrics.lookup("internal/x")
    assert definition is not None and definition.hidden is True


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": ""}, "non-empty"),
        ({"name": "a*b"}, "only at the end"),
        ({"name": "a", "summary": "median"}, "unknown summary"),
        ({"name": "a", "goal": "up"}, "goal must be"),
        ({"name": "a", "step_metric": "s*"}, "cannot be a glob"),
        ({"name": "a", "hidden": "yes"}, "hidden must be"),
    ],
)
def test_bad_definitions_raise_naming_the_problem(
    offline_settings: dict[str, Any], kwargs: dict[str, Any], message: str
) -> None:
    run = nbrun.init(**offline_settings)
    with pytest.raises(ValueError, match=message):
        run.define_metric(**kwargs)


def test_nested_values_are_addressable_by_dotted_name(offline_settings: dict[str, Any]) -> None:
    run = nbrun.init(**offline_settings)
    run.log({"val": {"acc": 0.5, "loss": {"ce": 1.5}}})
    assert run.summary["val"] == {"acc": 0.5, "loss": {"ce": 1.5}}
    assert run.summary["val.loss.ce"] == 1.5 and "val.acc" in run.summary
    run.summary["val"]["acc"] = 123  # a copy: the summary does not change
    assert run.summary["val.acc"] == 0.5
    run.finish()
    assert nbrun.Api().run(run.path).history(pandas=False)[0]["val.loss.ce"] == 1.5


def test_summary_behaves_like_a_dict(offline_settings: dict[str, Any]) -> None:
    run = nbrun.init(**offline_settings)
    run.log({"a": 1, "b": [1, 2]})
    assert set(run.summary) >= {"a", "b", "_step"}
    assert len(run.summary) == len(run.summary.as_dict())
    assert dict(run.summary.items())["b"] == [1, 2]
    with pytest.raises(AttributeError, match="no key 'missing'"):
        _ = run.summary.missing
    with pytest.raises(TypeError, match="not a string"):
        run.summary.update({1: 2})
