"""The runs change feed (GET /events): created runs, new steps and state changes arrive live,
scoped to a project, once per change; crashed shows without any write; full keys only."""

from __future__ import annotations

import http.client
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import orjson

from nbrun.protocol.http import API_PREFIX


def run_record(seq: int, name: str) -> list[Any]:
    return [seq, "run", {"name": name, "tags": [], "start_time": time.time()}]


def history(seq: int, step: int) -> list[Any]:
    return [seq, "history", {"_step": step, "loss": 1.0}]


def exit_record(seq: int, code: int = 0) -> list[Any]:
    return [seq, "exit", {"exit_code": code, "time": time.time(), "runtime": 1.0, "summary": {}}]


class Feed:
    """The ``run`` events an open /events stream delivered so far (read by a thread)."""

    def __init__(self, connection: http.client.HTTPConnection) -> None:
        self.connection = connection
        self.response = connection.getresponse()
        self.events: list[dict[str, Any]] = []
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        name = None
        try:
            while line := self.response.readline().decode():
                if line.startswith("event: "):
                    name = line[len("event: ") :].strip()
                elif line.startswith("data: ") and name == "run":
                    with self._changed:
                        self.events.append(orjson.loads(line[len("data: ") :]))
                        self._changed.notify_all()
        except (OSError, ValueError):
            pass  # the test shut the socket

    def close(self) -> None:
        # Shutting the socket wakes the reader at once (closing alone waits for the next
        # keep-alive from the server).
        sock = self.connection.sock
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
        self._thread.join(10)
        self.connection.close()

    def wait_for(self, check: Callable[[list[dict[str, Any]]], bool], timeout: float = 20) -> None:
        with self._changed:
            assert self._changed.wait_for(lambda: check(self.events), timeout), self.events

    def states(self, run_id: str) -> list[str]:
        return [e["state"] for e in self.events if e["id"] == run_id]


@contextmanager
def feed(server: Any, token: str | None = "default", **params: Any) -> Iterator[Feed]:
    address = urllib.parse.urlsplit(server.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    query = urllib.parse.urlencode({"poll": 0.05, **params})
    connection.request("GET", f"{API_PREFIX}/events?{query}", headers=server.headers(token))
    events = Feed(connection)
    try:
        assert events.response.status == 200
        assert events.response.getheader("content-type", "").startswith("text/event-stream")
        yield events
    finally:
        events.close()


def test_a_run_created_stepping_and_finishing_arrives_as_run_events(server: Any, run: str) -> None:
    entity, project, run_id = run.split("/")
    with feed(server, entity=entity, project=project) as events:
        server.post_records(run, [run_record(1, "live one"), history(2, 0)])
        events.wait_for(lambda e: any(x["id"] == run_id and x["last_step"] == 0 for x in e))
        server.post_records(run, [history(3, 1)])
        events.wait_for(lambda e: any(x["id"] == run_id and x["last_step"] == 1 for x in e))
        server.post_records(run, [exit_record(4)])
        events.wait_for(lambda e: "finished" in events.states(run_id))
    last = events.events[-1]
    assert (last["name"], last["state"], last["history_rows"]) == ("live one", "finished", 2)
    assert events.states(run_id)[0] == "running"


def test_each_change_is_sent_once_and_other_projects_are_left_out(server: Any, run: str) -> None:
    entity, project, run_id = run.split("/")
    other = f"{entity}/other-{project}/{run_id}"
    with feed(server, entity=entity, project=project) as events:
        server.post_records(other, [run_record(1, "elsewhere"), exit_record(2)])
        server.post_records(run, [run_record(1, "here"), exit_record(2)])
        events.wait_for(lambda e: "finished" in events.states(run_id))
        time.sleep(0.3)  # several more polls: nothing is sent again
    assert [(e["project"], e["state"]) for e in events.events] == [(project, "finished")]


def test_runs_changed_just_before_listening_are_sent_and_older_ones_are_not(
    server: Any, run: str
) -> None:
    entity, project, _ = run.split("/")
    server.post_records(run, [run_record(1, "earlier"), exit_record(2)])
    with feed(server, entity=entity, project=project) as recent:
        recent.wait_for(lambda e: len(e) == 1)
    with feed(server, entity=entity, project=project, since=time.time() + 1) as later:
        server.post_records(f"{entity}/{project}/marker", [run_record(1, "marker")])
        later.wait_for(lambda e: any(x["id"] == "marker" for x in e))
    assert [x["id"] for x in later.events] == ["marker"]


def test_a_run_whose_heartbeats_stop_turns_crashed_in_the_feed(
    server_factory: Callable[..., Any], run: str
) -> None:
    server = server_factory("--crash-after", "1")
    entity, _, run_id = run.split("/")
    with feed(server, entity=entity) as events:
        server.post_records(run, [run_record(1, "doomed"), history(2, 0)])
        events.wait_for(lambda e: "crashed" in events.states(run_id))
    assert events.states(run_id)[0] == "running"


def test_the_feed_needs_a_full_key(server: Any, run: str) -> None:
    server.post_records(run, [run_record(1, "secret")])
    read_token = server.session.post(
        f"{server.url}{API_PREFIX}/runs/{run}/tokens", headers=server.headers()
    ).json()["token"]
    url = f"{server.url}{API_PREFIX}/events"
    assert server.session.get(url, headers=server.headers(None), timeout=10).status_code == 401
    assert (
        server.session.get(url, headers=server.headers(read_token), timeout=10).status_code == 403
    )
    bad = server.session.get(url, params={"project": "p"}, headers=server.headers(), timeout=10)
    assert bad.status_code == 422 and "project needs entity" in bad.text
