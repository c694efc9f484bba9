"""Ingest of record batches against a real server, over SQLite and PostgreSQL."""

from __future__ import annotations

import gzip
import math
from pathlib import Path
from typing import Any

import msgpack
import pytest

import nbrun
from nbrun.record.reader import RecordLogReader
from nbrun.record.replay import RunState, replay_log

BATCH = 97  # not a divisor of anything in particular: batches cut rows at odd places


def logged_run(settings: dict[str, Any], rows: int = 300) -> tuple[list[list[Any]], RunState]:
    """Records of a real offline run (read back from its log) and what replay makes of them."""
    run = nbrun.init(
        project="proj",
        name="ingest",
        tags=["a", "b"],
        group="g1",
        job_type="train",
        config={"lr": 0.1, "layers": [64, 32], "opt": {"name": "adam", "beta": 0.9}},
        **settings,
    )
    run.define_metric("loss", summary="min,mean")
    run.define_metric("acc", summary="best", goal="maximize")
    for i in range(rows):
        run.log(
            {
                "loss": 1 / (i + 1),
                "acc": (i % 7) / 10,
                "count": i,
                "flag": i % 2 == 0,
                "note": f"step {i}",
                "nested": {"x": i, "y": i / 3},
                "odd": math.nan if i == 5 else (math.inf if i == 6 else 1.0),
            }
        )
    run.summary["best_epoch"] = 4
    run.alert("done", "all good")
    run.finish()
    log = Path(run.status().log_path or "")
    return list(RecordLogReader(log)), replay_log(log)


def post_all(server: Any, run: str, records: list[list[Any]], size: int = BATCH) -> int:
    acked = 0
    for start in range(0, len(records), size):
        reply = server.post_records(run, records[start : start + size])
        assert reply.status_code == 200, reply.text
        acked = reply.json()["acked_seq"]
    return acked


def stable_info(server: Any, run: str) -> dict[str, Any]:
    reply = server.run_get(run, msgpack_reply=True)
    assert reply.status_code == 200, reply.text
    info: dict[str, Any] = msgpack.unpackb(reply.content)
    info.pop("heartbeat_time")
    return info


def all_rows(server: Any, run: str, limit: int = 64) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cursor: int | None = 0
    while cursor is not None:
        reply = server.run_get(
            run, "/history/rows", msgpack_reply=True, min_step=cursor, limit=limit
        )
        assert reply.status_code == 200, reply.text
        page = msgpack.unpackb(reply.content)
        rows += page["rows"]
        cursor = page["next_min_step"]
    return rows


def same(a: Any, b: Any) -> bool:
    """Equal, NaN included (compared through their msgpack bytes)."""
    return bool(msgpack.packb(a) == msgpack.packb(b))


def test_a_real_run_reads_back_as_the_sdk_folded_it(
    server: Any, run: str, offline_settings: dict[str, Any]
) -> None:
    records, state = logged_run(offline_settings)
    assert post_all(server, run, records) == records[-1][0]
    info = stable_info(server, run)
    assert info["config"] == state.config
    assert same(info["summary"], state.summary_values)
    assert info["summary"]["loss"]["min"] == state.summary_values["loss"]["min"]
    assert info["metrics"] == [d.to_payload() for d in state.metrics.definitions()]
    assert (info["name"], info["tags"], info["group"], info["job_type"]) == (
        "ingest",
        ["a", "b"],
        "g1",
        "train",
    )
    assert (info["state"], info["exit_code"]) == ("finished", 0)
    assert info["history_rows"] == 300 and info["last_step"] == 299
    assert info["acked_seq"] == records[-1][0]
    assert info["end_time"] is not None and info["start_time"] == state.run["start_time"]
    logged = [payload for _, kind, payload in records if kind == "history"]
    assert same(all_rows(server, run), logged)
    reply = server.run_get(run, "/history", msgpack_reply=True, keys="loss,count,flag,nested.y")
    series = msgpack.unpackb(reply.content)["series"]
    assert series["loss"] == {"x": list(range(300)), "y": [r["loss"] for r in logged]}
    assert series["count"]["y"] == list(range(300))  # ints stay ints
    assert series["flag"]["y"] == [i % 2 == 0 for i in range(300)]  # bools stay bools
    assert series["nested.y"]["y"] == [i / 3 for i in range(300)]  # nested keys are dotted


def test_json_replies_spell_non_finite_floats_as_strings(
    server: Any, run: str, offline_settings: dict[str, Any]
) -> None:
    records, _ = logged_run(offline_settings, rows=10)
    post_all(server, run, records)
    rows = server.run_get(run, "/history/rows").json()["rows"]
    assert (rows[5]["odd"], rows[6]["odd"], rows[7]["odd"]) == ("NaN", "Infinity", 1.0)
    series = server.run_get(run, "/history", keys="odd").json()["series"]["odd"]
    assert series["y"][4:8] == [1.0, "NaN", "Infinity", 1.0]
    exact = msgpack.unpackb(server.run_get(run, "/history", keys="odd", msgpack_reply=True).content)
    assert math.isnan(exact["series"]["odd"]["y"][5]) and exact["series"]["odd"]["y"][6] == math.inf


def test_replayed_and_overlapping_batches_change_nothing(
    server: Any, run: str, offline_settings: dict[str, Any]
) -> None:
    records, _ = logged_run(offline_settings, rows=120)
    post_all(server, run, records)
    before, rows_before = stable_info(server, run), all_rows(server, run)
    post_all(server, run, records)  # the same batches again
    post_all(server, run, records, size=31)  # cut differently
    for start, stop in ((0, 10), (40, 90), (len(records) - 5, len(records))):
        reply = server.post_records(run, records[start:stop])
        assert reply.json() == {"acked_seq": records[-1][0]}
    assert same(stable_info(server, run), before)
    assert same(all_rows(server, run), rows_before)


def test_a_batch_overlapping_the_acked_sequence_applies_only_its_new_records(
    server: Any, run: str, offline_settings: dict[str, Any]
) -> None:
    records, state = logged_run(offline_settings, rows=50)
    assert server.post_records(run, records[:30]).json() == {"acked_seq": 30}
    assert server.post_records(run, records[20:]).json() == {"acked_seq": records[-1][0]}
    info = stable_info(server, run)
    assert info["history_rows"] == 50 and same(info["summary"], state.summary_values)
    assert len(all_rows(server, run)) == 50


def test_a_gap_gives_409_with_the_acked_sequence_and_applies_nothing(
    server: Any, run: str, offline_settings: dict[str, Any]
) -> None:
    records, _ = logged_run(offline_settings, rows=40)
    first = server.post_records(run[:-1] + "x", records[3:10])  # a run the server never saw
    assert first.status_code == 409 and first.json()["acked_seq"] == 0
    assert server.run_get(run[:-1] + "x").status_code == 404
    server.post_records(run, records[:10])
    before = stable_info(server, run)
    reply = server.post_records(run, records[12:20])
    assert reply.status_code == 409
    assert reply.json()["acked_seq"] == 10 and "11" in reply.json()["detail"]
    assert same(stable_info(server, run), before)


def _pack(obj: Any) -> bytes:
    return bytes(msgpack.packb(obj, use_bin_type=True))


_ROW = {"loss": 1.0, "_step": 0}
# Not a batch at all, or records out of sequence: refused whole.
_MALFORMED_BATCHES = [
    ("not msgpack", b"\xc1garbage", {}),
    ("empty body", b"", {}),
    ("a list, not a map", _pack([[1, "history", _ROW]]), {}),
    ("records not a list", _pack({"records": "x"}), {}),
    ("record not a triple", _pack({"records": [[2, "history"]]}), {}),
    ("seq a string", _pack({"records": [["2", "history", _ROW]]}), {}),
    ("seq a bool", _pack({"records": [[True, "history", _ROW]]}), {}),
    ("seq zero", _pack({"records": [[0, "history", _ROW]]}), {}),
    ("seq not consecutive", _pack({"records": [[2, "history", _ROW], [4, "history", _ROW]]}), {}),
    ("live not a bool", _pack({"records": [], "live": 1}), {}),
    ("gzip claimed, not gzip", _pack({"records": []}), {"Content-Encoding": "gzip"}),
    ("unknown encoding", _pack({"records": []}), {"Content-Encoding": "br"}),
    ("not msgpack content type", b'{"records": []}', {"Content-Type": "application/json"}),
]
# One record with a problem of its own (at seq 2, after the run's first record).
_BAD_RECORDS = [
    ("kind not a string", [2, 7, _ROW], "kind must be a non-empty string"),
    ("unknown kind", [2, "nope", {}], "unknown record kind 'nope'"),
    ("payload not a map", [2, "history", [1, 2]], "payload must be a map"),
    ("history without _step", [2, "history", {"loss": 1.0}], "_step must be"),
    ("negative _step", [2, "history", {"_step": -1}], "_step must be"),
    ("bytes value", [2, "history", {"_step": 0, "b": b"\x00"}], "unsupported value type bytes"),
    ("config update not a map", [2, "config", {"update": [1]}], "'update' must be a map"),
    ("metric summary a string", [2, "metric", {"name": "a", "summary": "min"}], "summary"),
    ("exit code a bool", [2, "exit", {"exit_code": True, "time": 1.0}], "exit_code"),
    ("exit code too large", [2, "exit", {"exit_code": 1 << 40}], "32-bit"),
    ("run tags not strings", [2, "run", {"tags": [1]}], "list of strings"),
]


@pytest.mark.parametrize("case", _MALFORMED_BATCHES, ids=lambda c: c[0])
def test_malformed_batches_get_a_4xx_with_a_message_and_change_nothing(
    server: Any, run: str, case: tuple[str, bytes, dict[str, str]]
) -> None:
    assert server.post_records(run, [[1, "config", {"update": {"a": 1}, "remove": []}]]).ok
    before = stable_info(server, run)
    _, body, extra = case
    headers = server.headers(**{"Content-Type": "application/msgpack"}) | extra
    reply = server.session.post(f"{server.url}/api/v1/runs/{run}/records", body, headers=headers)
    assert 400 <= reply.status_code < 500, reply.text
    assert reply.json()["detail"]
    assert same(stable_info(server, run), before)


@pytest.mark.parametrize("case", _BAD_RECORDS, ids=lambda c: c[0])
def test_a_bad_record_alone_gets_422_naming_it_and_the_acknowledgement_moves_past_it(
    server: Any, run: str, case: tuple[str, list[Any], str]
) -> None:
    assert server.post_records(run, [[1, "config", {"update": {"a": 1}, "remove": []}]]).ok
    _, record, reason = case
    reply = server.post_records(run, [record])
    assert reply.status_code == 422, reply.text
    ack = reply.json()
    assert ack["acked_seq"] == 2 and reason in ack["detail"]
    assert [r["seq"] for r in ack["refused"]] == [2] and reason in ack["refused"][0]["reason"]
    info = stable_info(server, run)
    assert info["config"] == {"a": 1} and info["history_rows"] == 0
    assert info["refused_records"] == 1
    # The next record goes on from there.
    assert server.post_records(run, [[3, "history", _ROW]]).json() == {"acked_seq": 3}


@pytest.mark.parametrize("case", _BAD_RECORDS, ids=lambda c: c[0])
def test_a_bad_record_among_good_ones_is_refused_by_itself(
    server: Any, run: str, case: tuple[str, list[Any], str]
) -> None:
    _, record, reason = case
    good = [[1, "history", _ROW], [3, "history", {"loss": 0.5, "_step": 1}]]
    reply = server.post_records(run, [good[0], record, good[1]])
    assert reply.status_code == 200, reply.text
    assert reply.json()["acked_seq"] == 3
    assert reply.json()["refused"][0]["seq"] == 2
    assert reason in reply.json()["refused"][0]["reason"]
    assert [row["loss"] for row in all_rows(server, run)] == [1.0, 0.5]


def test_gzip_batches_are_accepted(server: Any, run: str) -> None:
    records = [[1, "config", {"update": {"a": 1}, "remove": []}]]
    records += [[2 + i, "history", {"v": float(i), "_step": i}] for i in range(100)]
    reply = server.post_records(run, records, compress=True)
    assert reply.json() == {"acked_seq": 101}
    assert server.run_get(run).json()["history_rows"] == 100
    bomb = gzip.compress(b"\x00" * (1 << 20))
    headers = server.headers(**{"Content-Type": "application/msgpack", "Content-Encoding": "gzip"})
    reply = server.session.post(f"{server.url}/api/v1/runs/{run}/records", bomb, headers=headers)
    assert reply.status_code == 400


def test_an_empty_batch_is_a_heartbeat(server: Any, run: str) -> None:
    assert server.post_records(run, []).json() == {"acked_seq": 0}
    assert server.run_get(run).status_code == 404  # nothing to keep for an unknown run
    server.post_records(run, [[1, "config", {"update": {"a": 1}, "remove": []}]])
    first = server.run_get(run).json()["heartbeat_time"]
    assert server.post_records(run, []).json() == {"acked_seq": 1}
    assert server.run_get(run).json()["heartbeat_time"] > first


def test_nul_characters_in_names_and_keys_are_stored_not_refused(server: Any, run: str) -> None:
    records = [
        [1, "run", {"name": "a\x00b", "tags": ["t\x00"], "notes": "n"}],
        [2, "history", {"k\x00ey": 1.5, "_step": 0}],
    ]
    assert server.post_records(run, records).json() == {"acked_seq": 2}
    info = server.run_get(run).json()
    assert info["name"] == "a\ufffdb" and info["tags"] == ["t\ufffd"]
    assert server.run_get(run, "/history/rows").json()["rows"][0]["k\x00ey"] == 1.5
    assert "k\ufffdey" in server.run_get(run, "/history").json()["series"]
    project = "/".join(run.split("/")[:2])
    for params in ({"search": "\x00"}, {"tag": "\x00"}, {"group": "a\x00"}):
        reply = server.get(f"/api/v1/runs/{project}", **params)
        assert reply.status_code in (200, 422), reply.text
