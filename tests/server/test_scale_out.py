"""Scale-out: two server processes on different ports share one PostgreSQL database and one
storage folder. A real client run logs through A and is read, live and afterwards, through B;
files uploaded through A download through B; batches of one run ingested through both at once
land exactly once."""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msgpack
import orjson
import pytest
import requests

import nbrun
from nbrun.protocol.http import run_path
from nbrun.record.reader import RecordLogReader
from nbrun.record.replay import replay_log
from nbrun.sync.client import Backend, BackendClient, GapError, NotFoundError
from tests.server.conftest import Server, assert_no_server_errors

KEY = "scale-out-shared-api-key"  # every server process accepts the same key
ROWS = 5_000
CHUNK = 500  # rows logged between two live reads
QUIET: dict[str, Any] = {"silent": True, "console": "off", "sync_timeout": 60}
POLL_SECONDS = 30.0  # the most any upload may take to show through the other server


def logged_values(step: int) -> dict[str, Any]:
    return {
        "loss": 1 / (step + 1),
        "acc": (step % 97) / 97,
        "epoch": step // 1000,
        "odd": math.nan if step == 7 else step * 0.5,
        "tag": f"s{step}",
    }


def same(a: Any, b: Any) -> bool:
    """Equal, NaN included (compared through their msgpack bytes)."""
    return bool(msgpack.packb(a) == msgpack.packb(b))


@pytest.fixture
def pair(
    server_factory: Callable[..., Server], postgres_url: str, tmp_path: Path
) -> Iterator[tuple[Server, Server]]:
    """Servers A and B: one database, one storage folder (the last ``--storage`` wins)."""
    storage = str(tmp_path / "shared-storage")
    a, b = (
        server_factory("--api-key", KEY, "--storage", storage, db_url=postgres_url, name=name)
        for name in ("a", "b")
    )
    assert a.url != b.url
    yield a, b
    for server in (a, b):
        assert_no_server_errors(server)


class LiveRows:
    """Reads a run's new rows through one server with the ``min_step`` cursor, as a live view
    does: every page from the cursor, then on from the last step seen."""

    def __init__(self, server: Server, run: str) -> None:
        self.client = BackendClient(Backend(server.url, KEY))
        self.path = run_path(*run.split("/")) + "/history/rows"
        self.rows: list[dict[str, Any]] = []
        self.cursor: int | None = 0

    def poll(self) -> None:
        while True:
            try:
                page = self.client.get_json(self.path, min_step=self.cursor, limit=700)
            except NotFoundError:  # the run's first batch has not arrived yet
                return
            self.rows += page["rows"]
            if page["next_min_step"] is None:
                if self.rows:
                    self.cursor = self.rows[-1]["_step"] + 1
                return
            self.cursor = page["next_min_step"]

    def wait_for(self, count: int) -> None:
        deadline = time.monotonic() + POLL_SECONDS
        while len(self.rows) < count and time.monotonic() < deadline:
            self.poll()
            if len(self.rows) < count:
                time.sleep(0.05)
        assert len(self.rows) >= count, f"{len(self.rows)} of {count} rows after {POLL_SECONDS}s"


class EventStream(threading.Thread):
    """A run's server-sent events through one server, collected until the ``end`` event."""

    def __init__(self, server: Server, run: str) -> None:
        super().__init__(name="event-stream", daemon=True)
        self.url = f"{server.url}{run_path(*run.split('/'))}/stream"
        self.events: list[tuple[str, Any]] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        headers = {"Authorization": f"Bearer {KEY}"}
        params = {"min_step": 0, "poll": 0.1}
        try:
            with requests.get(self.url, params, headers=headers, stream=True, timeout=60) as reply:
                reply.raise_for_status()
                name = None
                for line in reply.iter_lines(decode_unicode=True):
                    if line.startswith("event: "):
                        name = line.removeprefix("event: ")
                    elif line.startswith("data: ") and name is not None:
                        self.events.append((name, orjson.loads(line.removeprefix("data: "))))
        except BaseException as exc:
            self.error = exc

    def rows(self) -> list[dict[str, Any]]:
        return [row for name, data in self.events if name == "rows" for row in data["rows"]]


def test_a_run_logged_through_one_server_streams_and_reads_back_exactly_through_the_other(
    pair: tuple[Server, Server], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    a, b = pair
    monkeypatch.setenv("NBRUN_BASE_URL", a.url)
    monkeypatch.setenv("NBRUN_API_KEY", KEY)
    Path("notes.txt").write_text("saved now")
    weights = os.urandom(1 << 20)
    Path("weights.bin").write_bytes(weights)
    run = nbrun.init(project="scale-out", config={"lr": 0.1, "layers": [64, 64]}, settings=QUIET)
    run.define_metric("loss", summary="min")
    run.save("notes.txt", policy="now")
    run.save("weights.bin", policy="end")
    live = LiveRows(b, run.path)
    stream = EventStream(b, run.path)
    seen_while_running = []
    for start in range(0, ROWS, CHUNK):
        for step in range(start, start + CHUNK):
            run.log(logged_values(step))
        live.wait_for(start + CHUNK)  # through B, while the run is still logging through A
        seen_while_running.append(len(live.rows))
        if start == 0:
            stream.start()  # the run exists on the server now
    reading = nbrun.Api(base_url=b.url, api_key=KEY).run(run.path)
    assert reading.state == "running"
    run.summary["note"] = "done"
    run.finish()
    assert run.status().synced

    # Live through B: after each chunk logged through A, exactly the rows logged so far.
    assert seen_while_running == list(range(CHUNK, ROWS + 1, CHUNK))
    live.poll()
    assert [row["_step"] for row in live.rows] == list(range(ROWS))
    for row in live.rows:
        expected = logged_values(row["_step"])
        assert same({key: row[key] for key in expected}, expected), row
    # The event stream through B: every row once, then the end of the finished run.
    stream.join(POLL_SECONDS)
    assert not stream.is_alive() and stream.error is None, stream.error
    assert [row["_step"] for row in stream.rows()] == list(range(ROWS))
    assert [row["loss"] for row in stream.rows()] == [1 / (step + 1) for step in range(ROWS)]
    assert stream.events[-1] == ("end", {"state": "finished"})

    # Afterwards: the whole run through B's nbrun.Api.
    remote = nbrun.Api(base_url=b.url, api_key=KEY).run(run.path)
    assert type(remote).__name__ == "RemoteRun"
    assert remote.state == "finished"
    assert remote.config == {"lr": 0.1, "layers": [64, 64]}
    assert remote.summary["loss"] == {"min": 1 / ROWS} and remote.summary["note"] == "done"
    history = remote.history(pandas=False)
    assert len(history) == ROWS
    assert [row["_step"] for row in history] == list(range(ROWS))
    for row in history:
        expected = logged_values(row["_step"])
        assert same({key: row[key] for key in expected}, expected), row

    # Files uploaded through A download through B.
    names = {f.name for f in remote.files()}
    assert {"notes.txt", "weights.bin", "config.yaml"} <= names
    out = tmp_path / "from-b"
    assert remote.file("notes.txt").download(root=str(out)).read_text() == "saved now"
    assert remote.file("weights.bin").download(root=str(out)).read_bytes() == weights


def offline_records(settings: dict[str, Any], rows: int) -> tuple[list[list[Any]], Any]:
    """The records of a real offline run, and what replaying its log folds them into."""
    run = nbrun.init(project="scale-out", config={"lr": 0.1}, **settings)
    run.define_metric("loss", summary="min,mean")
    for step in range(rows):
        run.log(logged_values(step))
    run.finish()
    log = Path(run.status().log_path or "")
    return list(RecordLogReader(log)), replay_log(log)


def ingest_all(
    server: Server, run: str, records: list[list[Any]], size: int, first: int = 1
) -> int:
    """Post ``records`` in batches of ``size`` from sequence ``first`` to the end, at this
    poster's own pace (so re-sending what the other poster already got through); after a 409
    from where the server says. Returns how many 409s there were."""
    assert [r[0] for r in records] == list(range(1, len(records) + 1))
    client = BackendClient(Backend(server.url, KEY))
    entity, project, run_id = run.split("/")
    seq, gaps = first, 0
    while seq <= len(records):
        batch = records[seq - 1 : seq - 1 + size]
        try:
            client.post_records(entity, project, run_id, batch)
            seq += len(batch)
        except GapError as gap:
            seq, gaps = gap.acked_seq + 1, gaps + 1
    client.close()
    return gaps


def test_batches_of_one_run_ingested_through_both_servers_at_once_land_once(
    pair: tuple[Server, Server], run: str, offline_settings: dict[str, Any]
) -> None:
    a, b = pair
    records, state = offline_records(offline_settings, rows=3_000)
    # The run exists before the race (its creation is the next test's subject).
    assert ingest_all(a, run, records[:5], size=5) == 0
    gaps: dict[str, int] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def ingest(name: str, server: Server, size: int, first: int) -> None:
        try:
            start.wait(10)
            gaps[name] = ingest_all(server, run, records, size, first)
        except BaseException as exc:
            errors.append(exc)

    # Cut differently, so the ranges overlap everywhere; B starts too far on and gets a 409.
    threads = [
        threading.Thread(target=ingest, args=("a", a, 97, 1)),
        threading.Thread(target=ingest, args=("b", b, 131, 2_001)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    assert gaps["b"] >= 1, gaps

    for server in (a, b):
        info = msgpack.unpackb(server.run_get(run, msgpack_reply=True).content)
        assert info["acked_seq"] == records[-1][0]
        assert info["history_rows"] == 3_000 and info["last_step"] == 2_999
        assert same(info["summary"], state.summary_values)
        rows = list(nbrun.Api(base_url=server.url, api_key=KEY).run(run).scan_history())
        assert [row["_step"] for row in rows] == list(range(3_000))
        series = server.run_get(run, "/history", msgpack_reply=True, keys="loss", samples=100_000)
        assert msgpack.unpackb(series.content)["series"]["loss"]["x"] == list(range(3_000))


def post_at_once(posts: list[tuple[Server, list[list[Any]]]], run: str) -> None:
    """Each server its batch of ``run``, all at the same moment."""
    entity, project, run_id = run.split("/")
    start = threading.Barrier(len(posts))
    errors: list[BaseException] = []

    def post(server: Server, records: list[list[Any]]) -> None:
        client = BackendClient(Backend(server.url, KEY))
        try:
            start.wait(10)
            client.post_records(entity, project, run_id, records)
        except BaseException as exc:
            errors.append(exc)
        finally:
            client.close()

    threads = [threading.Thread(target=post, args=pair) for pair in posts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors


def test_the_first_batches_of_a_new_run_through_both_servers_at_once_land_once(
    pair: tuple[Server, Server], offline_settings: dict[str, Any]
) -> None:
    a, b = pair
    records, state = offline_records(offline_settings, rows=200)
    wrong = []
    for attempt in range(6):  # the race is won or lost within milliseconds: try a few times
        run = f"test-entity/scale-out-race/run-{attempt}"
        post_at_once([(a, records[:100]), (b, records)], run)
        info = msgpack.unpackb(b.run_get(run, msgpack_reply=True).content)
        got = (info["acked_seq"], info["history_rows"], info["summary"]["loss"])
        if got != (records[-1][0], 200, state.summary_values["loss"]):
            wrong.append(got)
    expected = (records[-1][0], 200, state.summary_values["loss"])
    assert not wrong, f"expected {expected}, got {wrong}"
