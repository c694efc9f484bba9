"""nbrun.plot: each preset's payload and table, the reference's argument names and errors, and
the curves checked against scikit-learn (which nbrun does not need at run time)."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import numpy as np
import pytest

import nbrun
from nbrun.data_types.plot import CustomChart


def table_of(chart: CustomChart) -> dict[str, Any]:
    payload = chart._nbrun_value()
    files = {f.path: f.data for f in chart._nbrun_files()}
    data: dict[str, Any] = json.loads(files[payload["table"]["path"]])
    return data


def points(chart: CustomChart, label: Any) -> list[list[Any]]:
    return [row[1:] for row in table_of(chart)["data"] if row[0] == label]


@pytest.fixture
def table() -> nbrun.Table:
    return nbrun.Table(
        columns=["step", "value", "series"],
        data=[[i, i * 0.5, "a" if i % 2 else "b"] for i in range(6)],
    )


def test_line_maps_x_y_and_stroke_to_the_callers_columns(table: nbrun.Table) -> None:
    chart = nbrun.plot.line(table, "step", "value", stroke="series", title="Multi-Series")

    payload = chart._nbrun_value()

    assert payload == {
        "_type": "plot",
        "preset": "line",
        "title": "Multi-Series",
        "fields": {"x": "step", "y": "value", "stroke": "series"},
        "table": table._nbrun_value(),
    }
    assert [f.path for f in chart._nbrun_files()] == [f.path for f in table._nbrun_files()]


def test_scatter_bar_and_histogram_fields(table: nbrun.Table) -> None:
    scatter = nbrun.plot.scatter(table, "step", "value")._nbrun_value()
    bar = nbrun.plot.bar(table, "series", "value", title="bars")._nbrun_value()
    histogram = nbrun.plot.histogram(table, "value")._nbrun_value()

    assert (scatter["preset"], scatter["fields"], scatter["title"]) == (
        "scatter",
        {"x": "step", "y": "value"},
        None,
    )
    assert (bar["preset"], bar["fields"], bar["title"]) == (
        "bar",
        {"label": "series", "value": "value"},
        "bars",
    )
    assert (histogram["preset"], histogram["fields"]) == ("histogram", {"value": "value"})


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda t: nbrun.plot.line(t, "nope", "value"), r"plot\.line: x='nope' is not a column"),
        (lambda t: nbrun.plot.line(t, "step", "value", stroke="s"), r"stroke='s' is not a col"),
        (lambda t: nbrun.plot.scatter([[1, 2]], "x", "y"), "table must be an nbrun.Table"),
        (lambda t: nbrun.plot.bar(t, "series", "v"), r"plot\.bar: value='v' is not a column"),
        (lambda t: nbrun.plot.histogram(t, "value", title=3), "title must be a string"),
    ],
)
def test_charts_of_a_table_refuse_unknown_columns(
    table: nbrun.Table, make: Any, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        make(table)


def test_line_series_with_one_x_for_all_series() -> None:
    chart = nbrun.plot.line_series(
        [0, 1, 2], [[0, 1, 2], [0, 1, 4]], keys=["linear", "square"], title="t", xname="epoch"
    )

    payload = chart._nbrun_value()

    assert payload["fields"] == {"x": "epoch", "stroke": "lineKey", "y": "lineVal"}
    assert payload["title"] == "t"
    assert table_of(chart) == {
        "columns": ["epoch", "lineKey", "lineVal"],
        "data": [
            [0, "linear", 0],
            [1, "linear", 1],
            [2, "linear", 2],
            [0, "square", 0],
            [1, "square", 1],
            [2, "square", 4],
        ],
    }


def test_line_series_with_one_x_per_series_and_default_keys() -> None:
    chart = nbrun.plot.line_series([np.arange(2), [10, 20]], np.array([[1.0, 2.0], [3.0, 4.0]]))

    assert table_of(chart)["columns"] == ["x", "lineKey", "lineVal"]
    assert table_of(chart)["data"] == [
        [0, "line_0", 1.0],
        [1, "line_0", 2.0],
        [10, "line_1", 3.0],
        [20, "line_1", 4.0],
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"xs": [[1], [2], [3]], "ys": [[1], [2]]}, r"Number of x-series \(3\) must match y-ser"),
        ({"xs": [1, 2], "ys": [[1, 2]], "keys": ["a", "b"]}, r"Number of keys \(2\) must match"),
        ({"xs": [1, 2], "ys": [[1, 2, 3]]}, "series 0 has 2 x values and 3 y values"),
        ({"xs": [1], "ys": 5}, "ys must be a list or an array"),
        ({"xs": [1], "ys": [[1]], "xname": "lineKey"}, "xname must be a string other than"),
    ],
)
def test_line_series_errors(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        nbrun.plot.line_series(**kwargs)


# -- classifier charts ---------------------------------------------------------------------


@pytest.fixture
def classified() -> tuple[Any, Any]:
    rng = np.random.default_rng(7)
    y_true = rng.integers(0, 3, size=300)
    scores = rng.random((300, 3)) + np.eye(3)[y_true] * rng.random((300, 1))
    return y_true, scores / scores.sum(axis=1, keepdims=True)


def test_roc_curve_matches_scikit_learn_for_each_class(classified: tuple[Any, Any]) -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    y_true, y_probas = classified

    chart = nbrun.plot.roc_curve(y_true, y_probas, labels=["cat", "dog", "owl"])

    payload = chart._nbrun_value()
    assert payload["preset"] == "roc_curve" and payload["title"] == "ROC Curve"
    assert payload["fields"] == {"x": "fpr", "y": "tpr", "stroke": "class"}
    assert table_of(chart)["columns"] == ["class", "fpr", "tpr"]
    for index, label in enumerate(["cat", "dog", "owl"]):
        fpr, tpr, _ = metrics.roc_curve(y_true, y_probas[:, index], pos_label=index)
        expected = np.round(np.stack([fpr, tpr], axis=1), 3).tolist()
        assert points(chart, label) == expected


def test_pr_curve_matches_the_reference_computed_with_scikit_learn(
    classified: tuple[Any, Any],
) -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    y_true, y_probas = classified

    chart = nbrun.plot.pr_curve(y_true, y_probas, interp_size=11, title="PR")

    payload = chart._nbrun_value()
    assert (payload["preset"], payload["title"]) == ("pr_curve", "PR")
    assert payload["fields"] == {"x": "recall", "y": "precision", "stroke": "class"}
    recall_points = np.linspace(0, 1, 11)[::-1]
    for index in range(3):
        # The reference's pr_curve: scikit-learn's curve, precision made monotone, then read
        # at evenly spaced recall points.
        precision, recall, _ = metrics.precision_recall_curve(
            y_true, y_probas[:, index], pos_label=index
        )
        precision = np.maximum.accumulate(precision)[::-1]
        at = np.searchsorted(recall[::-1], recall_points, side="left")
        expected = np.round(np.stack([precision[at], recall_points], axis=1), 3).tolist()
        assert points(chart, index) == expected


def test_classes_to_plot_picks_classes_and_a_1d_score_is_the_positive_class() -> None:
    y_true = [0, 1, 1, 0, 1]
    scores = [0.1, 0.8, 0.9, 0.2, 0.7]

    chart = nbrun.plot.roc_curve(y_true, scores, classes_to_plot=[1])

    assert {row[0] for row in table_of(chart)["data"]} == {1}
    assert points(chart, 1) == [[0.0, 0.0], [0.0, 0.333], [0.0, 1.0], [1.0, 1.0]]


def test_a_class_without_negatives_is_left_out_with_a_warning(
    capsys: pytest.CaptureFixture[str],
) -> None:
    chart = nbrun.plot.roc_curve([0, 0, 1], [[0.9, 0.1], [0.8, 0.2], [0.3, 0.7]], labels=["a", "b"])

    assert {row[0] for row in table_of(chart)["data"]} == {"a", "b"}
    with pytest.raises(ValueError, match="no class could be drawn"):
        nbrun.plot.roc_curve([1, 1], [[0.2, 0.8], [0.3, 0.7]], classes_to_plot=[1])
    assert "class 1 needs both positive and negative samples" in capsys.readouterr().err


@pytest.mark.parametrize("preset", ["pr_curve", "roc_curve"])
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"y_probas": [[0.5, 0.5]]}, "needs y_true="),
        ({"y_true": [0, 1]}, "needs y_probas="),
        ({"y_true": [0, 1, 2], "y_probas": [[0.1, 0.9]] * 3}, "3 classes but y_probas has 2"),
        ({"y_true": [0, 1], "y_probas": [[0.1, 0.9]] * 3}, r"for each of the 2 samples"),
        ({"y_true": [0, 1], "y_probas": [[np.nan, 1], [0, 1]]}, "y_probas holds NaN"),
        ({"y_true": [0, 1], "y_probas": [["a", "b"]] * 2}, "y_probas must hold numbers"),
        ({"y_true": [0, 1], "y_probas": [[1, 0], [0, 1]], "labels": ["a"]}, "labels has 1 names"),
    ],
)
def test_curve_errors_name_the_argument(preset: str, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        getattr(nbrun.plot, preset)(**kwargs)


def test_confusion_matrix_from_predictions_counts_every_pair() -> None:
    chart = nbrun.plot.confusion_matrix(
        y_true=[0, 1, 2, 2, 2], preds=[0, 1, 1, 2, 2], class_names=["cat", "dog", "owl"]
    )

    payload = chart._nbrun_value()
    assert payload["preset"] == "confusion_matrix"
    assert payload["title"] == "Confusion Matrix Curve"
    assert payload["fields"] == {
        "actual": "Actual",
        "predicted": "Predicted",
        "value": "nPredictions",
    }
    assert table_of(chart) == {
        "columns": ["Actual", "Predicted", "nPredictions"],
        "data": [
            ["cat", "cat", 1],
            ["cat", "dog", 0],
            ["cat", "owl", 0],
            ["dog", "cat", 0],
            ["dog", "dog", 1],
            ["dog", "owl", 0],
            ["owl", "cat", 0],
            ["owl", "dog", 1],
            ["owl", "owl", 2],
        ],
    }


def test_confusion_matrix_from_probabilities_matches_scikit_learn() -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(3)
    y_true = rng.integers(0, 4, size=200)
    probs = rng.random((200, 4))

    chart = nbrun.plot.confusion_matrix(probs=probs, y_true=y_true, title="4 classes")

    expected = metrics.confusion_matrix(y_true, probs.argmax(axis=1), labels=range(4))
    counts = [row[2] for row in table_of(chart)["data"]]
    assert counts == expected.ravel().tolist()
    assert table_of(chart)["data"][1][:2] == ["Class_1", "Class_2"]
    assert chart._nbrun_value()["title"] == "4 classes"


def test_confusion_matrix_labels_may_be_the_class_names_themselves() -> None:
    chart = nbrun.plot.confusion_matrix(
        y_true=["dog", "cat"], preds=["dog", "dog"], class_names=["cat", "dog"]
    )

    assert [row[2] for row in table_of(chart)["data"]] == [0, 1, 0, 1]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"probs": [[1, 0]], "preds": [0], "y_true": [0]}, "Only one of `probs` or `preds`"),
        ({"y_true": [0]}, "needs preds= .* or probs="),
        ({"preds": [0]}, "needs y_true="),
        ({"preds": [0, 1], "y_true": [0]}, "number of predictions and true labels must be equal"),
        (
            {"preds": [0, 1, 2], "y_true": [0, 0, 0], "class_names": ["a", "b"]},
            "unique predicted classes exceeds the number of class names",
        ),
        (
            {"preds": [0, 0, 0], "y_true": [0, 1, 2], "class_names": ["a", "b"]},
            "unique true labels exceeds the number of class names",
        ),
        ({"preds": [0, 5], "y_true": [0, 1], "class_names": ["a", "b"]}, r"labels \[5\] are no"),
        ({"probs": [0.2, 0.8], "y_true": [0, 1]}, "probs must be N x K"),
        ({"preds": [0.5], "y_true": [0]}, "preds holds non-integer numbers"),
        ({"preds": [0], "y_true": [0], "class_names": ["a", "a"]}, "class_names repeat"),
    ],
)
def test_confusion_matrix_errors(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        nbrun.plot.confusion_matrix(**kwargs)


def test_curves_past_the_chart_row_cap_are_sampled_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(nbrun.Table, "MAX_ROWS", 10)
    y_true = np.arange(100) % 2
    scores = np.linspace(0, 1, 100)

    chart = nbrun.plot.roc_curve(y_true, np.stack([1 - scores, scores], axis=1))

    rows = table_of(chart)["data"]
    assert len(rows) <= 10 and {row[0] for row in rows} == {0, 1}
    assert points(chart, 1)[0] == [0.0, 0.0] and points(chart, 1)[-1] == [1.0, 1.0]
    assert "nbrun uses only 10 data points" in capsys.readouterr().err


def test_nbrun_plot_needs_no_scikit_learn() -> None:
    code = (
        "import sys; sys.modules['sklearn'] = None\n"
        "import nbrun\n"
        "nbrun.plot.roc_curve([0, 1, 1], [[0.8, 0.2], [0.3, 0.7], [0.4, 0.6]])\n"
        "nbrun.plot.pr_curve([0, 1, 1], [[0.8, 0.2], [0.3, 0.7], [0.4, 0.6]])\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "ok", done.stderr
