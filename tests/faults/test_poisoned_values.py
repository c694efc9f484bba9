"""One bad value never costs the records around it: refused at log()/config/summary time with
an error naming the key, skipped by the writer if it gets that far, and refused by the server
by itself when an older client sends it."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import msgpack
import pytest
import requests

import nbrun
from nbrun.errors import InvalidValueError
from nbrun.protocol.limits import MAX_DEPTH, MAX_KEY_CHARS, MAX_RECORD_BYTES, MAX_STRING_BYTES
from nbrun.record.reader import RecordLogReader
from nbrun.record.writer import RecordWriter
from nbrun.sync.command import run_sync

QUIET: dict[str, Any] = {"silent": True, "console": "off"}
LONE_SURROGATE = "\ud800"


def nested(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": 1}
    for _ in range(levels - 1):
        value = {"a": value}
    return value


def steps(path: str) -> list[int]:
    return [row["_step"] for row in nbrun.Api().run(path).history(pandas=False)]


POISON = [
    pytest.param({LONE_SURROGATE: 1}, r"key '\\ud800' is not valid text", id="surrogate-key"),
    pytest.param({"text": "ok" + LONE_SURROGATE}, "'text' is not valid text", id="surrogate-value"),
    pytest.param({"deep": nested(100)}, "'deep.*nested more than 64 levels", id="too-deep"),
    pytest.param({"deep": nested(1000)}, "'deep.*nested more than 64 levels", id="far-too-deep"),
    pytest.param({"k" * (MAX_KEY_CHARS + 1): 1}, "characters long", id="long-key"),
    pytest.param({"s": "x" * (MAX_STRING_BYTES + 1)}, "'s' is a string of", id="long-string"),
    pytest.param(
        {"big": [0.5] * (MAX_RECORD_BYTES // 9 + 1)}, "the largest is 'big'", id="large-row"
    ),
    pytest.param({"ok": 1, "_step": 3}, "'_step' is reserved", id="reserved-key"),
]


@pytest.mark.parametrize(("bad", "message"), POISON)
def test_a_poisoned_log_call_is_refused_naming_the_key_and_nothing_else_is_lost(
    bad: dict[str, Any], message: str
) -> None:
    run = nbrun.init(mode="offline", settings=QUIET)
    run.log({"loss": 0.5})
    with pytest.raises(InvalidValueError, match=message):
        run.log(bad)
    run.log({"loss": 0.25})
    run.finish()

    assert run.status().records_not_saved == 0
    assert steps(run.path) == [0, 1]
    assert nbrun.Api().run(run.path).state == "finished"


def test_poisoned_config_summary_and_run_fields_are_refused_naming_them() -> None:
    run = nbrun.init(mode="offline", settings=QUIET)
    with pytest.raises(ValueError, match=r"config: key '.*' is not valid text"):
        run.config[LONE_SURROGATE] = 1
    with pytest.raises(ValueError, match="value of 'lr' is not valid text"):
        run.config.update({"lr": LONE_SURROGATE})
    with pytest.raises(ValueError, match="value of 'best' is nested more than"):
        run.summary["best"] = nested(MAX_DEPTH + 1)
    with pytest.raises(ValueError, match="name is not valid text"):
        run.name = LONE_SURROGATE
    with pytest.raises(ValueError, match=r"tag '.*' is not valid text"):
        run.tags = ("fine", LONE_SURROGATE)
    with pytest.raises(ValueError, match="alert text is not valid text"):
        run.alert("title", LONE_SURROGATE)
    with pytest.raises(ValueError, match=r"define_metric: key '.*' is not valid text"):
        run.define_metric(LONE_SURROGATE, summary="max")
    run.config["lr"] = 0.1
    run.log({"loss": 1.0})
    run.finish()

    read = nbrun.Api().run(run.path)
    assert read.config == {"lr": 0.1} and read.state == "finished" and steps(run.path) == [0]


def test_init_refuses_a_name_that_is_not_valid_text() -> None:
    with pytest.raises(ValueError, match="name is not valid text"):
        nbrun.init(mode="offline", name="run" + LONE_SURROGATE, settings=QUIET)


def test_the_writer_skips_a_record_it_cannot_encode_and_writes_every_other(
    tmp_path: Path,
) -> None:
    problems: list[str] = []
    writer = RecordWriter(tmp_path / "run.nbrun", on_problem=problems.append)
    writer.append("history", {"i": 0, "_step": 0})
    writer.append("history", {"i": LONE_SURROGATE, "_step": 1})  # past any check: not encodable
    writer.append("history", {"i": 2, "_step": 2})
    writer.append("history", {"i": object(), "_step": 3})
    writer.append("history", {"i": 4, "_step": 4})
    writer.close()

    assert [r[2]["i"] for r in RecordLogReader(tmp_path / "run.nbrun")] == [0, 2, 4]
    assert writer.records_skipped == 2 and writer.records_written == 3
    assert len(problems) == 2 and "a history record was not written" in problems[0]


def test_the_writer_skips_a_record_larger_than_the_limit(tmp_path: Path) -> None:
    problems: list[str] = []
    writer = RecordWriter(tmp_path / "run.nbrun", on_problem=problems.append)
    writer.append("history", {"i": 0})
    writer.append("history", {"blob": "x" * (MAX_RECORD_BYTES + 10)})
    writer.append("history", {"i": 2})
    writer.close()

    assert [r[2].get("i") for r in RecordLogReader(tmp_path / "run.nbrun")] == [0, 2]
    assert "bytes (at most" in problems[0]


def _batch(records: list[list[Any]]) -> bytes:
    return msgpack.packb({"records": records, "live": False}, use_bin_type=True)


def test_the_server_refuses_a_poisoned_record_by_itself_and_stores_the_rest(server: Any) -> None:
    url = f"{server.url}/api/v1/runs/e/p/poisoned/records"
    headers = {"Authorization": f"Bearer {server.token}", "Content-Type": "application/msgpack"}
    records = [
        [1, "run", {"id": "poisoned", "entity": "e", "project": "p", "name": "n"}],
        [2, "history", {"loss": 1.0, "_step": 0}],
        [3, "nope", {"x": 1}],
        [4, "history", {"deep": nested(MAX_DEPTH + 1), "_step": 1}],
        [5, "history", {"k" * (MAX_KEY_CHARS + 1): 1, "_step": 2}],
        [6, "config", {"update": {"s": "x" * (MAX_STRING_BYTES + 1)}, "remove": []}],
        [7, "history", {"loss": 0.5, "_step": 3}],
    ]
    answer = requests.post(url, data=_batch(records), headers=headers, timeout=10)

    assert answer.status_code == 200, answer.text
    ack = answer.json()
    assert ack["acked_seq"] == 7
    assert [r["seq"] for r in ack["refused"]] == [3, 4, 5, 6]
    assert "unknown record kind 'nope'" in ack["refused"][0]["reason"]
    assert "nested more than 64 levels" in ack["refused"][1]["reason"]
    assert "characters long" in ack["refused"][2]["reason"]
    assert "is a string of" in ack["refused"][3]["reason"]
    run = nbrun.Api(base_url=server.url, api_key=server.token).run("e/p/poisoned")
    assert [row["loss"] for row in run.history(pandas=False)] == [1.0, 0.5]

    # A batch of nothing but refused records: 422, and the acknowledgement moves past them.
    alone = requests.post(url, data=_batch([[8, "nope", {}]]), headers=headers, timeout=10)
    assert alone.status_code == 422
    assert alone.json()["acked_seq"] == 8 and "unknown record kind" in alone.json()["detail"]
    after = requests.post(
        url, data=_batch([[9, "history", {"loss": 0.1, "_step": 4}]]), headers=headers, timeout=10
    )
    assert after.status_code == 200 and "refused" not in after.json()


def test_nbrun_sync_reports_records_the_server_refuses_and_uploads_the_rest(
    server: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # An older client wrote a value past the limits into its log: the log is uploaded all the
    # same, the bad record is refused by itself, and sync says so instead of failing forever.
    run = nbrun.init(project="faults", mode="offline", settings=QUIET)
    run.log({"loss": 1.0})
    run._recording.append("history", {"deep": nested(MAX_DEPTH + 1), "_step": 1})
    run.log({"loss": 0.5}, step=2)
    run.finish()
    arguments = argparse.Namespace(paths=[], include_synced=False, base_url=None, api_key=None)

    assert run_sync(arguments) == 0

    err = capsys.readouterr().err
    assert "synced" in err and "the backend refused 1 record(s)" in err
    assert "nested more than 64 levels" in err
    remote = nbrun.Api().run(run.path)
    assert [row["_step"] for row in remote.history(pandas=False)] == [0, 2]
    assert remote.state == "finished"
