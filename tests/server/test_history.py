"""History reads: downsampled series, pairing by step, and paged rows."""

from __future__ import annotations

import math
import random
from typing import Any

import msgpack

from nbrun.server.store.history import BLOCK_POINTS, CHUNK_ROWS


def history_records(first_seq: int, rows: list[dict[str, Any]]) -> list[list[Any]]:
    return [[first_seq + i, "history", row] for i, row in enumerate(rows)]


def post_rows(server: Any, run: str, rows: list[dict[str, Any]], batch: int = 5000) -> None:
    seq = server.run_get(run).json().get("acked_seq", 0) + 1 if server.run_get(run).ok else 1
    for start in range(0, len(rows), batch):
        chunk = rows[start : start + batch]
        reply = server.post_records(run, history_records(seq, chunk))
        assert reply.status_code == 200, reply.text
        seq += len(chunk)


def series(server: Any, run: str, **params: Any) -> dict[str, Any]:
    reply = server.run_get(run, "/history", msgpack_reply=True, **params)
    assert reply.status_code == 200, reply.text
    result: dict[str, Any] = msgpack.unpackb(reply.content)
    return result


def test_downsampling_keeps_first_last_minima_and_maxima(server: Any, run: str) -> None:
    rng = random.Random(7)
    values = [rng.uniform(-1, 1) for _ in range(20_000)]
    values[3_333], values[12_345] = 50.0, -50.0  # spikes a naive stride would miss
    post_rows(server, run, [{"v": v, "_step": i} for i, v in enumerate(values)])
    result = series(server, run, keys="v", samples=200)
    got = result["series"]["v"]
    assert result["sampled"] is True and len(got["x"]) <= 200
    assert got["x"][0] == 0 and got["x"][-1] == 19_999
    assert got["x"] == sorted(got["x"])
    assert 50.0 in got["y"] and -50.0 in got["y"]
    assert got["y"][got["x"].index(3_333)] == 50.0
    assert all(values[x] == y for x, y in zip(got["x"], got["y"], strict=True))
    full = series(server, run, keys="v", samples=100_000)
    assert full["sampled"] is False and full["series"]["v"]["y"] == values


def test_small_batches_fill_blocks_and_read_back_whole(server: Any, run: str) -> None:
    rows = [{"v": float(i), "i": i, "_step": i} for i in range(BLOCK_POINTS + 300)]
    post_rows(server, run, rows[:700], batch=7)
    post_rows(server, run, rows[700:], batch=400)
    got = series(server, run, keys="v,i")["series"]
    assert got["v"] == {"x": list(range(len(rows))), "y": [float(i) for i in range(len(rows))]}
    assert got["i"]["y"] == list(range(len(rows)))
    window = series(server, run, keys="v", min_step=100, max_step=1100)["series"]["v"]
    assert window["x"] == list(range(100, 1100))


def test_x_may_be_another_key_paired_by_step(server: Any, run: str) -> None:
    rows: list[dict[str, Any]] = []
    for i in range(100):
        row: dict[str, Any] = {"loss": 1 / (i + 1), "_step": i}
        if i % 10 == 9:
            row["epoch"] = i // 10  # logged on some steps only
            row["val"] = i / 100
        rows.append(row)
    post_rows(server, run, rows)
    got = series(server, run, keys="val,loss", x="epoch")["series"]
    assert got["val"] == {"x": list(range(10)), "y": [(10 * e + 9) / 100 for e in range(10)]}
    assert got["loss"]["x"] == list(range(10))
    assert got["loss"]["y"] == [1 / (10 * e + 10) for e in range(10)]
    assert series(server, run, keys="val", x="nope")["series"] == {}


def test_a_step_logged_again_reads_as_its_newest_value(server: Any, run: str) -> None:
    post_rows(server, run, [{"v": float(i), "_step": i} for i in range(10)])
    post_rows(server, run, [{"v": 100.0 + i, "_step": i} for i in range(5, 8)])  # a rewind
    got = series(server, run, keys="v")["series"]["v"]
    assert got["x"] == list(range(10))
    assert got["y"] == [0.0, 1.0, 2.0, 3.0, 4.0, 105.0, 106.0, 107.0, 8.0, 9.0]
    rows = server.run_get(run, "/history/rows").json()["rows"]
    assert [r["v"] for r in rows] == got["y"]


def test_rows_page_from_the_cursor_and_filter_keys(server: Any, run: str) -> None:
    rows = [{"a": i, "b": f"text {i}", "_step": 2 * i} for i in range(25)]
    rows += [{"c": [1, {"d": None}], "_step": 50}]
    post_rows(server, run, rows)
    page = server.run_get(run, "/history/rows", limit=10, min_step=7).json()
    assert [r["_step"] for r in page["rows"]] == list(range(8, 28, 2))
    assert page["next_min_step"] == 28
    last = server.run_get(run, "/history/rows", min_step=28).json()
    assert last["next_min_step"] is None and last["rows"][-1] == rows[-1]
    only = server.run_get(run, "/history/rows", keys="c").json()["rows"]
    assert only == [{"c": [1, {"d": None}], "_step": 50}]
    bounded = server.run_get(run, "/history/rows", min_step=4, max_step=10).json()["rows"]
    assert [r["_step"] for r in bounded] == [4, 6, 8]


def test_a_sparse_key_pages_by_its_own_rows_not_by_all_rows(server: Any, run: str) -> None:
    rows: list[dict[str, Any]] = [{"loss": 1.0, "_step": s} for s in range(3000)]
    for step in range(0, 3000, 500):
        rows[step]["sample"] = {"_type": "image-file", "path": f"media/{step}.png"}
    post_rows(server, run, rows)

    page = server.run_get(run, "/history/rows", keys="sample", limit=4).json()

    assert [r["_step"] for r in page["rows"]] == [0, 500, 1000, 1500]
    assert page["next_min_step"] == 2000
    rest = server.run_get(run, "/history/rows", keys="sample", min_step=2000).json()
    assert [r["_step"] for r in rest["rows"]] == [2000, 2500] and rest["next_min_step"] is None


def test_media_references_and_strings_stay_out_of_the_series(server: Any, run: str) -> None:
    image = {"_type": "image-file", "path": "media/a.png", "width": 4, "height": 4}
    post_rows(server, run, [{"img": image, "s": "x", "m": {"n": 1.5}, "_step": 0}])
    got = series(server, run)["series"]
    assert set(got) == {"m.n"}
    assert server.run_get(run, "/history/rows").json()["rows"][0]["img"] == image


def test_history_of_an_unknown_run_is_404(server: Any, run: str) -> None:
    assert server.run_get(run, "/history").status_code == 404
    assert server.run_get(run, "/history/rows").status_code == 404


def test_bad_query_parameters_are_422(server: Any, run: str) -> None:
    post_rows(server, run, [{"v": 1.0, "_step": 0}])
    for params in ({"samples": 0}, {"samples": "many"}, {"min_step": -1}, {"x": ""}):
        reply = server.run_get(run, "/history", **params)
        assert reply.status_code == 422 and reply.json()["detail"], params
    for params in ({"limit": 0}, {"limit": 10**6}, {"min_step": "x"}):
        reply = server.run_get(run, "/history/rows", **params)
        assert reply.status_code == 422 and reply.json()["detail"], params
    assert not math.isnan(series(server, run)["series"]["v"]["y"][0])


def all_rows(server: Any, run: str, limit: int) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    cursor: int | None = 0
    while cursor is not None:
        page = server.run_get(run, "/history/rows", min_step=cursor, limit=limit).json()
        got += page["rows"]
        cursor = page["next_min_step"]
    return got


def test_rows_posted_a_few_at_a_time_page_back_whole(server: Any, run: str) -> None:
    rows = [{"v": i, "_step": i} for i in range(CHUNK_ROWS * 2 + 50)]
    post_rows(server, run, rows[:300], batch=3)  # fills one chunk a few rows at a time
    post_rows(server, run, rows[300:], batch=CHUNK_ROWS - 1)
    for limit in (1, 7, CHUNK_ROWS, 10_000):
        assert all_rows(server, run, limit) == rows, limit


def test_steps_logged_again_across_chunks_page_as_their_newest_rows(server: Any, run: str) -> None:
    first = [{"v": i, "_step": i} for i in range(3 * CHUNK_ROWS)]
    post_rows(server, run, first, batch=700)
    again = [{"v": -i, "_step": i} for i in (*range(100, 150), *range(1400, 1600))]
    post_rows(server, run, again, batch=90)  # a resumed run rewinding, twice
    newest = {row["_step"]: row for row in first + again}
    expected = [newest[step] for step in sorted(newest)]
    for limit in (1, 33, 1000):
        assert all_rows(server, run, limit) == expected, limit


NAN, INF = float("nan"), float("inf")


def same_floats(got: list[Any], expected: list[float]) -> bool:
    """Equal value for value, NaN equal to NaN."""
    return len(got) == len(expected) and all(
        (isinstance(g, float) and math.isnan(g) and math.isnan(e)) or g == e
        for g, e in zip(got, expected, strict=True)
    )


def test_json_answers_write_nan_and_infinities_as_strings_and_msgpack_keeps_them(
    server: Any, run: str
) -> None:
    values = [1.0, NAN, INF, -INF, 2.0]
    rows = [{"v": v, "n": {"x": NAN}, "e": float(i), "_step": i} for i, v in enumerate(values)]
    rows[3]["e"] = NAN  # a step with no x value when charted against e
    post_rows(server, run, rows)

    reply = server.run_get(run, "/history", keys="v,n.x")
    assert reply.status_code == 200 and b"null" not in reply.content, reply.text
    got = reply.json()["series"]
    assert got["v"] == {"x": [0, 1, 2, 3, 4], "y": [1.0, "NaN", "Infinity", "-Infinity", 2.0]}
    assert got["n.x"]["y"] == ["NaN"] * 5
    against_e = server.run_get(run, "/history", keys="v", x="e").json()["series"]["v"]
    assert against_e["x"] == [0.0, 1.0, 2.0, "NaN", 4.0]
    assert against_e["y"] == [1.0, "NaN", "Infinity", "-Infinity", 2.0]

    page = server.run_get(run, "/history/rows").json()["rows"]
    assert [r["v"] for r in page] == [1.0, "NaN", "Infinity", "-Infinity", 2.0]
    assert all(r["n"] == {"x": "NaN"} for r in page)

    exact = series(server, run, keys="v")["series"]["v"]["y"]  # msgpack: the floats themselves
    assert same_floats(exact, values)
    packed = server.run_get(run, "/history/rows", msgpack_reply=True)
    exact_rows = msgpack.unpackb(packed.content)["rows"]
    assert same_floats([r["v"] for r in exact_rows], values)
    assert all(math.isnan(r["n"]["x"]) for r in exact_rows)


def test_finite_series_keep_their_numbers_and_kinds_in_json(server: Any, run: str) -> None:
    post_rows(server, run, [{"v": i / 4, "i": i, "b": i % 2 == 0, "_step": i} for i in range(3000)])
    got = server.run_get(run, "/history", keys="v,i,b", samples=100_000).json()["series"]
    assert got["v"] == {"x": list(range(3000)), "y": [i / 4 for i in range(3000)]}
    assert got["i"]["y"] == list(range(3000)) and all(type(y) is int for y in got["i"]["y"])
    assert got["b"]["y"] == [i % 2 == 0 for i in range(3000)]
