"""Reads a record log back, streaming frame by frame and stopping at a torn or corrupt tail."""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from nbrun.record import types as kinds
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
    """Iterates ``[seq, kind, payload]`` records of one log file, in order, from
    ``start_offset`` (a frame boundary from an earlier ``valid_end``; default: the start).

    After a full iteration, ``valid_end`` is the offset just past the last intact frame,
    ``last_seq`` the last sequence number read, and ``torn`` tells whether bytes after
    ``valid_end`` were ignored: a crash mid-write, corruption, or (in a log still being
    written) a frame not yet complete.
    """

    def __init__(self, path: Path | str, start_offset: int = HEADER_SIZE) -> None:
        self.path = Path(path)
        self.start_offset = max(start_offset, HEADER_SIZE)
        self.valid_end = self.start_offset
        self.last_seq = 0
        self.torn = False

    def __iter__(self) -> Iterator[list[Any]]:
        for _end, records in self.frames():
            yield from records

    def frames(self) -> Iterator[tuple[int, list[list[Any]]]]:
        """Each intact frame's records with the offset just past it."""
        for offset, body in self.frame_bodies():
            try:
                records = decode_body(body)
            except ValueError:
                self.torn = True
                self.valid_end = offset - FRAME_HEAD_SIZE - len(body)  # it ends before this frame
                return
            if records:
                self.last_seq = records[-1][0]
            yield offset, records

    def frame_bodies(self) -> Iterator[tuple[int, bytes]]:
        """Each intact frame's body, undecoded (CRC checked), with the offset just past it: what
        the sender uploads as it is."""
        with open(self.path, "rb", buffering=_READ_BUFFER) as f:
            check_header(f.read(HEADER_SIZE), self.path)
            offset = self.start_offset
            f.seek(offset)
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
                offset += FRAME_HEAD_SIZE + length
                self.valid_end = offset
                yield offset, body


@dataclasses.dataclass
class LogEnding:
    """How a record log ends: the last session's run record, and whether an exit follows it."""

    run: dict[str, Any] | None = None
    exited: bool = False


# How msgpack writes the kinds "run" and "exit": frames without them are not decoded.
_RUN_MARK = b"\xa3" + kinds.RUN.encode()
_EXIT_MARK = b"\xa4" + kinds.EXIT.encode()


def log_ending(path: Path | str) -> LogEnding:
    """Read how the log ends (cheaply: only frames that may hold a run or exit record are
    decoded). A log whose last session has no exit record was left by a crash, or is still
    being written."""
    ending = LogEnding()
    reader = RecordLogReader(path)
    for _end, body in reader.frame_bodies():
        if _RUN_MARK not in body and _EXIT_MARK not in body:
            continue
        try:
            records = decode_body(body)
        except ValueError:
            break
        for _seq, kind, payload in records:
            if kind == kinds.RUN and isinstance(payload, dict):
                ending = LogEnding(dict(payload), False)
            elif kind == kinds.EXIT:
                ending.exited = True
    return ending
