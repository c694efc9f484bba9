"""nbrun.Table: the reference's constructor forms and methods, its errors, and the JSON file a
log stores (read back from the file itself)."""

from __future__ import annotations

import datetime
import json
import math
from typing import Any

import numpy as np
import pytest

import nbrun
from nbrun.data_types.media import MediaFile


def stored(table: nbrun.Table) -> dict[str, Any]:
    """The table's JSON file, as a reader of the run gets it."""
    payload = table._nbrun_value()
    files = {f.path: f for f in table._nbrun_files()}
    data: dict[str, Any] = json.loads(files[payload["path"]].data)
    return data


def test_columns_and_rows_are_stored_as_json_with_a_content_named_payload() -> None:
    table = nbrun.Table(columns=["a", "b", "c"], data=[["1a", "1b", "1c"], ["2a", "2b", "2c"]])

    payload = table._nbrun_value()
    [media_file] = table._nbrun_files()

    assert payload["_type"] == "table-file"
    assert payload["path"].startswith("media/tables/") and payload["path"].endswith(".table.json")
    assert (payload["ncols"], payload["nrows"], payload["columns"]) == (3, 2, ["a", "b", "c"])
    assert payload["size"] == len(media_file.data) and len(payload["sha256"]) == 64
    assert json.loads(media_file.data) == {
        "columns": ["a", "b", "c"],
        "data": [["1a", "1b", "1c"], ["2a", "2b", "2c"]],
    }


def test_the_same_content_gives_the_same_file() -> None:
    first = nbrun.Table(columns=["x"], data=[[1]])
    second = nbrun.Table(columns=["x"], data=[[1]])

    assert first._nbrun_value()["path"] == second._nbrun_value()["path"]
    assert (
        nbrun.Table(columns=["x"], data=[[2]])._nbrun_value()["path"]
        != (first._nbrun_value()["path"])
    )


def test_a_dataframe_gives_its_columns_and_rows() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(
        {
            "n": [1, 2],
            "x": [0.5, float("nan")],
            "s": ["a", None],
            "t": pd.to_datetime(["2024-01-02", "2024-03-04"]),
        }
    )

    table = nbrun.Table(dataframe=frame)

    assert table.columns == ["n", "x", "s", "t"]
    assert stored(table)["data"] == [
        [1, 0.5, "a", "2024-01-02T00:00:00"],
        [2, "NaN", None, "2024-03-04T00:00:00"],
    ]
    assert nbrun.Table(data=frame).columns == ["n", "x", "s", "t"]  # data= a DataFrame too


def test_a_numpy_array_gives_rows_and_the_default_columns_follow_the_reference() -> None:
    table = nbrun.Table(data=np.arange(6).reshape(2, 3))

    assert table.columns == ["Input", "Output", "Expected"]
    assert table.data == [[0, 1, 2], [3, 4, 5]]


def test_rows_is_the_legacy_name_of_data() -> None:
    assert nbrun.Table(columns=["a"], rows=[[1], [2]]).data == [[1], [2]]


def test_non_finite_floats_and_numpy_values_are_written_as_the_protocol_spells_them() -> None:
    table = nbrun.Table(
        columns=["f", "v", "d"],
        data=[
            [math.inf, np.array([1.0, np.nan]), {"k": -math.inf}],
            [np.float32(0.5), np.array([np.int64(2), 3]), {"k": np.int64(4)}],
        ],
    )

    assert stored(table)["data"] == [
        ["Infinity", [1.0, "NaN"], {"k": "-Infinity"}],
        [0.5, [2, 3], {"k": 4}],
    ]


def test_add_data_appends_rows_and_checks_their_length() -> None:
    table = nbrun.Table(columns=["id", "label"])
    table.add_data(1, "cat")
    table.add_data(2, "dog")

    assert table.data == [[1, "cat"], [2, "dog"]]
    with pytest.raises(ValueError, match=r"expects 2 columns: \['id', 'label'\], found 3"):
        table.add_data(3, "owl", "extra")
    assert len(table.data) == 2


def test_a_column_keeps_one_type_and_the_error_names_the_column_and_both_types() -> None:
    table = nbrun.Table(columns=["score"], data=[[1], [2.5]])  # ints and floats are numbers

    with pytest.raises(TypeError, match=r"column 'score' holds number values; row 2 has string"):
        table.add_data("high")
    assert table.data == [[1], [2.5]]
    with pytest.raises(ValueError, match="allow_mixed_types=True"):
        nbrun.Table(columns=["x"], data=[[1], ["one"]])


def test_allow_mixed_types_lets_a_column_hold_several_types() -> None:
    table = nbrun.Table(columns=["x"], data=[[1], ["one"], [True]], allow_mixed_types=True)

    assert stored(table)["data"] == [[1], ["one"], [True]]


def test_none_is_allowed_unless_optional_is_false() -> None:
    assert nbrun.Table(columns=["x"], data=[[None], [1]]).data == [[None], [1]]
    with pytest.raises(ValueError, match=r"column 'y' does not allow None \(optional=False\)"):
        nbrun.Table(columns=["x", "y"], data=[[1, None]], optional=[True, False])


def test_dtype_fixes_a_column_type() -> None:
    table = nbrun.Table(columns=["n", "s"], dtype=[int, str])
    table.add_data(1, "a")

    with pytest.raises(
        ValueError, match=r"column 's' takes string values \(its dtype\); row 1 has number 2"
    ):
        table.add_data(1, 2)
    with pytest.raises(ValueError, match="dtype for column 'n' must be int, float, str"):
        nbrun.Table(columns=["n"], dtype=object())


def test_add_column_adds_values_of_one_type_with_as_many_rows() -> None:
    table = nbrun.Table(columns=["a"], data=[[1], [2]])
    table.add_column("b", np.array([0.5, 1.5]))

    assert table.columns == ["a", "b"] and table.data == [[1, 0.5], [2, 1.5]]
    with pytest.raises(ValueError, match=r"data has 3 values; the table has 2 rows"):
        table.add_column("c", [1, 2, 3])
    with pytest.raises(ValueError, match="already has a column 'a'"):
        table.add_column("a", [1, 2])
    with pytest.raises(ValueError, match="column 'd' holds number values; row 1 has string"):
        table.add_column("d", [1, "x"])
    assert table.columns == ["a", "b"] and table.data == [[1, 0.5], [2, 1.5]]


def test_add_column_to_an_empty_table_makes_its_rows() -> None:
    table = nbrun.Table(columns=[])
    table.add_column("x", [1, 2])

    assert table.data == [[1], [2]]


def test_get_column_get_index_and_iterrows() -> None:
    table = nbrun.Table(columns=["a", "b"], data=[[1, "x"], [2, "y"]])

    assert table.get_column("a") == [1, 2]
    assert table.get_column("a", convert_to="numpy").tolist() == [1, 2]
    assert table.get_index() == [0, 1]
    assert list(table.iterrows()) == [(0, [1, "x"]), (1, [2, "y"])]
    with pytest.raises(ValueError, match=r"no column 'c' \(columns: \['a', 'b'\]\)"):
        table.get_column("c")
    with pytest.raises(ValueError, match="convert_to must be None or 'numpy'"):
        table.get_column("a", convert_to="pandas")


def test_add_computed_columns_adds_what_the_function_returns_for_each_row() -> None:
    table = nbrun.Table(columns=["a"], data=[[1], [2]])
    table.add_computed_columns(lambda ndx, row: {"double": row["a"] * 2, "ndx": ndx})

    assert table.columns == ["a", "double", "ndx"]
    assert table.data == [[1, 2, 0], [2, 4, 1]]
    with pytest.raises(ValueError, match="must return a dict"):
        table.add_computed_columns(lambda ndx, row: [1])


def test_add_computed_columns_adds_nothing_when_one_column_fails() -> None:
    table = nbrun.Table(columns=["a"], data=[[1], [2]])

    with pytest.raises(ValueError, match="column 'bad'"):
        table.add_computed_columns(lambda ndx, row: {"ok": 1, "bad": "s" if ndx else 0})

    assert table.columns == ["a"] and table.data == [[1], [2]]


def test_get_dataframe_gives_the_table_back() -> None:
    pytest.importorskip("pandas")
    table = nbrun.Table(columns=["a", "b"], data=[[1, "x"]])

    assert table.get_dataframe().to_dict("records") == [{"a": 1, "b": "x"}]


def test_media_cells_are_stored_with_the_table_and_the_json_holds_their_payloads() -> None:
    image = nbrun.Image(np.eye(4), caption="eye")
    html = nbrun.Html("<b>bold</b>", inject=False)
    inner = nbrun.Table(columns=["k"], data=[[1]])
    table = nbrun.Table(columns=["id", "image", "html", "inner"], data=[[0, image, html, inner]])

    files = {f.path: f for f in table._nbrun_files()}
    row = stored(table)["data"][0]

    assert row[1] == image._nbrun_value() and row[1]["caption"] == "eye"
    assert row[2] == html._nbrun_value() and row[3] == inner._nbrun_value()
    assert files[row[1]["path"]].data == image._nbrun_files()[0].data
    assert files[row[2]["path"]].data == b"<b>bold</b>"
    assert json.loads(files[row[3]["path"]].data) == {"columns": ["k"], "data": [[1]]}


def test_media_in_one_column_keep_one_type() -> None:
    table = nbrun.Table(columns=["m"], data=[[nbrun.Image(np.eye(2))]])

    with pytest.raises(ValueError, match="column 'm' holds Image values; row 1 has Html"):
        table.add_data(nbrun.Html("x"))


def test_scripts_in_column_names_and_cells_are_stored_as_given() -> None:
    script = "<script>alert('x')</script>"
    table = nbrun.Table(columns=[script], data=[[script]])

    assert stored(table) == {"columns": [script], "data": [[script]]}
    assert table._nbrun_value()["columns"] == [script]


def test_timestamps_are_stored_as_iso_text() -> None:
    moment = datetime.datetime(2024, 5, 6, 7, 8, 9)
    table = nbrun.Table(
        columns=["t", "d", "n"],
        data=[[moment, datetime.date(2024, 5, 6), np.datetime64("2024-05-06T07:08")]],
    )

    assert stored(table)["data"] == [["2024-05-06T07:08:09", "2024-05-06", "2024-05-06T07:08"]]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"columns": "abc"}, "columns must be a list of strings or ints, got str"),
        ({"columns": ["a", 1.5]}, r"columns must be strings or ints; 1\.5 is a float"),
        ({"columns": ["a", "a"]}, r"columns must be unique; repeated: \['a'\]"),
        ({"columns": ["a"], "data": "rows"}, "data must be a list of rows"),
        ({"columns": ["a"], "data": [5]}, r"data\[0\] must be a row"),
        ({"columns": ["a"], "data": np.arange(3)}, r"must be 2-D .* got shape \(3,\)"),
        ({"dataframe": [[1]]}, "dataframe must be a pandas DataFrame, got builtins.list"),
        ({"columns": ["a"], "data": [[object()]]}, r"column 'a': row 0 holds a builtins\.object"),
        ({"columns": ["a"], "data": [[2**70]]}, "integer too large"),
        ({"columns": ["a"], "data": [[{1: "x"}]]}, "dict keys must be strings"),
        ({"columns": ["a"], "data": [["\ud800"]]}, "not valid text"),
        ({"columns": ["a"], "optional": "yes"}, "optional must be True, False or a list"),
        ({"columns": ["a", "b"], "optional": [True]}, "optional has 1 entries for 2 columns"),
        ({"log_mode": "APPEND"}, "log_mode must be one of 'IMMUTABLE', 'MUTABLE', 'INCREMENTAL'"),
    ],
)
def test_bad_table_input_names_the_argument_and_what_it_accepts(
    kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        nbrun.Table(**kwargs)


# -- log modes and the row cap -----------------------------------------------------------


@pytest.fixture
def run(offline_settings: dict[str, Any]) -> nbrun.Run:
    return nbrun.init(**offline_settings)


def logged_tables(run: nbrun.Run, key: str) -> list[dict[str, Any]]:
    run.finish(quiet=True)
    return [row[key] for row in nbrun.Api().run(run.path).history(pandas=False) if key in row]


def test_an_immutable_table_logged_again_after_a_change_keeps_its_first_content(
    run: nbrun.Run, capsys: pytest.CaptureFixture[str]
) -> None:
    table = nbrun.Table(columns=["x"], data=[[1]])
    run.log({"t": table})

    table.add_data(2)
    table.add_data(3)
    run.log({"t": table})

    first, second = logged_tables(run, "t")
    assert first["sha256"] == second["sha256"] and first["nrows"] == second["nrows"] == 1
    assert capsys.readouterr().err.count("log_mode='IMMUTABLE' that has been logged") == 1


def test_a_refused_log_does_not_count_as_logging_an_immutable_table(
    run: nbrun.Run, capsys: pytest.CaptureFixture[str]
) -> None:
    table = nbrun.Table(columns=["x"], data=[[1]])
    with pytest.raises(TypeError, match="'bad'"):
        run.log({"t": table, "bad": object()})

    table.add_data(2)
    run.log({"t": table})

    assert [t["nrows"] for t in logged_tables(run, "t")] == [2]
    assert "IMMUTABLE" not in capsys.readouterr().err


def test_a_mutable_table_is_stored_as_it_is_at_each_log(run: nbrun.Run) -> None:
    table = nbrun.Table(columns=["x"], data=[[1]], log_mode="MUTABLE")
    run.log({"t": table})

    table.add_data(2)
    run.log({"t": table})

    assert [t["nrows"] for t in logged_tables(run, "t")] == [1, 2]
    assert stored(table)["data"] == [[1], [2]]


def test_an_incremental_table_stores_every_row_so_far_and_takes_no_new_columns() -> None:
    table = nbrun.Table(columns=["x"], log_mode="INCREMENTAL")
    table.add_data(1)
    assert table._nbrun_value()["nrows"] == 1
    table.add_data(2)

    assert stored(table)["data"] == [[1], [2]]
    with pytest.raises(ValueError, match="'add_column' is not supported for tables with"):
        table.add_column("y", [1, 2])
    with pytest.raises(ValueError, match="'add_computed_columns' is not supported"):
        table.add_computed_columns(lambda ndx, row: {"y": 1})


def test_a_table_past_the_row_cap_is_truncated_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (nbrun.Table.MAX_ROWS, nbrun.Table.MAX_ARTIFACT_ROWS) == (10_000, 200_000)
    monkeypatch.setattr(nbrun.Table, "MAX_ARTIFACT_ROWS", 3)
    table = nbrun.Table(columns=["x"], data=[[i] for i in range(5)])

    assert table._nbrun_value()["nrows"] == 3
    assert stored(table)["data"] == [[0], [1], [2]]
    assert "Truncating nbrun.Table object to 3 rows (it has 5)" in capsys.readouterr().err


def test_files_are_listed_once_each() -> None:
    image = nbrun.Image(np.eye(2))
    table = nbrun.Table(columns=["a", "b"], data=[[image, image]])

    paths = [f.path for f in table._nbrun_files()]

    assert len(paths) == len(set(paths)) == 2
    assert all(isinstance(f, MediaFile) for f in table._nbrun_files())
