"""An artifact version's lineage on a real server: producer and consumer runs, further hops,
the hop limit, the node cap, and refusals."""

from __future__ import annotations

import uuid
from typing import Any

from nbrun.protocol.http import LINEAGE_MAX_NODES
from tests.server.conftest import Server
from tests.server.test_artifacts import Logged, get, log_files, post


def other_run(run: str, label: str) -> str:
    entity, project, _ = run.split("/")
    return f"{entity}/{project}/{label}-{uuid.uuid4().hex[:6]}"


def use_of(run: str, logged: Logged) -> list[Any]:
    """The record of a use of ``logged`` (in the project of ``run``)."""
    entity, project, _ = run.split("/")
    use = {"entity": entity, "project": project, "name": logged.name, "digest": logged.digest}
    return ["use_artifact", use]


def lineage(server: Server, run: str, name: str, version: str, **params: Any) -> Any:
    reply = get(server, run, f"/{name}/{version}/lineage", **params)
    assert reply.status_code == 200, reply.text
    return reply.json()


def edges(answer: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(e["source"], e["target"], e["kind"]) for e in answer["edges"]}


def test_a_version_links_its_producer_and_its_consumers(server: Server, run: str) -> None:
    entity, project, producer = run.split("/")
    data = log_files(server, "data", {"x.txt": b"rows"})
    post(server, run, [["run", {"name": "prepare"}], data.record(aliases=["best"])])
    trainer = other_run(run, "train")
    model = log_files(server, "clf", {"w.bin": b"weights"})
    post(server, trainer, [use_of(run, data), model.record(type="model")])
    evaluator = other_run(run, "eval")
    post(server, evaluator, [use_of(run, data)])

    answer = lineage(server, run, "data", "best")
    root = f"artifact:{entity}/{project}/data:v0"
    assert answer["root"] == root and answer["truncated"] is False
    assert answer["nodes"][0] == {
        "id": root,
        "kind": "artifact",
        "entity": entity,
        "project": project,
        "name": "data",
        "run_id": None,
        "state": None,
        "type": "dataset",
        "version": "v0",
        "aliases": ["best", "latest"],
    }
    run_node = next(n for n in answer["nodes"] if n["id"] == f"run:{run}")
    assert (run_node["name"], run_node["run_id"], run_node["state"]) == (
        "prepare",
        producer,
        "running",
    )
    model_id = f"artifact:{entity}/{project}/clf:v0"
    assert edges(answer) == {
        (f"run:{run}", root, "logged"),
        (root, f"run:{trainer}", "used"),
        (root, f"run:{evaluator}", "used"),
        (f"run:{trainer}", model_id, "logged"),  # the second hop
    }
    model_node = next(n for n in answer["nodes"] if n["id"] == model_id)
    assert (model_node["type"], model_node["aliases"]) == ("model", ["latest"])

    # One hop: who logged and who used it, nothing further.
    near = lineage(server, run, "data", "v0", hops=1)
    assert {n["id"] for n in near["nodes"]} == {
        root,
        f"run:{run}",
        f"run:{trainer}",
        f"run:{evaluator}",
    }
    # From the model, backwards: its producer, the data it used, the data's producer.
    back = lineage(server, run, "clf", "latest", hops=3)
    assert edges(back) >= {
        (f"run:{trainer}", model_id, "logged"),
        (root, f"run:{trainer}", "used"),
        (f"run:{run}", root, "logged"),
    }


def test_a_chain_longer_than_the_hops_stops_at_the_hops(server: Server, run: str) -> None:
    steps = [log_files(server, f"step{i}", {"f": f"step {i}".encode()}) for i in range(6)]
    runs = [other_run(run, f"r{i}") for i in range(6)]
    for i, (each, logged) in enumerate(zip(runs, steps, strict=True)):
        records = [use_of(run, steps[i - 1])] if i else []
        post(server, each, [*records, logged.record()])
    reached = lineage(server, run, "step0", "v0", hops=4)
    names = {n["name"] for n in reached["nodes"] if n["kind"] == "artifact"}
    assert names == {"step0", "step1", "step2"}  # version, run, version, run, version
    assert lineage(server, run, "step5", "v0", hops=2)["nodes"][0]["name"] == "step5"


def test_a_crowded_lineage_is_capped_and_says_so(server: Server, run: str) -> None:
    data = log_files(server, "popular", {"x": b"everyone reads this"})
    post(server, run, [data.record()])
    for _ in range(LINEAGE_MAX_NODES + 5):
        post(server, other_run(run, "reader"), [use_of(run, data)])
    answer = lineage(server, run, "popular", "latest")
    assert answer["truncated"] is True
    assert len(answer["nodes"]) == LINEAGE_MAX_NODES
    ids = {n["id"] for n in answer["nodes"]}
    assert all(e["source"] in ids and e["target"] in ids for e in answer["edges"])


def test_unknown_versions_and_bad_hops_are_refused(server: Server, run: str) -> None:
    data = log_files(server, "data", {"x": b"1"})
    post(server, run, [data.record()])
    missing = get(server, run, "/data/v7/lineage")
    assert missing.status_code == 404 and "no version or alias 'v7'" in missing.json()["detail"]
    assert get(server, run, "/nothing/v0/lineage").status_code == 404
    for hops in ("0", "5", "x"):
        reply = get(server, run, "/data/v0/lineage", hops=hops)
        assert reply.status_code == 422, hops
    assert get(server, run, "/data/v0/lineage", token=None).status_code == 401
