"""The sender (`nbrun.sync.sender.Sender`) uploading record logs written by the real record
writer to a real `nbrun server` on loopback: every row arrives exactly once through stops,
outages, refusals, old servers and reconciliation, and `sync.json` says how far it got."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msgpack
import orjson
import pytest

import nbrun
from nbrun.protocol import http as http_api
from nbrun.record.framing import decode_body
from nbrun.record.writer import RecordWriter
from nbrun.sync.client import Backend, BackendClient, NotFoundError
from nbrun.sync.sender import RunAddress, Sender
from nbrun.sync.state import STATE_FILE, SyncState
from tests.processes import stop_process
from tests.sync.conftest import (
    TOKEN,
    ForwardingProxy,
    ProxiedRequest,
    ServerProcess,
    decode_batch_body,
)

ENTITY, PROJECT = "me", "sender"
QUIET: dict[str, Any] = {"silent": True, "console": "off"}


def loss(step: int) -> float:
    return 1 / (step + 1)


class Log:
    """One run's record log, written by the real record writer in a run directory."""

    def __init__(
        self,
        run_dir: Path,
        run_id: str,
        *,
        start_time: float | None = None,
        host: str | None = None,
        pid: int | None = None,
    ) -> None:
        run_dir.mkdir(parents=True)
        self.run_dir = run_dir
        self.run_id = run_id
        self.path = run_dir / f"run-{run_id}.nbrun"
        self.writer = RecordWriter(self.path, flush_interval=0.01)
        self.step = 0
        self.append(
            "run",
            {
                "id": run_id,
                "entity": ENTITY,
                "project": PROJECT,
                "name": f"name-{run_id}",
                "notes": None,
                "tags": [],
                "group": None,
                "job_type": None,
                "mode": "online",
                "start_time": time.time() if start_time is None else start_time,
                "starting_step": 0,
                "resumed": False,
                "sweep_id": None,
                "host": socket.gethostname() if host is None else host,
                "pid": os.getpid() if pid is None else pid,
            },
        )

    @property
    def last_seq(self) -> int:
        return self.writer.next_seq - 1

    def append(self, kind: str, payload: Any) -> None:
        self.writer.append(kind, payload)
        assert self.writer.flush(fsync=False)

    def rows(self, count: int) -> None:
        """``count`` history rows at the next steps, ``loss`` of each step."""
        for _ in range(count):
            self.writer.append("history", {"_step": self.step, "loss": loss(self.step)})
            self.step += 1
        assert self.writer.flush(fsync=False)

    def finish(self) -> None:
        self.append("exit", {"exit_code": 0, "time": time.time(), "runtime": 1.0, "summary": {}})
        self.writer.close()


@pytest.fixture
def make_log(tmp_path: Path) -> Iterator[Callable[..., Log]]:
    made: list[Log] = []

    def make(run_id: str, **options: Any) -> Log:
        made.append(Log(tmp_path / "runs" / f"{run_id}-{len(made)}", run_id, **options))
        return made[-1]

    yield make
    for log in made:
        log.writer.close()


@pytest.fixture
def make_sender() -> Iterator[Callable[..., Sender]]:
    """Senders of a log to a backend URL; stopped (and their clients closed) after the test."""
    made: list[tuple[Sender, BackendClient]] = []

    def make(log: Log, url: str, token: str = TOKEN, **options: Any) -> Sender:
        client = BackendClient(Backend(url, token))
        address = RunAddress(ENTITY, PROJECT, log.run_id)
        made.append((Sender(log.run_dir, log.path, address, client, **options), client))
        return made[-1][0]

    yield make
    for sender, client in made:
        with contextlib.suppress(RuntimeError):  # a sender the test never started
            sender.stop(timeout=10)
        client.close()


def wait_for(condition: Callable[[], Any], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not within {timeout}s"
        time.sleep(0.02)


def run_info(server: ServerProcess, run_id: str) -> http_api.RunInfo:
    client = BackendClient(Backend(server.url, TOKEN))
    try:
        info: http_api.RunInfo = client.get_json(http_api.run_path(ENTITY, PROJECT, run_id))
    finally:
        client.close()
    return info


def acked_seq(server: ServerProcess, run_id: str) -> int:
    try:
        return run_info(server, run_id)["acked_seq"]
    except nbrun.CommError:  # not created yet (404), or the server is away
        return 0


def stored_rows(server: ServerProcess, run_id: str) -> list[tuple[int, Any]]:
    """``(step, loss)`` of the run's history as a user reads it back."""
    api = nbrun.Api(base_url=server.url, api_key=TOKEN)
    rows = api.run(f"{ENTITY}/{PROJECT}/{run_id}").history(pandas=False)
    return [(row["_step"], row["loss"]) for row in rows]


def expected_rows(steps: range) -> list[tuple[int, float]]:
    return [(step, loss(step)) for step in steps]


def server_files(server: ServerProcess, run_id: str) -> dict[str, bytes]:
    client = BackendClient(Backend(server.url, TOKEN))
    base = http_api.run_path(ENTITY, PROJECT, run_id)
    try:
        listed = client.get_json(f"{base}/files")["files"]
        return {f["path"]: client.get_bytes(f"{base}/files/{f['path']}") for f in listed}
    except NotFoundError:  # the run is not created yet
        return {}
    finally:
        client.close()


def posted_seqs(batches: list[dict[str, Any]]) -> list[int]:
    """Sequence numbers of the records in posted batches: frames' first, then ``records``."""
    seqs: list[int] = []
    for batch in batches:
        for body in batch.get("frames") or ():
            seqs += [record[0] for record in decode_body(body)]
        seqs += [record[0] for record in batch["records"]]
    return seqs


def test_a_closed_log_uploads_every_row_once_and_is_marked_synced(
    server: ServerProcess, make_log: Callable[..., Log], make_sender: Callable[..., Sender]
) -> None:
    log = make_log("closed")
    log.append("config", {"update": {"lr": 0.1}, "remove": []})
    log.rows(3000)
    log.finish()
    sender = make_sender(log, server.url, live=False)

    assert sender.run_to_completion(timeout=30)

    assert sender.state.synced and sender.pending_bytes() == 0
    on_disk = SyncState.load(log.run_dir)
    assert on_disk.synced and on_disk.base_url == server.url
    assert on_disk.acked_seq == log.last_seq
    assert on_disk.offset == log.path.stat().st_size
    assert stored_rows(server, "closed") == expected_rows(range(3000))
    info = run_info(server, "closed")
    assert (info["state"], info["acked_seq"], info["config"]) == (
        "finished",
        log.last_seq,
        {"lr": 0.1},
    )


def test_an_offline_run_and_its_files_upload_as_the_run_recorded_them(
    server: ServerProcess, make_sender: Callable[..., Sender]
) -> None:
    Path("notes.txt").write_text("kept with the run")
    run = nbrun.init(project=PROJECT, mode="offline", config={"layers": 3}, settings=QUIET)
    run.save("notes.txt", policy="end")
    for step in range(200):
        run.log({"loss": loss(step)})
    run.finish()
    log_path = Path(run.status().log_path or "")
    run_dir = log_path.parent
    client = BackendClient(Backend(server.url, TOKEN))
    address = RunAddress(run.entity, run.project, run.id)
    sender = Sender(run_dir, log_path, address, client, live=False)

    try:
        assert sender.run_to_completion(timeout=30)
    finally:
        client.close()

    remote = nbrun.Api(base_url=server.url, api_key=TOKEN).run(run.path)
    assert remote.state == "finished" and remote.config == {"layers": 3}
    history = remote.history(pandas=False)
    assert [(row["_step"], row["loss"]) for row in history] == expected_rows(range(200))
    local_files = {
        p.relative_to(run_dir / "files").as_posix(): p.read_bytes()
        for p in (run_dir / "files").rglob("*")
        if p.is_file()
    }
    assert "notes.txt" in local_files
    uploaded = {f.name: f for f in remote.files()}
    assert set(uploaded) == set(local_files)
    assert remote.file("notes.txt").download(root="dl").read_text() == "kept with the run"


def test_a_current_server_gets_the_log_frames_as_written_and_nothing_twice(
    server: ServerProcess,
    make_log: Callable[..., Log],
    make_sender: Callable[..., Sender],
    proxy_factory: Callable[..., ForwardingProxy],
) -> None:
    proxy = proxy_factory(server.port)
    log = make_log("frames")
    log.rows(500)
    log.finish()

    assert make_sender(log, proxy.url, live=False).run_to_completion(timeout=30)

    batches = proxy.batches()
    assert batches and all(batch["frames"] and not batch["records"] for batch in batches)
    assert posted_seqs(batches) == list(range(1, log.last_seq + 1))
    assert stored_rows(server, "frames") == expected_rows(range(500))


def test_a_sender_started_again_resumes_from_sync_json_without_resending(
    server: ServerProcess,
    make_log: Callable[..., Log],
    make_sender: Callable[..., Sender],
    proxy_factory: Callable[..., ForwardingProxy],
) -> None:
    proxy = proxy_factory(server.port)
    log = make_log("resumed")
    log.rows(100)
    first = make_sender(log, proxy.url)
    first.start()
    wait_for(lambda: acked_seq(server, "resumed") == log.last_seq, "the first part acknowledged")
    wait_for(lambda: SyncState.load(log.run_dir).acked_seq == log.last_seq, "sync.json saved")
    first.stop()
    sent_before = len(proxy.batches())
    first_part = log.last_seq

    log.rows(50)
    log.finish()
    second = make_sender(log, proxy.url, live=False)
    assert second.state.offset == SyncState.load(log.run_dir).offset > 0
    assert second.run_to_completion(timeout=30)

    resent = posted_seqs(proxy.batches()[sent_before:])
    assert resent == list(range(first_part + 1, log.last_seq + 1))
    assert stored_rows(server, "resumed") == expected_rows(range(150))
    info = run_info(server, "resumed")
    assert (info["acked_seq"], info["history_rows"], info["state"]) == (
        log.last_seq,
        150,
        "finished",
    )


def test_a_backend_killed_and_restarted_on_its_port_gets_every_row_exactly_once(
    server: ServerProcess, make_log: Callable[..., Log], make_sender: Callable[..., Sender]
) -> None:
    said: list[str] = []
    log = make_log("outage")
    sender = make_sender(log, server.url, on_problem=said.append)
    sender.start()
    log.rows(3000)
    server.kill()  # likely mid-upload: an answer may be lost
    log.rows(2000)
    wait_for(lambda: any("cannot upload" in m for m in said), "the outage reported")
    assert "backend unreachable" in (sender.last_error or "")
    assert "the records wait on disk" in said[0]
    assert not sender.rejected

    server.start()
    log.rows(1000)
    log.finish()
    sender.close_log()
    assert sender.wait(60), sender.last_error

    assert any("answers again" in m for m in said)
    assert sender.state.synced and sender.last_error is None
    assert stored_rows(server, "outage") == expected_rows(range(6000))
    assert run_info(server, "outage")["acked_seq"] == log.last_seq


def test_set_deadline_ends_requests_to_a_silent_backend_by_the_deadline(
    make_log: Callable[..., Log], make_sender: Callable[..., Sender]
) -> None:
    log = make_log("silent")
    log.rows(10)
    log.finish()
    with socket.socket() as listener:  # accepts connections, never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        sender = make_sender(log, f"http://127.0.0.1:{listener.getsockname()[1]}", live=False)
        deadline = time.monotonic() + 0.5
        sender.set_deadline(deadline)
        sender.close_log()
        sender.start()

        wait_for(lambda: sender.last_error is not None, "a failed request", timeout=5)
        assert time.monotonic() < deadline + 1.0
        assert "backend unreachable" in (sender.last_error or "")
        started = time.monotonic()
        sender.stop(timeout=5)
        assert time.monotonic() - started < 1.0  # no request holds the thread past the deadline

    assert not sender.wait(0)
    state = SyncState.load(log.run_dir)
    assert not state.synced and state.acked_seq == 0  # everything waits on disk


def test_refused_records_are_counted_and_summarised_and_the_rest_stored(
    server: ServerProcess, make_log: Callable[..., Log], make_sender: Callable[..., Sender]
) -> None:
    said: list[str] = []
    log = make_log("refusals")
    log.rows(10)
    bogus_seq = log.last_seq + 1
    log.append("bogus", {"x": 1})  # refused among good records: a 200 naming it
    log.rows(10)
    sender = make_sender(log, server.url, on_problem=said.append)
    sender.start()
    wait_for(lambda: acked_seq(server, "refusals") == log.last_seq, "the first records")

    alone_seq = log.last_seq + 1
    log.append("history", {"_step": -5, "loss": 0.0})  # refused alone: a 422 with the ack
    wait_for(lambda: acked_seq(server, "refusals") == alone_seq, "the refused record acked")
    log.rows(10)
    log.finish()
    sender.close_log()
    assert sender.wait(30), sender.last_error

    assert not sender.rejected and sender.state.synced
    assert sender.state.refused_count == 2
    assert [(r["seq"], r["kind"]) for r in sender.state.refused] == [
        (bogus_seq, "bogus"),
        (alone_seq, "history"),
    ]
    summary = sender.refusal_summary()
    assert summary.startswith("the backend refused 2 record(s)")
    assert f"record {bogus_seq} (bogus): unknown record kind" in summary
    assert f"record {alone_seq} (history): _step" in summary
    assert sum("refused 1 record(s)" in m for m in said) == 2
    on_disk = SyncState.load(log.run_dir)
    assert (on_disk.refused_count, on_disk.refused) == (2, sender.state.refused)
    assert stored_rows(server, "refusals") == expected_rows(range(30))
    assert run_info(server, "refusals")["refused_records"] == 2


def test_files_upload_while_the_run_goes_on_and_end_policy_files_only_at_the_end(
    server: ServerProcess, make_log: Callable[..., Log], make_sender: Callable[..., Sender]
) -> None:
    log = make_log("files")
    policies = [
        {"path": "final.bin", "policy": "end"},
        {"path": "now.txt", "policy": "now"},
        {"path": "sub/live.txt", "policy": "live"},
    ]
    log.append("files", {"files": policies})
    files = log.run_dir / "files"
    (files / "sub").mkdir(parents=True)
    (files / "final.bin").write_bytes(b"\x00final")
    (files / "now.txt").write_text("now")
    (files / "sub" / "live.txt").write_text("live v1")
    sender = make_sender(log, server.url)
    sender.start()

    wait_for(lambda: "sub/live.txt" in server_files(server, "files"), "the live file")
    # One scan handles every file: final.bin came first and was held back.
    assert server_files(server, "files") == {"now.txt": b"now", "sub/live.txt": b"live v1"}

    (files / "sub" / "live.txt").write_text("live v2, longer")
    log.rows(5)
    log.finish()
    sender.close_log()
    assert sender.wait(30), sender.last_error

    assert server_files(server, "files") == {
        "final.bin": b"\x00final",
        "now.txt": b"now",
        "sub/live.txt": b"live v2, longer",
    }
    assert set(SyncState.load(log.run_dir).uploaded) == {"final.bin", "now.txt", "sub/live.txt"}


def strip_frames(request: ProxiedRequest) -> ProxiedRequest:
    """What a server older than the ``frames`` field makes of a batch: it never reads them."""
    if request.method != "POST" or not request.path.endswith("/records"):
        return request
    batch = decode_batch_body(request)
    batch.pop("frames", None)
    body = msgpack.packb(batch, use_bin_type=True)
    headers = {k: v for k, v in request.headers.items() if k.lower() != "content-encoding"}
    return ProxiedRequest(request.method, request.path, headers, body)


def test_a_server_that_ignores_frames_gets_decoded_records_and_every_row_once(
    server: ServerProcess,
    make_log: Callable[..., Log],
    make_sender: Callable[..., Sender],
    proxy_factory: Callable[..., ForwardingProxy],
) -> None:
    old_server = proxy_factory(server.port, strip_frames)
    log = make_log("old-server")
    log.append("config", {"update": {"lr": 0.5}, "remove": []})
    log.rows(1000)
    log.finish()

    assert make_sender(log, old_server.url, live=False).run_to_completion(timeout=30)

    first, *rest = old_server.batches()
    assert first["frames"] and not first["records"]  # applied as nothing: acked short
    assert rest and all("frames" not in batch for batch in rest)
    assert posted_seqs(rest) == list(range(1, log.last_seq + 1))
    assert stored_rows(server, "old-server") == expected_rows(range(1000))
    info = run_info(server, "old-server")
    assert (info["acked_seq"], info["state"], info["config"]) == (
        log.last_seq,
        "finished",
        {"lr": 0.5},
    )


def test_a_log_started_apart_from_the_backend_uploads_after_the_backends_records(
    server: ServerProcess, make_log: Callable[..., Log], make_sender: Callable[..., Sender]
) -> None:
    earlier = make_log("shared-id", start_time=1_000.0)
    earlier.rows(3)
    earlier.append("exit", {"exit_code": 0, "time": 1_001.0, "runtime": 1.0, "summary": {}})
    assert make_sender(earlier, server.url, live=False).run_to_completion(timeout=30)
    backend_seq = earlier.last_seq

    # Another session of the same id that could not ask the backend first.
    later = make_log("shared-id", start_time=2_000.0)
    later.rows(5)
    later.finish()
    assert make_sender(later, server.url, live=False).run_to_completion(timeout=30)

    state = SyncState.load(later.run_dir)
    assert state.reconciled
    assert (state.seq_offset, state.step_offset) == (backend_seq, 3)
    assert state.acked_seq == backend_seq + later.last_seq
    steps_and_losses = stored_rows(server, "shared-id")
    assert [step for step, _ in steps_and_losses] == list(range(8))
    assert [value for _, value in steps_and_losses] == [loss(s) for s in (*range(3), *range(5))]
    info = run_info(server, "shared-id")
    assert (info["acked_seq"], info["state"], info["resumed"]) == (
        backend_seq + later.last_seq,
        "finished",
        True,
    )


def test_a_log_uploaded_again_after_losing_sync_json_is_not_shifted_or_duplicated(
    server: ServerProcess, make_log: Callable[..., Log], make_sender: Callable[..., Sender]
) -> None:
    log = make_log("again")
    log.rows(40)
    log.finish()
    assert make_sender(log, server.url, live=False).run_to_completion(timeout=30)
    assert (SyncState.load(log.run_dir).seq_offset, SyncState.load(log.run_dir).reconciled) == (
        0,
        True,
    )

    (log.run_dir / STATE_FILE).unlink()
    assert make_sender(log, server.url, live=False).run_to_completion(timeout=30)

    state = SyncState.load(log.run_dir)
    assert (state.seq_offset, state.step_offset, state.acked_seq) == (0, 0, log.last_seq)
    assert stored_rows(server, "again") == expected_rows(range(40))
    assert run_info(server, "again")["acked_seq"] == log.last_seq


def test_a_log_synced_to_one_backend_uploads_in_full_to_another(
    server: ServerProcess,
    make_log: Callable[..., Log],
    make_sender: Callable[..., Sender],
    tmp_path: Path,
) -> None:
    log = make_log("moved")
    log.rows(60)
    log.finish()
    assert make_sender(log, server.url, live=False).run_to_completion(timeout=30)

    (tmp_path / "other").mkdir()
    other = ServerProcess(tmp_path / "other")
    other.start()
    try:
        sender = make_sender(log, other.url, live=False)
        assert sender.state.acked_seq == 0  # the other backend has seen none of it
        assert sender.run_to_completion(timeout=30)
        assert stored_rows(other, "moved") == expected_rows(range(60))
        assert SyncState.load(log.run_dir).base_url == other.url
    finally:
        other.stop()


def test_a_backend_that_refuses_the_key_stops_the_sender_and_the_records_wait(
    server: ServerProcess, make_log: Callable[..., Log], make_sender: Callable[..., Sender]
) -> None:
    log = make_log("refused-key")
    log.rows(20)
    log.finish()
    wrong = make_sender(log, server.url, token="a-key-this-server-never-issued", live=False)
    wrong.close_log()
    wrong.start()

    wait_for(lambda: wrong.rejected, "the sender stopped on the refusal", timeout=10)
    assert "401" in (wrong.last_error or "")
    state = SyncState.load(log.run_dir)
    assert not state.synced and state.acked_seq == 0

    assert make_sender(log, server.url, live=False).run_to_completion(timeout=30)
    assert stored_rows(server, "refused-key") == expected_rows(range(20))


def test_run_to_completion_returns_at_once_when_the_backend_refuses_the_key(
    server: ServerProcess, make_log: Callable[..., Log], make_sender: Callable[..., Sender]
) -> None:
    log = make_log("refused-at-once")
    log.rows(5)
    log.finish()
    sender = make_sender(log, server.url, token="a-key-this-server-never-issued", live=False)

    started = time.monotonic()
    assert not sender.run_to_completion(timeout=4)
    assert sender.rejected
    assert time.monotonic() - started < 2.0


def test_a_file_the_backend_refuses_does_not_stop_the_records_after_it(
    server: ServerProcess, make_log: Callable[..., Log], make_sender: Callable[..., Sender]
) -> None:
    log = make_log("bad-file")
    log.rows(5)
    (log.run_dir / "files").mkdir()
    (log.run_dir / "files" / "a\\b.txt").write_text("written into run.dir by the user")
    sender = make_sender(log, server.url)
    sender.start()
    wait_for(lambda: acked_seq(server, "bad-file") == log.last_seq, "the first rows")

    log.rows(5)
    log.finish()
    sender.close_log()

    wait_for(lambda: len(stored_rows(server, "bad-file")) == 10, "the later rows", timeout=8)
    assert not sender.rejected


def test_a_sync_json_from_before_reconciliation_resumes_without_shifting(
    server: ServerProcess, make_log: Callable[..., Log], make_sender: Callable[..., Sender]
) -> None:
    log = make_log("legacy-state")
    log.rows(10)
    first = make_sender(log, server.url)
    first.start()
    wait_for(lambda: SyncState.load(log.run_dir).acked_seq == log.last_seq, "the first part")
    first.stop()
    saved = SyncState.load(log.run_dir)
    legacy = {"offset": saved.offset, "acked_seq": saved.acked_seq, "base_url": saved.base_url}
    (log.run_dir / STATE_FILE).write_bytes(orjson.dumps(legacy))
    log.rows(5)
    log.finish()

    assert make_sender(log, server.url, live=False).run_to_completion(timeout=30)

    assert stored_rows(server, "legacy-state") == expected_rows(range(15))
    assert run_info(server, "legacy-state")["acked_seq"] == log.last_seq


@pytest.fixture
def writer_process() -> Iterator[subprocess.Popen[bytes]]:
    """A process standing for a run's writer (a kernel), for the test to end."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    yield process
    stop_process(process)


def upload_live_part(server: ServerProcess, log: Log, make_sender: Callable[..., Sender]) -> None:
    """What the run's own (live) sender uploaded before the run stopped: heartbeats included."""
    live = make_sender(log, server.url)
    live.start()
    wait_for(lambda: acked_seq(server, log.run_id) == log.last_seq, "the live upload")
    live.stop()
    assert run_info(server, log.run_id)["state"] == "running"


def test_a_log_whose_writer_died_on_this_host_is_reported_crashed(
    server: ServerProcess,
    make_log: Callable[..., Log],
    make_sender: Callable[..., Sender],
    writer_process: subprocess.Popen[bytes],
) -> None:
    log = make_log("died", pid=writer_process.pid)
    log.rows(10)
    upload_live_part(server, log, make_sender)
    writer_process.kill()
    writer_process.wait()
    log.writer.close()  # all it wrote; no exit record

    replay = make_sender(log, server.url, live=False)
    assert replay.run_to_completion(timeout=30)

    assert replay.state.crash_reported and SyncState.load(log.run_dir).crash_reported
    info = run_info(server, "died")
    assert (info["state"], info["acked_seq"]) == ("crashed", log.last_seq)
    assert stored_rows(server, "died") == expected_rows(range(10))


@pytest.mark.parametrize("writer", ["alive on this host", "on another host"])
def test_a_log_whose_writer_may_still_run_is_not_reported_crashed(
    server: ServerProcess,
    make_log: Callable[..., Log],
    make_sender: Callable[..., Sender],
    writer_process: subprocess.Popen[bytes],
    writer: str,
) -> None:
    if writer == "alive on this host":
        log = make_log("maybe-alive", pid=writer_process.pid)
    else:
        log = make_log("maybe-alive", host="another-machine", pid=2**22 + 1)  # no such pid
    log.rows(10)
    upload_live_part(server, log, make_sender)
    log.writer.close()

    replay = make_sender(log, server.url, live=False)
    assert replay.run_to_completion(timeout=30)

    assert not replay.state.crash_reported
    assert run_info(server, "maybe-alive")["state"] == "running"
