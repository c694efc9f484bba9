"""Server-sent events of a run: new rows exactly once, state changes, the end, and auth."""

from __future__ import annotations

import threading
import time
from typing import Any

import orjson
import requests

from nbrun.protocol.http import run_path


def run_record(seq: int) -> list[Any]:
    return [seq, "run", {"name": "live", "tags": [], "start_time": time.time()}]


def rows(first_seq: int, steps: range) -> list[list[Any]]:
    return [
        [first_seq + i, "history", {"_step": s, "loss": 1 / (s + 1), "acc": s / 100}]
        for i, s in enumerate(steps)
    ]


def exit_record(seq: int) -> list[Any]:
    return [seq, "exit", {"exit_code": 0, "time": time.time(), "runtime": 1.0, "summary": {}}]


def read_events(response: requests.Response) -> list[tuple[str, Any]]:
    """Parse an event stream until it ends (the server closes it after ``end``)."""
    events: list[tuple[str, Any]] = []
    name = None
    for line in response.iter_lines(decode_unicode=True):
        if line.startswith("event: "):
            name = line[len("event: ") :]
        elif line.startswith("data: ") and name is not None:
            events.append((name, orjson.loads(line[len("data: ") :])))
            name = None
    return events


def open_stream(server: Any, run: str, auth: str | None = "default", **params: Any) -> Any:
    return server.session.get(
        f"{server.url}{run_path(*run.split('/'))}/stream",
        params={"poll": 0.05, **params},
        headers=server.headers(auth),
        stream=True,
        timeout=30,
    )


def test_rows_logged_while_listening_arrive_once_and_the_stream_ends_with_the_run(
    server: Any, run: str
) -> None:
    assert server.post_records(run, [run_record(1), *rows(2, range(0, 10))]).ok
    events: list[tuple[str, Any]] = []
    with open_stream(server, run, min_step=0) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        reader = threading.Thread(target=lambda: events.extend(read_events(response)))
        reader.start()
        for chunk in range(10, 40, 10):
            time.sleep(0.1)
            seq = 2 + chunk
            server.post_records(run, rows(seq, range(chunk, chunk + 10)))
        server.post_records(run, [exit_record(42)])
        reader.join(30)
        assert not reader.is_alive()
    steps = [row["_step"] for name, data in events if name == "rows" for row in data["rows"]]
    assert steps == list(range(40))
    states = [data["state"] for name, data in events if name == "run"]
    assert states[0] == "running" and states[-1] == "finished"
    assert events[-1] == ("end", {"state": "finished"})


def test_a_cursor_and_keys_narrow_what_is_sent(server: Any, run: str) -> None:
    server.post_records(run, [run_record(1), *rows(2, range(20)), exit_record(22)])
    with open_stream(server, run, min_step=15, keys="acc") as response:
        events = read_events(response)
    sent = [row for name, data in events if name == "rows" for row in data["rows"]]
    assert sent == [{"_step": s, "acc": s / 100} for s in range(15, 20)]


def test_a_read_token_may_go_in_the_url_but_a_full_key_may_not(server: Any, run: str) -> None:
    server.post_records(run, [run_record(1), *rows(2, range(3)), exit_record(5)])
    token = server.session.post(
        f"{server.url}{run_path(*run.split('/'))}/tokens", headers=server.headers()
    ).json()["token"]
    with open_stream(server, run, auth=None, token=token) as response:
        assert response.status_code == 200
        assert len([e for e in read_events(response) if e[0] == "rows"]) == 1
    refused = open_stream(server, run, auth=None, token=server.token)
    assert refused.status_code == 401
    other = "e/p/other-run"
    server.post_records(other, [run_record(1)])
    assert open_stream(server, other, auth=None, token=token).status_code == 403


def test_console_lines_and_alerts_stream_as_their_own_events(server: Any, run: str) -> None:
    line = {"stream": "stdout", "text": "epoch 1\nepoch 2\n", "time": time.time()}
    alert = {"title": "slow", "text": "step took 5 s", "level": "WARN", "time": time.time()}
    server.post_records(run, [run_record(1), [2, "console", line]])
    events: list[tuple[str, Any]] = []
    with open_stream(server, run, console_after=0) as response:
        reader = threading.Thread(target=lambda: events.extend(read_events(response)))
        reader.start()
        more = {"stream": "stderr", "text": "warning\n", "time": time.time()}
        server.post_records(run, [[3, "alert", alert], [4, "console", more]])
        server.post_records(run, [exit_record(5)])
        reader.join(30)
        assert not reader.is_alive()
    lines = [(ln["n"], ln["text"]) for n, d in events if n == "console" for ln in d["lines"]]
    assert lines == [(1, "epoch 2"), (2, "warning")]  # after line 0, each line once
    raised = [a for name, data in events if name == "alerts" for a in data["alerts"]]
    assert [(a["n"], a["title"]) for a in raised] == [(0, "slow")]
    assert events[-1] == ("end", {"state": "finished"})


def test_nan_and_infinities_stream_as_the_strings_json_answers_use(server: Any, run: str) -> None:
    nan, inf = float("nan"), float("inf")
    row = {"_step": 0, "a": nan, "b": inf, "c": -inf, "n": {"x": nan}, "ok": 1.5}
    server.post_records(run, [run_record(1), [2, "history", row], exit_record(3)])
    with open_stream(server, run, min_step=0) as response:
        events = read_events(response)
    sent = [r for name, data in events if name == "rows" for r in data["rows"]]
    assert sent == [
        {"_step": 0, "a": "NaN", "b": "Infinity", "c": "-Infinity", "n": {"x": "NaN"}, "ok": 1.5}
    ]
    summary = [data["summary"] for name, data in events if name == "run"][-1]
    assert (summary["a"], summary["b"], summary["c"]) == ("NaN", "Infinity", "-Infinity")

    project = run.rsplit("/", 1)[0]
    entity, name = project.split("/")
    with server.session.get(
        f"{server.url}/api/v1/events",
        params={"entity": entity, "project": name, "since": 0, "poll": 0.05},
        headers=server.headers(),
        stream=True,
        timeout=30,
    ) as feed:
        changed = None
        for line in feed.iter_lines(decode_unicode=True):
            if line.startswith("data: "):
                changed = orjson.loads(line[len("data: ") :])
                break
    assert changed is not None and changed["summary"]["b"] == "Infinity"
    assert changed["summary"]["n"] == {"x": "NaN"}
