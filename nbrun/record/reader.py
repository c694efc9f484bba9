"""Reads a record log back, streaming frame by frame and stopping at a torn or corrupt tail."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from nbrun.record.framing import (
    FRAME_HEAD,
    FRAME_HEAD_SIZE,
    HEADER_SIZE,
    MAX_FRAME_BODY,
    check_header,
    decode_body,
)

_READ_BUFFER = 1 << 20


class RecordLogReader:
    """Iterates ``[seq, kind, payload]`` records of one log file, in order.

    After a full iteration, ``valid_end`` is the offset just past the last intact frame,
    ``last_seq`` the last sequence number read, and ``torn`` tells whether bytes after
    ``valid_end`` were ignored (a crash mid-write, or corruption).
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.valid_end = HEADER_SIZE
        self.last_seq = 0
        self.torn = False

    def __iter__(self) -> Iterator[list[Any]]:
        with open(self.path, "rb", buffering=_READ_BUFFER) as f:
            check_header(f.read(HEADER_SIZE), self.path)
            offset = HEADER_SIZE
            while True:
                head = f.read(FRAME_HEAD_SIZE)
                if len(head) < FRAME_HEAD_SIZE:
                    self.torn = bool(head)
                    return
                length, crc = FRAME_HEAD.unpack(head)
                body = f.read(length) if length <= MAX_FRAME_BODY else b""
                if len(body) != length or zlib.crc32(body) != crc:
                    self.torn = True
                    return
                try:
                    records = decode_body(body)
                except ValueError:
                    self.torn = True
                    return
                offset += FRAME_HEAD_SIZE + length
                self.valid_end = offset
                for record in records:
                    self.last_seq = record[0]
                    yield record
