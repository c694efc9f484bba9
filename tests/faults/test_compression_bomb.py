"""Oversized and compressed-bomb request bodies cost the server little memory (issue 11, item 8).

1 GB of zeros gzipped to ~1 MB used to be inflated whole before the 413 (peak RSS 1.1 GB, 0.6 GB
kept afterwards); a valid batch holding a 600 MB string peaked at 1.6 GB. Now the ingest route
inflates as a stream and stops at ``MAX_BATCH_BYTES``, and file uploads stream to disk. The
server's own memory is read from ``/proc/<pid>/status`` (VmRSS now, VmHWM the peak, reset before
each request through ``/proc/<pid>/clear_refs``).
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import time
import urllib.parse
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

import msgpack
import orjson
import pytest

from nbrun.protocol.limits import MAX_BATCH_BYTES
from tests.server.conftest import Server, assert_no_server_errors, start_server

MB = 1 << 20
PEAK_ALLOWANCE = 150 * MB  # over the baseline, while a refused request is read
AFTER_ALLOWANCE = 50 * MB  # over the baseline, once it was refused
ANSWER_WITHIN = 15.0  # seconds: "quickly" for a few megabytes read and refused
PIECE = 256 << 10
RUN = "/api/v1/runs/e/p/bomb"


def memory(pid: int) -> tuple[int, int]:
    """The process's (current, peak) resident set size in bytes."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) * 1024
    return fields["VmRSS"], fields["VmHWM"]


def reset_peak(pid: int) -> None:
    # Linux >= 4.0: VmHWM back to the current RSS, so the peak is this request's own.
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/clear_refs").write_text("5")


def repeated(byte: bytes, size: int) -> Iterator[bytes]:
    """``size`` bytes of ``byte`` in pieces: the test never holds the whole body."""
    piece = byte * PIECE
    for start in range(0, size, PIECE):
        yield piece[: min(PIECE, size - start)]


def gzipped(pieces: Iterable[bytes]) -> Iterator[bytes]:
    deflate = zlib.compressobj(6, zlib.DEFLATED, 31)
    for piece in pieces:
        out = deflate.compress(piece)
        if out:
            yield out
    yield deflate.flush()


def huge_string_batch(size: int) -> Iterator[bytes]:
    """A valid msgpack batch: one history record whose value ``s`` is a ``size``-byte string."""
    head = b"\x81" + msgpack.packb("records") + b"\x91"  # {"records": [one record]}
    head += b"\x93" + msgpack.packb(1) + msgpack.packb("history")  # [seq, kind, payload]
    head += b"\x82" + msgpack.packb("_step") + msgpack.packb(0)
    head += msgpack.packb("s") + b"\xdb" + struct.pack(">I", size)
    yield head
    yield from repeated(b"a", size)


def test_the_huge_string_batch_is_valid_msgpack() -> None:
    body = b"".join(huge_string_batch(5))
    assert msgpack.unpackb(body) == {"records": [[1, "history", {"_step": 0, "s": "aaaaa"}]]}


def post(
    server: Server,
    path: str,
    body: Iterable[bytes],
    *,
    length: int | None,
    gzip: bool = False,
    method: str = "POST",
    content_type: str = "application/msgpack",
) -> tuple[int, bytes, float]:
    """Send ``body`` on a raw socket (with Content-Length ``length``, else chunked), stopping
    as soon as the server answers; returns (status, response body, seconds until the answer)."""
    url = urllib.parse.urlsplit(server.url)
    assert url.hostname is not None and url.port is not None
    headers = [
        f"{method} {path} HTTP/1.1",
        f"Host: {url.netloc}",
        f"Authorization: Bearer {server.token}",
        f"Content-Type: {content_type}",
        "Connection: close",
    ]
    headers.append(
        f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    )
    if gzip:
        headers.append("Content-Encoding: gzip")
    started = time.monotonic()
    with socket.create_connection((url.hostname, url.port), timeout=60) as sock:
        sock.sendall(("\r\n".join(headers) + "\r\n\r\n").encode())
        answered = False
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            for piece in body:
                readable, writable, _ = select.select([sock], [sock], [], 60)
                if readable:
                    answered = True  # the server answered before the body ended
                    break
                assert writable, "the server neither reads the body nor answers"
                sock.sendall(piece if length is not None else b"%x\r\n%b\r\n" % (len(piece), piece))
            if not answered and length is None:
                sock.sendall(b"0\r\n\r\n")
        response = b""
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(1 << 16):
                response += chunk
                if b"\r\n\r\n" in response and _complete(response):
                    break
    elapsed = time.monotonic() - started
    head, _, payload = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 "), response[:200]
    return int(head.split()[1]), payload, elapsed


def _complete(response: bytes) -> bool:
    head, _, payload = response.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(payload) >= int(value)
    return False


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    started = start_server(tmp_path_factory.mktemp("bomb-server"))
    # Warm up the paths the requests take, so the baseline is the server's steady size.
    assert started.post_records("e/p/warm", [[1, "history", {"v": 1.0, "_step": 0}]]).ok
    assert started.post_records("e/p/warm", [[2, "history", {"_step": 1}]], compress=True).ok
    yield started
    started.stop()
    assert_no_server_errors(started)


@pytest.fixture(scope="module")
def zeros_bomb() -> bytes:
    """1 GB of zeros, gzipped (about 1 MB)."""
    return b"".join(gzipped(repeated(b"\0", 1 << 30)))


def assert_bounded(server: Server, baseline: int) -> None:
    now, peak = memory(server.proc.pid)
    assert peak < baseline + PEAK_ALLOWANCE, (
        f"peak RSS {peak / MB:.0f} MB, {baseline / MB:.0f} MB before"
    )
    assert now < baseline + AFTER_ALLOWANCE, (
        f"RSS {now / MB:.0f} MB after, {baseline / MB:.0f} MB before"
    )


def test_a_gzip_bomb_is_refused_quickly_without_inflating_it(
    server: Server, zeros_bomb: bytes
) -> None:
    assert len(zeros_bomb) < 2 * MB
    baseline, _ = memory(server.proc.pid)
    reset_peak(server.proc.pid)
    pieces = [zeros_bomb[i : i + PIECE] for i in range(0, len(zeros_bomb), PIECE)]
    status, payload, elapsed = post(
        server, RUN + "/records", pieces, length=len(zeros_bomb), gzip=True
    )
    assert status == 413 and f"larger than {MAX_BATCH_BYTES} bytes" in payload.decode(), payload
    assert elapsed < ANSWER_WITHIN
    assert_bounded(server, baseline)
    assert server.run_get("e/p/bomb").status_code == 404  # nothing was stored


@pytest.mark.parametrize("way", ["content-length", "chunked", "gzip"])
def test_a_batch_holding_a_600_mb_string_is_refused_in_bounded_memory(
    server: Server, way: str
) -> None:
    size = 600 * MB
    body: Iterable[bytes] = huge_string_batch(size)
    length: int | None = sum(len(piece) for piece in huge_string_batch(0)) + size
    if way != "content-length":
        length = None
    if way == "gzip":
        body = gzipped(body)
    baseline, _ = memory(server.proc.pid)
    reset_peak(server.proc.pid)
    status, payload, elapsed = post(
        server, RUN + "/records", body, length=length, gzip=way == "gzip"
    )
    assert status == 413 and f"larger than {MAX_BATCH_BYTES} bytes" in payload.decode(), payload
    assert elapsed < ANSWER_WITHIN
    assert_bounded(server, baseline)
    assert server.run_get("e/p/bomb").status_code == 404


@pytest.mark.parametrize("way", ["content-length", "chunked"])
def test_a_large_file_upload_streams_to_disk(server: Server, way: str) -> None:
    size = 400 * MB
    baseline, _ = memory(server.proc.pid)
    reset_peak(server.proc.pid)
    status, payload, _ = post(
        server,
        f"/api/v1/runs/e/p/files/files/big-{way}.bin",
        repeated(b"z", size),
        length=size if way == "content-length" else None,
        method="PUT",
        content_type="application/octet-stream",
    )
    assert status == 200 and orjson.loads(payload)["size"] == size, payload
    assert_bounded(server, baseline)
    listed = server.run_get("e/p/files", "/files").json()["files"]
    assert {f["path"]: f["size"] for f in listed}[f"big-{way}.bin"] == size
