"""The HTTP client (`nbrun.sync.client`) against a real `nbrun server` on loopback: what each
answer of the server becomes (an acknowledgement, or which error), compression, time bounds,
files, msgpack reads and read tokens."""

from __future__ import annotations

import math
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest

import nbrun
from nbrun.apis.remote_run import logged_values
from nbrun.errors import CommError
from nbrun.protocol import http as http_api
from nbrun.record.framing import FRAME_HEAD_SIZE, encode_frame
from nbrun.sync.client import (
    Backend,
    BackendClient,
    GapError,
    NotFoundError,
    RejectedError,
    is_loopback,
)
from tests.sync.conftest import (
    TOKEN,
    ForwardingProxy,
    ProxiedRequest,
    ServerProcess,
    decode_batch_body,
    free_port,
)

ENTITY, PROJECT = "me", "client"


@pytest.fixture
def client(server: ServerProcess) -> Iterator[BackendClient]:
    client = BackendClient(Backend(server.url, TOKEN))
    yield client
    client.close()


def frame_body(first_seq: int, entries: list[tuple[str, Any]]) -> bytes:
    """A record-log frame body, as the record writer frames records."""
    return encode_frame(first_seq, entries)[FRAME_HEAD_SIZE:]


def run_record(run_id: str) -> dict[str, Any]:
    return {"id": run_id, "entity": ENTITY, "project": PROJECT, "name": run_id, "host": "elsewhere"}


def history(first_seq: int, steps: Iterable[int]) -> list[list[Any]]:
    """``[seq, "history", row]`` records numbered from ``first_seq``, one per step."""
    return [
        [first_seq + n, "history", {"_step": step, "loss": float(step)}]
        for n, step in enumerate(steps)
    ]


def stored_rows(server: ServerProcess, run_id: str) -> list[dict[str, Any]]:
    """The run's history as a user reads it back with the public API."""
    api = nbrun.Api(base_url=server.url, api_key=TOKEN)
    rows: list[dict[str, Any]] = api.run(f"{ENTITY}/{PROJECT}/{run_id}").history(pandas=False)
    return rows


def run_info(client: BackendClient, run_id: str) -> http_api.RunInfo:
    info: http_api.RunInfo = client.get_json(http_api.run_path(ENTITY, PROJECT, run_id))
    return info


def test_health_says_ok_and_the_server_version(client: BackendClient) -> None:
    health = client.health()
    assert health["status"] == "ok"
    assert health["version"] == nbrun.__version__


def test_frames_and_records_of_one_batch_are_stored_in_sequence_order(
    client: BackendClient, server: ServerProcess
) -> None:
    frames = [
        frame_body(1, [("run", run_record("r1")), ("history", {"_step": 0, "loss": 0.0})]),
        frame_body(3, [("history", {"_step": 1, "loss": 1.0})]),
    ]
    ack = client.post_records(ENTITY, PROJECT, "r1", history(4, range(2, 5)), frames=frames)

    assert ack["acked_seq"] == 6
    assert not ack.get("refused")
    assert [(r["_step"], r["loss"]) for r in stored_rows(server, "r1")] == [
        (step, float(step)) for step in range(5)
    ]
    info = run_info(client, "r1")
    assert (info["acked_seq"], info["history_rows"], info["last_step"]) == (6, 5, 4)


def test_a_batch_sent_again_is_acknowledged_without_storing_its_rows_twice(
    client: BackendClient, server: ServerProcess
) -> None:
    records = [[1, "run", run_record("again")], *history(2, range(3))]
    first = client.post_records(ENTITY, PROJECT, "again", records)
    second = client.post_records(ENTITY, PROJECT, "again", records)

    assert first["acked_seq"] == second["acked_seq"] == 4
    assert len(stored_rows(server, "again")) == 3


def test_a_loopback_url_gets_plain_batches_and_another_name_for_it_gets_gzip(
    server: ServerProcess, proxy_factory: Callable[..., ForwardingProxy]
) -> None:
    proxy = proxy_factory(server.port)
    # "127.1" reaches 127.0.0.1 but is no address the client can tell is this machine.
    plain_url, far_url = proxy.url, f"http://127.1:{proxy.port}"
    assert is_loopback(plain_url) and not is_loopback(far_url)

    for url, run_id in ((plain_url, "plain"), (far_url, "gzipped")):
        client = BackendClient(Backend(url, TOKEN))
        records = [[1, "run", run_record(run_id)], *history(2, range(100))]
        assert client.post_records(ENTITY, PROJECT, run_id, records)["acked_seq"] == 101
        client.close()

    plain, gzipped = proxy.seen
    assert "Content-Encoding" not in plain.headers
    assert gzipped.headers["Content-Encoding"] == "gzip"
    assert len(gzipped.body) < len(plain.body) / 2
    assert decode_batch_body(gzipped)["records"][1:] == decode_batch_body(plain)["records"][1:]
    assert len(stored_rows(server, "gzipped")) == len(stored_rows(server, "plain")) == 100


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://localhost:8642", True),
        ("http://127.0.0.1:8642", True),
        ("http://127.8.9.10", True),
        ("http://[::1]:8642", True),
        ("https://nbrun.example.org", False),
        ("http://10.0.0.7:8642", False),
        ("http://[2001:db8::1]:8642", False),
        ("http://127.1:8642", False),
    ],
)
def test_is_loopback_is_true_only_for_addresses_of_this_machine(url: str, loopback: bool) -> None:
    assert is_loopback(url) is loopback


def test_a_batch_past_the_acknowledged_record_raises_a_gap_error_with_the_servers_ack(
    client: BackendClient, server: ServerProcess
) -> None:
    client.post_records(ENTITY, PROJECT, "gap", [[1, "run", run_record("gap")], *history(2, [0])])

    with pytest.raises(GapError) as raised:
        client.post_records(ENTITY, PROJECT, "gap", history(5, range(1, 3)))
    assert raised.value.acked_seq == 2
    assert isinstance(raised.value, CommError)

    # Resent from acked_seq + 1, as the error asks, the rows go in.
    assert client.post_records(ENTITY, PROJECT, "gap", history(3, range(1, 5)))["acked_seq"] == 6
    assert [r["_step"] for r in stored_rows(server, "gap")] == [0, 1, 2, 3, 4]


def test_a_gap_in_a_run_the_server_does_not_know_creates_no_run(client: BackendClient) -> None:
    with pytest.raises(GapError) as raised:
        client.post_records(ENTITY, PROJECT, "never", history(3, range(2)))
    assert raised.value.acked_seq == 0
    with pytest.raises(NotFoundError):
        run_info(client, "never")


def test_a_batch_whose_every_record_is_refused_returns_the_ack_instead_of_raising(
    client: BackendClient, server: ServerProcess
) -> None:
    client.post_records(ENTITY, PROJECT, "bad", [[1, "run", run_record("bad")]])

    ack = client.post_records(
        ENTITY, PROJECT, "bad", [[2, "no-such-kind", {}], [3, "history", {"_step": -1}]]
    )

    assert ack["acked_seq"] == 3
    refused = ack.get("refused") or []
    assert [(r["seq"], r["kind"]) for r in refused] == [(2, "no-such-kind"), (3, "history")]
    assert "unknown record kind" in refused[0]["reason"]
    assert "_step" in refused[1]["reason"]
    # Final: the server moved past them, and the next records go on from there.
    assert client.post_records(ENTITY, PROJECT, "bad", history(4, [0]))["acked_seq"] == 4
    assert run_info(client, "bad")["refused_records"] == 2
    assert [r["_step"] for r in stored_rows(server, "bad")] == [0]


def test_a_refused_record_among_good_ones_is_named_and_the_others_stored(
    client: BackendClient, server: ServerProcess
) -> None:
    records = [[1, "run", run_record("mixed")], [2, "alert", {"level": "INFO"}], *history(3, [0])]

    ack = client.post_records(ENTITY, PROJECT, "mixed", records)

    assert ack["acked_seq"] == 3
    assert [(r["seq"], r["kind"]) for r in ack.get("refused") or []] == [(2, "alert")]
    assert [r["_step"] for r in stored_rows(server, "mixed")] == [0]


def test_a_malformed_batch_raises_rejected_error_with_the_servers_reason(
    client: BackendClient,
) -> None:
    with pytest.raises(RejectedError, match=r"422 .*does not follow") as raised:
        client.post_records(ENTITY, PROJECT, "holes", [[1, "run", {}], [3, "history", {}]])
    assert not isinstance(raised.value, NotFoundError)


def test_a_wrong_key_raises_rejected_error_naming_the_status(server: ServerProcess) -> None:
    client = BackendClient(Backend(server.url, "not-the-servers-token-at-all"))
    with pytest.raises(RejectedError, match="401"):
        client.post_records(ENTITY, PROJECT, "r", [[1, "run", run_record("r")]])
    with pytest.raises(RejectedError, match="401"):
        client.upload_file(ENTITY, PROJECT, "r", "a.txt", b"a")
    client.close()


def test_a_missing_run_or_file_raises_not_found_error(client: BackendClient) -> None:
    with pytest.raises(NotFoundError, match=r"404 .*not found"):
        run_info(client, "nobody")
    client.upload_file(ENTITY, PROJECT, "has-files", "here.txt", b"x")
    with pytest.raises(NotFoundError, match="404"):
        client.get_bytes(f"{http_api.run_path(ENTITY, PROJECT, 'has-files')}/files/gone.txt")


def test_a_closed_port_raises_comm_error_saying_the_backend_is_unreachable() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    client = BackendClient(Backend(url, TOKEN))
    with pytest.raises(CommError, match="backend unreachable") as raised:
        client.health()
    assert url in str(raised.value)
    assert not isinstance(raised.value, RejectedError)
    with pytest.raises(CommError, match="backend unreachable"):
        client.post_records(ENTITY, PROJECT, "r", [[1, "run", run_record("r")]])


def test_an_error_answered_by_a_gateway_is_a_comm_error_to_retry_not_a_rejection(
    proxy_factory: Callable[..., ForwardingProxy],
) -> None:
    gateway = proxy_factory(free_port())  # its backend is down: it answers 502
    client = BackendClient(Backend(gateway.url, TOKEN))
    with pytest.raises(CommError, match="502") as raised:
        client.post_records(ENTITY, PROJECT, "r", [[1, "run", run_record("r")]])
    assert not isinstance(raised.value, RejectedError)
    client.close()


@pytest.fixture
def black_hole() -> Iterator[str]:
    """A backend that accepts connections (the kernel completes them) and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def test_the_clients_timeout_bounds_a_request_to_a_backend_that_never_answers(
    black_hole: str,
) -> None:
    client = BackendClient(Backend(black_hole, TOKEN), timeout=0.5)
    started = time.monotonic()
    with pytest.raises(CommError, match="backend unreachable"):
        client.health()
    assert 0.4 <= time.monotonic() - started < 2.0


def test_a_timeout_given_to_one_request_overrides_the_clients(black_hole: str) -> None:
    client = BackendClient(Backend(black_hole, TOKEN), timeout=60.0)
    for call in (
        lambda: client.post_records(ENTITY, PROJECT, "r", [], timeout=0.3),
        lambda: client.upload_file(ENTITY, PROJECT, "r", "f.txt", b"data", timeout=0.3),
        lambda: client.get_json(f"{http_api.API_PREFIX}/projects", timeout=0.3),
    ):
        started = time.monotonic()
        with pytest.raises(CommError, match="backend unreachable"):
            call()
        assert time.monotonic() - started < 1.5


def test_an_uploaded_file_reads_back_byte_for_byte_under_its_nested_name(
    client: BackendClient,
) -> None:
    data = bytes(range(256)) * 1000
    info = client.upload_file(ENTITY, PROJECT, "files", "sub dir/weights #1.bin", data)

    assert info["path"] == "sub dir/weights #1.bin"
    assert info["size"] == len(data)
    base = http_api.run_path(ENTITY, PROJECT, "files")
    listed = client.get_json(f"{base}/files")["files"]
    assert [(f["path"], f["size"], f["sha256"]) for f in listed] == [
        (info["path"], len(data), info["sha256"])
    ]
    assert client.get_bytes(f"{base}/files/sub%20dir/weights%20%231.bin") == data

    replaced = client.upload_file(ENTITY, PROJECT, "files", "sub dir/weights #1.bin", b"v2")
    assert replaced["size"] == 2
    assert client.get_bytes(f"{base}/files/sub%20dir/weights%20%231.bin") == b"v2"


def nonfinite_run(client: BackendClient) -> str:
    """A run whose one row holds NaN, the infinities, and a string spelled like NaN."""
    row = {"_step": 0, "x": math.nan, "y": math.inf, "z": -math.inf, "s": "NaN"}
    records = [[1, "run", run_record("nan")], [2, "history", row]]
    client.post_records(ENTITY, PROJECT, "nan", records)
    return f"{http_api.run_path(ENTITY, PROJECT, 'nan')}/history/rows"


def test_get_json_reads_nan_and_infinities_exactly_over_msgpack(client: BackendClient) -> None:
    [row] = client.get_json(nonfinite_run(client))["rows"]

    assert math.isnan(row["x"]) and row["y"] == math.inf and row["z"] == -math.inf
    assert row["s"] == "NaN"  # msgpack tells the string from the float


def test_get_json_restores_nan_through_a_gateway_that_only_speaks_json(
    client: BackendClient, server: ServerProcess, proxy_factory: Callable[..., ForwardingProxy]
) -> None:
    path = nonfinite_run(client)

    def json_only(request: ProxiedRequest) -> ProxiedRequest:
        return ProxiedRequest(
            request.method, request.path, {**request.headers, "Accept": "application/json"}, b""
        )

    gateway = BackendClient(Backend(proxy_factory(server.port, json_only).url, TOKEN))
    answer = gateway.get_json(path, json_values=lambda page: logged_values(page))
    [row] = answer["rows"]

    assert math.isnan(row["x"]) and row["y"] == math.inf and row["z"] == -math.inf
    # Without json_values the JSON spellings come back as they are.
    [raw] = gateway.get_json(path)["rows"]
    assert (raw["x"], raw["y"], raw["z"]) == ("NaN", "Infinity", "-Infinity")
    gateway.close()


def test_a_read_token_reads_its_own_run_only_and_cannot_write(
    client: BackendClient, server: ServerProcess
) -> None:
    for run_id in ("mine", "other"):
        client.post_records(ENTITY, PROJECT, run_id, [[1, "run", run_record(run_id)]])
    token = client.read_token(ENTITY, PROJECT, "mine")
    assert token and token != TOKEN

    reader = BackendClient(Backend(server.url, token))
    assert run_info(reader, "mine")["id"] == "mine"
    with pytest.raises(RejectedError, match="403"):
        run_info(reader, "other")
    with pytest.raises(RejectedError, match=r"403 .*read-only"):
        reader.post_records(ENTITY, PROJECT, "mine", history(2, [0]))
    with pytest.raises(RejectedError, match="403"):
        reader.read_token(ENTITY, PROJECT, "mine")
    reader.close()
    assert stored_rows(server, "mine") == []
