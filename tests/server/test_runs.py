"""Run states, run lists with filters, and projects."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest


def run_record(seq: int, **fields: Any) -> list[Any]:
    payload = {"name": "r", "tags": [], "group": None, "job_type": None, "start_time": time.time()}
    return [seq, "run", payload | fields]


def exit_record(seq: int, code: int) -> list[Any]:
    return [seq, "exit", {"exit_code": code, "time": time.time(), "runtime": 1.0, "summary": {}}]


@pytest.mark.parametrize(
    ("tail", "state", "exit_code"),
    [
        ([], "running", None),
        ([exit_record(2, 0)], "finished", 0),
        ([exit_record(2, 3)], "failed", 3),
        ([[2, "preempting", {"time": 1.0}]], "preempting", None),
    ],
)
def test_states_follow_the_records(
    server: Any, run: str, tail: list[list[Any]], state: str, exit_code: int | None
) -> None:
    assert server.post_records(run, [run_record(1), *tail]).ok
    info = server.run_get(run).json()
    assert (info["state"], info["exit_code"]) == (state, exit_code)


def test_a_resumed_run_is_running_again(server: Any, run: str) -> None:
    server.post_records(run, [run_record(1), exit_record(2, 0)])
    server.post_records(run, [run_record(3, resumed=True)])
    info = server.run_get(run).json()
    assert (info["state"], info["resumed"], info["end_time"]) == ("running", True, None)


def test_the_kernel_id_of_the_latest_session_reads_back_in_the_run_and_its_list(
    server: Any, run: str
) -> None:
    assert server.post_records(run, [run_record(1)]).ok
    assert server.run_get(run).json()["kernel_id"] is None  # a script's run, or an old one
    server.post_records(run, [exit_record(2, 0), run_record(3, resumed=True, kernel_id="k-2")])
    assert server.run_get(run).json()["kernel_id"] == "k-2"
    listed = server.get(f"/api/v1/runs/{run.rsplit('/', 1)[0]}").json()["runs"]
    assert [r["kernel_id"] for r in listed if r["id"] == run.rsplit("/", 1)[1]] == ["k-2"]


def test_a_kernel_id_that_is_not_a_string_is_422(server: Any, run: str) -> None:
    reply = server.post_records(run, [run_record(1, kernel_id=7)])
    assert reply.status_code == 422 and "'kernel_id'" in reply.text


def test_a_run_without_heartbeats_reads_as_crashed(server_factory: Any) -> None:
    server = server_factory("--crash-after", "0.5")
    live, done, quiet = (f"e/p/{name}" for name in ("live", "done", "quiet"))
    server.post_records(done, [run_record(1), exit_record(2, 0)])
    server.post_records(quiet, [run_record(1), [2, "preempting", {"time": 1.0}]])
    server.post_records(live, [run_record(1)])
    assert server.run_get(live).json()["state"] == "running"
    time.sleep(0.7)
    server.post_records(live, [])  # a heartbeat keeps it alive
    states = {r["id"]: r["state"] for r in server.get("/api/v1/runs/e/p").json()["runs"]}
    assert states == {"live": "running", "done": "finished", "quiet": "crashed"}
    crashed = server.get("/api/v1/runs/e/p", state="crashed").json()["runs"]
    assert [r["id"] for r in crashed] == ["quiet"]
    running = server.get("/api/v1/runs/e/p", state="running").json()["runs"]
    assert [r["id"] for r in running] == ["live"]


def test_replayed_batches_are_no_heartbeat(server_factory: Any) -> None:
    server = server_factory("--crash-after", "0.5")
    dead, done = "e/p/dead", "e/p/done"
    server.post_records(dead, [run_record(1)])
    time.sleep(0.7)
    assert server.run_get(dead).json()["state"] == "crashed"
    assert server.post_records(
        dead, [[2, "config", {"update": {"a": 1}, "remove": []}]], live=False
    ).json() == {"acked_seq": 2}
    assert server.run_get(dead).json()["state"] == "crashed"
    server.post_records(done, [run_record(1), exit_record(2, 0)], live=False)
    assert server.run_get(done).json()["state"] == "finished"
    replayed_new = "e/p/replayed"
    server.post_records(replayed_new, [run_record(1)], live=False)
    assert server.run_get(replayed_new).json()["state"] == "crashed"
    assert server.post_records(dead, [], live="yes").status_code == 422  # type: ignore[arg-type]


def test_run_lists_filter_and_page(server: Any) -> None:
    project = f"proj-{uuid.uuid4().hex[:6]}"
    specs = [
        ("r1", {"name": "alpha one", "tags": ["x", "y"], "group": "g", "job_type": "train"}),
        ("r2", {"name": "beta", "tags": ["x"], "group": "g", "job_type": "eval"}),
        ("r3", {"name": "Gamma_100%", "tags": [], "group": "h", "job_type": "train"}),
    ]
    for run_id, fields in specs:
        tail = [exit_record(2, 0)] if run_id == "r2" else []
        assert server.post_records(f"ent/{project}/{run_id}", [run_record(1, **fields), *tail]).ok
    base = f"/api/v1/runs/ent/{project}"

    def ids(**params: Any) -> list[str]:
        reply = server.get(base, **params)
        assert reply.status_code == 200, reply.text
        return [r["id"] for r in reply.json()["runs"]]

    assert ids() == ["r3", "r2", "r1"]  # newest first
    assert ids(tag="x") == ["r2", "r1"] and ids(tag=["x", "y"]) == ["r1"]
    assert ids(group="g", job_type="train") == ["r1"]
    assert ids(state="finished") == ["r2"] and ids(state="running,finished") == ["r3", "r2", "r1"]
    assert (
        ids(search="ALPHA") == ["r1"] and ids(search="100%") == ["r3"] and ids(search="a_o") == []
    )
    assert ids(limit=2) == ["r3", "r2"] and ids(limit=2, offset=2) == ["r1"]
    assert server.get(base, state="bogus").status_code == 422
    assert server.get(base, limit=0).status_code == 422
    projects = server.get("/api/v1/projects").json()["projects"]
    mine = [p for p in projects if p["project"] == project]
    assert mine == [
        {
            "entity": "ent",
            "project": project,
            "run_count": 3,
            "last_activity": mine[0]["last_activity"],
        }
    ]
    assert mine[0]["last_activity"] > 0


def test_an_unknown_run_is_404_with_a_message(server: Any, run: str) -> None:
    reply = server.run_get(run)
    assert reply.status_code == 404 and "not found" in reply.json()["detail"]


def test_nan_and_infinities_in_config_and_summary_read_back_as_strings_in_json(
    server: Any,
) -> None:
    import math

    import msgpack

    project = f"proj-{uuid.uuid4().hex[:6]}"
    run = f"ent/{project}/nonfinite"
    nan, inf = float("nan"), float("inf")
    records = [
        run_record(1),
        [2, "config", {"update": {"lr": nan, "opt": {"clip": inf}}, "remove": []}],
        [3, "history", {"_step": 0, "a": nan, "b": inf, "c": -inf, "n": {"x": nan}}],
        [4, "summary", {"update": {"best": -inf}, "remove": []}],
    ]
    assert server.post_records(run, records).ok
    expected_summary = {"a": "NaN", "b": "Infinity", "c": "-Infinity", "n": {"x": "NaN"}}
    expected_summary["best"] = "-Infinity"

    def check(info: dict[str, Any]) -> None:
        assert {k: info["summary"][k] for k in expected_summary} == expected_summary
        assert info["config"] == {"lr": "NaN", "opt": {"clip": "Infinity"}}

    check(server.run_get(run).json())
    listed = server.get(f"/api/v1/runs/ent/{project}").json()["runs"]
    check(listed[0])

    exact = msgpack.unpackb(server.run_get(run, msgpack_reply=True).content)
    assert math.isnan(exact["summary"]["a"]) and exact["summary"]["b"] == inf
    assert exact["summary"]["best"] == -inf and math.isnan(exact["summary"]["n"]["x"])
    assert math.isnan(exact["config"]["lr"]) and exact["config"]["opt"]["clip"] == inf
