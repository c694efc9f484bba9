import json
import math
import types
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import nbrun
from nbrun.sdk.values import convert_log_data, convert_value


@pytest.fixture
def run(offline_settings: dict[str, Any]) -> nbrun.Run:
    return nbrun.init(**offline_settings)


def history(run: nbrun.Run) -> list[dict[str, Any]]:
    """The history rows a reader sees once the run is finished, without nbrun's own keys."""
    run.finish(quiet=True)
    rows = nbrun.Api().run(run.path).history(pandas=False)
    return [{k: v for k, v in row.items() if k not in ("_runtime", "_timestamp")} for row in rows]


# -- the shape of log() input --------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "type_name"),
    [([("loss", 1.0)], "list"), (0.5, "float"), ("loss", "str"), (None, "NoneType")],
)
def test_data_that_is_not_a_dict_raises_type_error_naming_its_type(
    run: nbrun.Run, data: Any, type_name: str
) -> None:
    with pytest.raises(TypeError, match=type_name):
        run.log(data)

    assert run.step == 0


def test_any_mapping_is_accepted(run: nbrun.Run) -> None:
    run.log(OrderedDict(loss=1.0))
    run.log(types.MappingProxyType({"loss": 2.0}))  # type: ignore[arg-type]

    assert history(run) == [{"loss": 1.0, "_step": 0}, {"loss": 2.0, "_step": 1}]


@pytest.mark.parametrize("key", [3, 2.5, ("a", "b"), None, b"loss"])
def test_a_key_that_is_not_a_string_raises_type_error_naming_it(run: nbrun.Run, key: Any) -> None:
    with pytest.raises(TypeError, match=f"key {key!r}".replace("(", r"\(").replace(")", r"\)")):
        run.log({"ok": 1.0, key: 1.0})

    assert run.step == 0


def test_a_non_string_key_inside_a_nested_dict_raises_type_error_naming_both(
    run: nbrun.Run,
) -> None:
    with pytest.raises(TypeError, match=r"key 1 inside 'layer'"):
        run.log({"layer": {1: 0.5}})


def test_a_string_subclass_key_is_accepted_as_a_string(run: nbrun.Run) -> None:
    run.log({np.str_("acc"): 0.9, np.str_("loss"): 1})

    assert history(run) == [{"acc": 0.9, "loss": 1, "_step": 0}]


# -- values that cannot be stored ----------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [object(), b"bytes", 1 + 2j, np.complex64(1 + 2j), {1, 2}, np.array([1 + 1j]), print],
    ids=["object", "bytes", "complex", "numpy-complex", "set", "complex-array", "function"],
)
def test_a_value_that_cannot_be_stored_raises_type_error_naming_the_key(
    run: nbrun.Run, value: Any
) -> None:
    with pytest.raises(TypeError, match="'bad'"):
        run.log({"good": 1.0, "bad": value})


def test_nothing_of_a_refused_call_is_logged(run: nbrun.Run) -> None:
    run.log({"loss": 1.0})

    with pytest.raises(TypeError, match="'model'"):
        run.log({"loss": 0.5, "acc": 0.9, "model": object()})
    run.log({"loss": 0.25})

    assert history(run) == [{"loss": 1.0, "_step": 0}, {"loss": 0.25, "_step": 1}]


def test_a_refused_call_leaves_the_summary_untouched(run: nbrun.Run) -> None:
    run.log({"loss": 1.0})

    with pytest.raises(TypeError):
        run.log({"loss": 0.5, "model": object()})

    assert run.summary["loss"] == 1.0
    assert "model" not in run.summary


def test_a_refused_value_in_a_nested_dict_names_its_dotted_path(run: nbrun.Run) -> None:
    with pytest.raises(TypeError, match=r"'train\.model'"):
        run.log({"train": {"loss": 1.0, "model": object()}})


def test_a_refused_list_item_names_its_index(run: nbrun.Run) -> None:
    with pytest.raises(TypeError, match=r"'losses\[1\]'"):
        run.log({"losses": [1.0, object()]})


@pytest.mark.parametrize("value", [2**70, 2**64, -(2**63) - 1, [1, 2**70]])
def test_an_integer_too_large_to_store_raises_value_error_naming_the_key(
    run: nbrun.Run, value: Any
) -> None:
    with pytest.raises(ValueError, match=r"'big.*too large"):
        run.log({"small": 1, "big": value})

    assert run.step == 0


def test_a_huge_integer_inside_a_nested_dict_names_its_dotted_path(run: nbrun.Run) -> None:
    with pytest.raises(ValueError, match=r"'a\.b'"):
        run.log({"a": {"b": 2**70}})


def test_the_largest_storable_integers_round_trip(run: nbrun.Run) -> None:
    run.log({"max": 2**64 - 1, "min": -(2**63), "np": np.uint64(2**64 - 1)})

    assert history(run) == [{"max": 2**64 - 1, "min": -(2**63), "np": 2**64 - 1, "_step": 0}]


@pytest.mark.parametrize("key", ["_step", "_runtime", "_timestamp"])
@pytest.mark.parametrize("value", [1.0, 5], ids=["float", "int"])
def test_a_reserved_key_raises_value_error_naming_it(run: nbrun.Run, key: str, value: Any) -> None:
    with pytest.raises(ValueError, match=key):
        run.log({"loss": 1.0, key: value})

    assert run.step == 0


def test_the_run_keeps_working_after_each_refused_call(run: nbrun.Run) -> None:
    refused: list[Any] = [
        [1, 2],
        {1: 1.0},
        {"x": object()},
        {"x": 2**70},
        {"_step": 3},
        {"x": {"y": object()}},
    ]
    for data in refused:
        with pytest.raises((TypeError, ValueError)):
            run.log(data)
        run.log({"loss": float(len(data))})

    rows = history(run)
    assert [row["_step"] for row in rows] == list(range(len(refused)))
    assert all(set(row) == {"loss", "_step"} for row in rows)


def test_log_before_init_raises_nbrun_error() -> None:
    with pytest.raises(nbrun.Error, match=r"nbrun\.init\(\)"):
        nbrun.log({"loss": 1.0})


# -- values that are stored ----------------------------------------------------------------


def test_plain_values_round_trip(run: nbrun.Run) -> None:
    run.log({"f": 0.5, "i": 3, "s": "text", "b": True, "n": None, "l": [1, "a", 2.5]})

    assert history(run) == [
        {"f": 0.5, "i": 3, "s": "text", "b": True, "n": None, "l": [1, "a", 2.5], "_step": 0}
    ]


def test_nan_and_infinities_are_kept_as_floats(run: nbrun.Run) -> None:
    run.log({"nan": float("nan"), "inf": float("inf"), "ninf": -math.inf})
    run.log({"nan": np.float32("nan"), "inf": np.float64("inf"), "ninf": np.array(-np.inf)})

    for row in history(run):
        assert math.isnan(row["nan"])
        assert row["inf"] == math.inf
        assert row["ninf"] == -math.inf
        assert all(type(row[k]) is float for k in ("nan", "inf", "ninf"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (np.float32(0.5), 0.5),
        (np.float64(0.25), 0.25),
        (np.float16(2.0), 2.0),
        (np.int64(7), 7),
        (np.int8(-3), -3),
        (np.uint32(9), 9),
        (np.bool_(True), True),
        (np.bool_(False), False),
        (np.array(1.5), 1.5),
        (np.array(4), 4),
        (np.array(True), True),
    ],
    ids=lambda v: type(v).__name__ if not isinstance(v, np.ndarray) else f"0d-{v.dtype}",
)
def test_numpy_scalars_and_0d_arrays_become_python_numbers(
    run: nbrun.Run, value: Any, expected: Any
) -> None:
    run.log({"x": value})

    assert run.summary["x"] == expected
    assert type(run.summary["x"]) is type(expected)
    [row] = history(run)
    assert row["x"] == expected
    assert type(row["x"]) is type(expected)


def test_numpy_float32_keeps_its_float32_value(run: nbrun.Run) -> None:
    run.log({"x": np.float32(0.1)})

    assert run.summary["x"] == float(np.float32(0.1))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (np.array([1, 2, 3]), [1, 2, 3]),
        (np.array([0.5, 1.5], dtype=np.float32), [0.5, 1.5]),
        (np.array([True, False]), [True, False]),
        (np.arange(4).reshape(2, 2), [[0, 1], [2, 3]]),
        (np.array([]), []),
    ],
    ids=["int", "float32", "bool", "2d", "empty"],
)
def test_numpy_arrays_become_lists(run: nbrun.Run, value: Any, expected: Any) -> None:
    run.log({"x": value})

    assert run.summary["x"] == expected
    assert history(run)[0]["x"] == expected


def test_numpy_values_inside_lists_and_dicts_are_converted(run: nbrun.Run) -> None:
    run.log({"l": [np.int64(1), np.float32(0.5)], "d": {"a": np.bool_(True)}, "t": (1, 2)})

    [row] = history(run)
    assert row["l"] == [1, 0.5]
    assert row["d.a"] is True
    assert row["t"] == [1, 2]


def test_nested_dicts_stay_nested_in_the_summary_and_are_dotted_in_history(
    run: nbrun.Run,
) -> None:
    run.log({"train": {"loss": 0.5, "acc": {"top1": 0.8}}, "lr": 0.1})

    assert run.summary["train"] == {"loss": 0.5, "acc": {"top1": 0.8}}
    assert run.summary["train.acc.top1"] == 0.8
    assert history(run) == [
        {"train.loss": 0.5, "train.acc.top1": 0.8, "lr": 0.1, "_step": 0},
    ]
    assert nbrun.Api().run(run.path).summary["train"] == {"loss": 0.5, "acc": {"top1": 0.8}}


def test_nested_dicts_appear_as_dotted_columns_in_the_dataframe(run: nbrun.Run) -> None:
    pytest.importorskip("pandas")
    run.log({"a": {"b": 1.0}})
    run.log({"a": {"b": 2.0}})
    run.finish(quiet=True)

    frame = nbrun.Api().run(run.path).history()

    assert list(frame["a.b"]) == [1.0, 2.0]


def test_changing_logged_containers_afterwards_changes_nothing_recorded(run: nbrun.Run) -> None:
    losses = [1.0]
    nested = {"a": 1}
    run.log({"losses": losses, "nested": nested})

    losses.append(2.0)
    nested["a"] = 99

    assert run.summary["losses"] == [1.0]
    assert history(run) == [{"losses": [1.0], "nested.a": 1, "_step": 0}]


def test_a_histogram_is_logged_as_its_counts_and_bins(run: nbrun.Run) -> None:
    run.log({"weights": nbrun.Histogram(np_histogram=([1, 2], [0.0, 0.5, 1.0]))})

    assert history(run) == [
        {
            "weights": {"_type": "histogram", "values": [1.0, 2.0], "bins": [0.0, 0.5, 1.0]},
            "_step": 0,
        }
    ]


def test_an_image_outside_log_is_refused_naming_the_key(run: nbrun.Run) -> None:
    with pytest.raises(ValueError, match=r"'cover'.*only run\.log"):
        run.summary["cover"] = nbrun.Image(np.zeros((2, 2)))


# -- tables, HTML, figures and charts: stored, then read back as a reader of the run sees them


def read_back(run: nbrun.Run, tmp_path: Path) -> tuple[dict[str, Any], Callable[[str], bytes]]:
    """The run's only history row, and a reader of its files through the public Api."""
    [row] = history(run)
    remote = nbrun.Api().run(run.path)

    def file_bytes(path: str) -> bytes:
        return remote.file(path).download(root=str(tmp_path / "dl"), replace=True).read_bytes()

    return row, file_bytes


def test_a_table_with_an_image_cell_reads_back_through_the_api(
    run: nbrun.Run, tmp_path: Path
) -> None:
    image = nbrun.Image(np.eye(3), caption="<script>alert(1)</script>")
    table = nbrun.Table(columns=["id", "image", "<b>name</b>"], data=[[1, image, "<i>x</i>"]])
    logged = table._nbrun_value()

    run.log({"predictions": table})
    row, file_bytes = read_back(run, tmp_path)

    stored = row["predictions"]
    assert stored == {**logged, "path": stored["path"]}
    assert stored["path"].startswith("media/tables/predictions_0_")  # named by key and step
    content = json.loads(file_bytes(stored["path"]))
    assert content == {
        "columns": ["id", "image", "<b>name</b>"],
        "data": [[1, image._nbrun_value(), "<i>x</i>"]],
    }
    assert file_bytes(content["data"][0][1]["path"]) == image._nbrun_files()[0].data


def test_html_reads_back_as_logged(run: nbrun.Run, tmp_path: Path) -> None:
    page = "<h1>report</h1><script>alert(1)</script>"

    run.log({"report": nbrun.Html(page, inject=False)})
    row, file_bytes = read_back(run, tmp_path)

    assert row["report"]["_type"] == "html-file"
    assert file_bytes(row["report"]["path"]).decode() == page


def test_a_confusion_matrix_reads_back_with_its_table(run: nbrun.Run, tmp_path: Path) -> None:
    chart = nbrun.plot.confusion_matrix(y_true=[0, 1, 1], preds=[0, 1, 0], class_names=["a", "b"])

    run.log({"cm": chart})
    row, file_bytes = read_back(run, tmp_path)

    assert row["cm"]["_type"] == "plot" and row["cm"]["preset"] == "confusion_matrix"
    assert json.loads(file_bytes(row["cm"]["table"]["path"]))["data"] == [
        ["a", "a", 1],
        ["a", "b", 0],
        ["b", "a", 1],
        ["b", "b", 1],
    ]


def test_figures_logged_directly_read_back(run: nbrun.Run, tmp_path: Path) -> None:
    go = pytest.importorskip("plotly.graph_objects")
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plotly_figure = go.Figure(go.Scatter(x=[1, 2], y=[3, 4]))
    plt.figure()
    plt.plot([1, 2], [5, 6])
    try:
        run.log({"plotly": plotly_figure, "pyplot": plt})
    finally:
        plt.close("all")
    row, file_bytes = read_back(run, tmp_path)

    assert file_bytes(row["plotly"]["path"]) == plotly_figure.to_json().encode()
    assert row["pyplot"]["_type"] == "plotly-file"
    assert json.loads(file_bytes(row["pyplot"]["path"]))["data"][0]["type"] == "scatter"


def test_a_failed_value_refuses_the_whole_call_media_included(run: nbrun.Run) -> None:
    # The documented rule: one value that cannot be logged refuses the whole log() call, naming
    # its key; nothing of that call is recorded, its scalars and its media files included.
    table = nbrun.Table(columns=["x"], data=[[1]])
    run.log({"loss": 1.0})

    with pytest.raises(TypeError, match=r"value of 'model' has type builtins\.object"):
        run.log({"loss": 0.5, "table": table, "page": nbrun.Html("<p>"), "model": object()})

    assert run.step == 1 and run.summary["loss"] == 1.0 and "table" not in run.summary
    assert not (Path(run.dir) / "media").exists()
    assert history(run) == [{"loss": 1.0, "_step": 0}]


def test_a_figure_that_cannot_be_converted_names_its_key(run: nbrun.Run) -> None:
    colors = pytest.importorskip("matplotlib.colors")

    with pytest.raises(ValueError, match=r"value of 'norm': log\(\) takes a matplotlib figure"):
        run.log({"loss": 1.0, "norm": colors.Normalize()})
    assert run.step == 0


def test_a_table_outside_log_is_refused_naming_the_key(run: nbrun.Run) -> None:
    with pytest.raises(ValueError, match=r"'best'.*is a Table, which only run\.log"):
        run.summary["best"] = nbrun.Table(columns=["x"], data=[[1]])


# -- the converters on their own -----------------------------------------------------------


def test_convert_log_data_returns_a_new_dict() -> None:
    data = {"loss": 1.0}

    converted = convert_log_data(data)

    assert converted == data
    assert converted is not data


def test_convert_value_names_the_key_it_was_given() -> None:
    with pytest.raises(TypeError, match=r"'config\.model'"):
        convert_value(object(), "config.model")


def test_numpy_string_values_become_python_strings() -> None:
    assert type(convert_value(np.str_("adam"), "opt")) is str


# -- torch ---------------------------------------------------------------------------------


def test_torch_scalars_and_tensors_are_converted(run: nbrun.Run) -> None:
    torch = pytest.importorskip("torch")

    run.log({"s": torch.tensor(0.5), "i": torch.tensor(3), "v": torch.tensor([1.0, 2.0])})

    assert history(run) == [{"s": 0.5, "i": 3, "v": [1.0, 2.0], "_step": 0}]


def test_a_torch_tensor_that_needs_grad_is_converted(run: nbrun.Run) -> None:
    torch = pytest.importorskip("torch")
    loss = (torch.ones(2, requires_grad=True) * 2).sum()

    run.log({"loss": loss})

    assert run.summary["loss"] == 4.0


def test_a_complex_torch_tensor_raises_type_error_naming_the_key(run: nbrun.Run) -> None:
    torch = pytest.importorskip("torch")

    with pytest.raises(TypeError, match="'z'"):
        run.log({"z": torch.tensor([1 + 1j])})
