"""Table files a page at a time (``GET R/tables/{path}``): paging, sorting, filtering, bad
parameters, read tokens and paths confined to their run, against a real server process."""

from __future__ import annotations

import http.client
import json
import urllib.parse
from typing import Any

import pytest

from nbrun.protocol.http import MAX_TABLE_PAGE

TABLE = "media/tables/scores_0_abc123.table.json"
IMAGE = {
    "_type": "image-file",
    "path": "media/images/cat.png",
    "format": "png",
    "size": 10,
    "width": 2,
    "height": 2,
    "caption": "a Cat",
}
COLUMNS = ["id", "name", "score", "img"]


def make_rows(n: int) -> list[list[Any]]:
    """Rows with a mix of what tables hold: ints, strings, floats (NaN as the wire spells it),
    nulls and an image payload."""
    rows: list[list[Any]] = []
    for i in range(n):
        score: Any = round((i * 37 % 101) / 10, 1)
        if i % 50 == 7:
            score = "NaN"
        elif i % 50 == 8:
            score = None
        rows.append([i, f"row {i:05d}", score, IMAGE if i == 3 else None])
    return rows


def put(server: Any, run: str, path: str, body: bytes) -> None:
    url = f"{server.url}/api/v1/runs/{run}/files/{path}"
    reply = server.session.put(url, body, headers=server.headers())
    assert reply.status_code == 200, reply.text


def upload_table(server: Any, run: str, rows: list[list[Any]], path: str = TABLE) -> None:
    assert server.post_records(run, [[1, "history", {"_step": 0, "loss": 1.0}]]).ok
    put(server, run, path, json.dumps({"columns": COLUMNS, "data": rows}).encode())


def page(server: Any, run: str, path: str = TABLE, **params: Any) -> dict[str, Any]:
    reply = server.run_get(run, f"/tables/{path}", **params)
    assert reply.status_code == 200, reply.text
    found: dict[str, Any] = reply.json()
    return found


def test_pages_of_a_large_table(server: Any, run: str) -> None:
    rows = make_rows(100_000)
    upload_table(server, run, rows)
    first = page(server, run, limit=20)
    assert first["columns"] == COLUMNS
    assert (first["total"], first["nrows"], first["offset"]) == (100_000, 100_000, 0)
    assert first["rows"] == rows[:20] and first["index"] == list(range(20))
    assert first["rows"][3][3] == IMAGE  # media payloads travel whole
    last = page(server, run, offset=99_990, limit=MAX_TABLE_PAGE)
    assert last["rows"] == rows[99_990:] and last["index"] == list(range(99_990, 100_000))
    past = page(server, run, offset=200_000)
    assert past["rows"] == [] and past["total"] == 100_000
    assert len(page(server, run, limit=MAX_TABLE_PAGE)["rows"]) == MAX_TABLE_PAGE
    # msgpack clients get the same page
    packed = server.run_get(run, f"/tables/{TABLE}", msgpack_reply=True, limit=2)
    assert packed.headers["content-type"] == "application/msgpack"


def test_sort_by_any_column_with_missing_values_last(server: Any, run: str) -> None:
    rows = make_rows(120)
    upload_table(server, run, rows)
    numbers = [r[2] for r in rows if isinstance(r[2], float)]
    missing = [r[0] for r in rows if not isinstance(r[2], float)]  # NaN and null
    up = page(server, run, sort="score", limit=MAX_TABLE_PAGE)
    assert [r[2] for r in up["rows"]][: len(numbers)] == sorted(numbers)
    assert [r[0] for r in up["rows"]][len(numbers) :] == missing  # last, in table order
    down = page(server, run, sort="score", desc="true", limit=MAX_TABLE_PAGE)
    assert [r[2] for r in down["rows"]][: len(numbers)] == sorted(numbers, reverse=True)
    assert [r[0] for r in down["rows"]][len(numbers) :] == missing  # last either way
    assert down["index"] == [r[0] for r in down["rows"]]  # positions in the file
    # ties keep the table's order (a stable sort), in both directions
    ties = [r[0] for r in up["rows"] if r[2] == 0.0]
    assert ties == sorted(ties)
    by_name = page(server, run, sort="name", desc=True, limit=3, offset=1)
    assert [r[1] for r in by_name["rows"]] == ["row 00118", "row 00117", "row 00116"]
    assert by_name["offset"] == 1
    # with no sort, desc reads the table from its end
    assert page(server, run, desc=True, limit=1)["index"] == [119]


def test_sort_orders_numbers_then_text_then_payloads(server: Any, run: str) -> None:
    cells: list[Any] = ["b", 10, "Infinity", IMAGE, "A", 2.5, None, True, "-Infinity", [1, 2]]
    upload_table(server, run, [[i, c, 0, None] for i, c in enumerate(cells)])
    found = page(server, run, sort="name")
    assert [r[1] for r in found["rows"]] == [
        "-Infinity",
        True,
        2.5,
        10,
        "Infinity",
        "A",
        "b",
        [1, 2],  # other values by their text: "[1,2]" before the image's caption "a Cat"
        IMAGE,
        None,
    ]


def test_filter_matches_any_cell_case_insensitively(server: Any, run: str) -> None:
    rows = make_rows(1000)
    upload_table(server, run, rows)
    found = page(server, run, filter="ROW 0099", limit=MAX_TABLE_PAGE)
    assert found["index"] == list(range(990, 1000)) and found["total"] == 10
    assert found["nrows"] == 1000
    # a filter and a sort together: matching rows, in sorted order
    sorted_page = page(server, run, filter="row 0099", sort="id", desc=True, limit=3)
    assert sorted_page["index"] == [999, 998, 997] and sorted_page["total"] == 10
    # an image cell matches by its caption; numbers by their digits
    assert page(server, run, filter="a cat")["index"] == [3]
    assert page(server, run, filter="777")["index"] == [777]
    # a filter never matches across two cells
    assert page(server, run, filter="00001\x1f")["total"] == 0
    nothing = page(server, run, filter="no such text")
    assert nothing["rows"] == [] and nothing["total"] == 0


@pytest.mark.parametrize(
    ("params", "status", "says"),
    [
        ({"limit": MAX_TABLE_PAGE + 1}, 422, "limit"),
        ({"limit": 0}, 422, "limit"),
        ({"offset": -1}, 422, "offset"),
        ({"offset": "x"}, 422, "offset"),
        ({"desc": "sideways"}, 422, "desc"),
        ({"sort": "no such column"}, 422, "no column 'no such column'"),
        ({"filter": "x" * 2000}, 422, "filter"),
    ],
)
def test_bad_parameters_get_clear_4xx(
    server: Any, run: str, params: dict[str, Any], status: int, says: str
) -> None:
    upload_table(server, run, make_rows(5))
    reply = server.run_get(run, f"/tables/{TABLE}", **params)
    assert reply.status_code == status, reply.text
    assert says in reply.json()["detail"]


def test_files_that_are_not_tables(server: Any, run: str) -> None:
    upload_table(server, run, make_rows(2))
    put(server, run, "notes.txt", b"not json at all")
    put(server, run, "list.json", b"[1, 2, 3]")
    put(server, run, "bad.json", json.dumps({"columns": ["a"], "data": [1, 2]}).encode())
    for path, says in (
        ("notes.txt", "is not JSON"),
        ("list.json", "expected a JSON object"),
        ("bad.json", "'data' must be a list of rows"),
    ):
        reply = server.run_get(run, f"/tables/{path}")
        assert reply.status_code == 422, reply.text
        assert path in reply.json()["detail"] and says in reply.json()["detail"]
    missing = server.run_get(run, "/tables/media/tables/none.table.json")
    assert missing.status_code == 404 and "no file" in missing.json()["detail"]
    # JSON's NaN extension (Python's json.dumps default) still reads; NaN sorts last
    put(server, run, "nan.json", b'{"columns": ["x"], "data": [[NaN], [1.0], [-Infinity]]}')
    found = page(server, run, "nan.json", sort="x")
    assert found["rows"] == [["-Infinity"], [1.0], ["NaN"]]


def test_a_read_token_reads_its_own_runs_tables_only(server: Any, run: str) -> None:
    other = run[:-1] + ("0" if run[-1] != "0" else "1")
    for path in (run, other):
        upload_table(server, path, make_rows(3))
    created = server.session.post(
        f"{server.url}/api/v1/runs/{run}/tokens", headers=server.headers()
    )
    token = created.json()["token"]
    mine = server.run_get(run, f"/tables/{TABLE}", token=token)
    assert mine.status_code == 200 and mine.json()["total"] == 3
    # in the URL too, as the dashboard's links carry it
    url = f"{server.url}/api/v1/runs/{run}/tables/{TABLE}?token={token}&limit=1"
    assert server.session.get(url).json()["index"] == [0]
    refused = server.run_get(other, f"/tables/{TABLE}", token=token)
    assert refused.status_code == 403 and "another run" in refused.json()["detail"]
    assert server.run_get(run, f"/tables/{TABLE}", token=None).status_code == 401


def raw_get(server: Any, path: str) -> int:
    """Send ``path`` exactly as written (clients normalise ``.``/``..`` segments away)."""
    parsed = urllib.parse.urlsplit(server.url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)
    try:
        conn.request("GET", path, headers=server.headers())
        return conn.getresponse().status
    finally:
        conn.close()


@pytest.mark.parametrize(
    "path",
    ["../escape.json", "a/../../b", "a/./b", "a//b", "%2e%2e/x", "a/%2e%2e/%2e%2e/x", "a\\b"],
)
def test_paths_that_escape_the_run_are_refused(server: Any, run: str, path: str) -> None:
    other = run[:-1] + ("0" if run[-1] != "0" else "1")
    upload_table(server, other, make_rows(2), path="secret.json")
    upload_table(server, run, make_rows(2))
    status = raw_get(server, f"/api/v1/runs/{run}/tables/{path}")
    assert status in (404, 422), path
    # the other run's table is not reachable from this run by any relative path
    run_id = other.split("/")[2]
    sneaky = f"/api/v1/runs/{run}/tables/..%2F{run_id}%2Fsecret.json"
    assert raw_get(server, sneaky) in (404, 422)
