"""Alerts and console lines of a run: stored on ingest, read in order, tailed by cursor."""

from __future__ import annotations

from typing import Any

ALERT = {"title": "loss spiked", "text": "loss went above 10", "level": "WARN", "time": 1.5e9}


def console(seq: int, text: str, stream: str = "stdout", time: float = 1.5e9) -> list[Any]:
    return [seq, "console", {"stream": stream, "text": text, "time": time}]


def test_alerts_read_back_in_the_order_raised(server: Any, run: str) -> None:
    second = ALERT | {"title": "done", "text": "all good", "level": "INFO", "time": 1.6e9}
    assert server.post_records(run, [[1, "alert", ALERT]]).ok
    assert server.post_records(run, [[2, "alert", second], [3, "alert", ALERT]]).ok
    got = server.run_get(run, "/alerts").json()["alerts"]
    assert [(a["n"], a["title"], a["level"]) for a in got] == [
        (0, "loss spiked", "WARN"),
        (1, "done", "INFO"),
        (2, "loss spiked", "WARN"),
    ]
    assert got[1] == {"n": 1, "time": 1.6e9, "title": "done", "text": "all good", "level": "INFO"}


def test_console_lines_come_in_order_and_a_cursor_tails_them(server: Any, run: str) -> None:
    assert server.post_records(run, [console(1, "epoch 1\nepoch 2\n")]).ok
    assert server.post_records(run, [console(2, "Traceback!\n", "stderr"), console(3, "x\n")]).ok
    everything = server.run_get(run, "/console").json()
    assert [(line["n"], line["stream"], line["text"]) for line in everything["lines"]] == [
        (0, "stdout", "epoch 1"),
        (1, "stdout", "epoch 2"),
        (2, "stderr", "Traceback!"),
        (3, "stdout", "x"),
    ]
    assert everything["cursor"] == 3
    page = server.run_get(run, "/console", after=0, limit=2).json()
    assert [line["text"] for line in page["lines"]] == ["epoch 2", "Traceback!"]
    assert page["cursor"] == 2
    assert server.run_get(run, "/console", after=3).json() == {"lines": [], "cursor": 3}
    assert server.post_records(run, [console(4, "epoch 3\n")]).ok
    tail = server.run_get(run, "/console", after=3).json()
    assert [line["text"] for line in tail["lines"]] == ["epoch 3"] and tail["cursor"] == 4


def test_tail_gives_the_last_lines_and_a_cursor_to_follow_from(server: Any, run: str) -> None:
    lines = "".join(f"line {i}\n" for i in range(10))
    assert server.post_records(run, [console(1, lines)]).ok

    tail = server.run_get(run, "/console", tail=3).json()

    assert [line["text"] for line in tail["lines"]] == ["line 7", "line 8", "line 9"]
    assert tail["cursor"] == tail["lines"][-1]["n"]
    assert server.run_get(run, "/console", tail=50).json()["lines"][0]["text"] == "line 0"
    both = server.run_get(run, "/console", tail=3, after=1)
    assert both.status_code == 422 and "after or tail" in both.text


def test_a_replayed_batch_adds_no_line_or_alert_twice(server: Any, run: str) -> None:
    batch = [console(1, "once\n"), [2, "alert", ALERT]]
    assert server.post_records(run, batch).json() == {"acked_seq": 2}
    assert server.post_records(run, batch).json() == {"acked_seq": 2}
    assert [line["text"] for line in server.run_get(run, "/console").json()["lines"]] == ["once"]
    assert len(server.run_get(run, "/alerts").json()["alerts"]) == 1


def test_a_bad_console_or_alert_record_is_refused_by_itself(server: Any, run: str) -> None:
    reply = server.post_records(run, [console(1, "fine\n"), console(2, "x\n", stream="stdin")])
    assert reply.status_code == 200 and "'stream' must be stdout or stderr" in reply.text
    assert [r["seq"] for r in reply.json()["refused"]] == [2]
    reply = server.post_records(run, [[3, "alert", {"title": "no text"}]])
    assert reply.status_code == 422 and "needs text" in reply.text
    reply = server.post_records(run, [[4, "console", {"stream": "stdout", "text": 5, "time": 1}]])
    assert reply.status_code == 422 and "'text'" in reply.text
    assert [line["text"] for line in server.run_get(run, "/console").json()["lines"]] == ["fine"]
    assert server.run_get(run, "/alerts").json()["alerts"] == []
    assert server.run_get(run).json()["refused_records"] == 3


def test_the_program_comes_from_the_metadata_record(server: Any, run: str) -> None:
    assert server.post_records(run, [[1, "run", {"name": "p"}]]).ok
    assert server.run_get(run).json()["program"] is None
    metadata = {"program": "/work/train.py", "python": "3.11.7", "git": {"commit": "abc"}}
    assert server.post_records(run, [[2, "metadata", metadata]]).ok
    assert server.run_get(run).json()["program"] == "/work/train.py"
    listed = server.get(f"/api/v1/runs/{run.rsplit('/', 1)[0]}").json()["runs"]
    assert [r["program"] for r in listed if r["id"] == run.rsplit("/", 1)[1]] == ["/work/train.py"]


def test_alerts_and_console_of_an_unknown_run_are_404_and_bad_cursors_422(
    server: Any, run: str
) -> None:
    assert server.run_get(run, "/alerts").status_code == 404
    assert server.run_get(run, "/console").status_code == 404
    assert server.post_records(run, [console(1, "a\n")]).ok
    assert server.run_get(run, "/console", after=-2).status_code == 422
    assert server.run_get(run, "/console", limit=0).status_code == 422
    assert server.run_get(run, "/console", after="x").status_code == 422
