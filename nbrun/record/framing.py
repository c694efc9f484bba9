"""The record log's byte format: a file header, then CRC-checked frames of msgpack records.

File layout::

    b"NBRUNLOG" + version byte + 7 reserved bytes
    frame*  where frame = u32 little-endian body length, u32 CRC32 of body, body

A frame body is the msgpack array ``[first_seq, [[kind, payload], ...]]``: a batch of records
whose sequence numbers run on from ``first_seq`` (see :mod:`nbrun.record.types`). Batching
keeps the writer's per-row cost low (the queue's entries are encoded as they are); the CRC
makes a torn or corrupted tail detectable, so readers stop at the last intact frame.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from typing import Any

import msgpack

MAGIC = b"NBRUNLOG"
FORMAT_VERSION = 1
HEADER = MAGIC + bytes([FORMAT_VERSION]) + bytes(7)
HEADER_SIZE = len(HEADER)
FRAME_HEAD = struct.Struct("<II")
FRAME_HEAD_SIZE = FRAME_HEAD.size
# A frame larger than this is treated as corruption: no writer produces one.
MAX_FRAME_BODY = 1 << 30


class CorruptLogError(ValueError):
    """The file is not a record log (bad header) or an intact frame failed to decode."""


def encode_frame(first_seq: int, entries: Sequence[Sequence[Any]]) -> bytes:
    """Frame a batch of ``(kind, payload)`` entries numbered from ``first_seq``."""
    body = msgpack.packb((first_seq, entries), use_bin_type=True)
    return FRAME_HEAD.pack(len(body), zlib.crc32(body)) + body


def check_header(head: bytes, path: object = "<log>") -> None:
    """Raise :class:`CorruptLogError` unless ``head`` is a record-log header we can read."""
    if len(head) < HEADER_SIZE or not head.startswith(MAGIC):
        raise CorruptLogError(f"{path}: not an nbrun record log (bad header)")
    if head[len(MAGIC)] > FORMAT_VERSION:
        raise CorruptLogError(
            f"{path}: record log format {head[len(MAGIC)]} is newer than this nbrun reads "
            f"({FORMAT_VERSION}); upgrade nbrun"
        )


def decode_body(body: bytes) -> list[list[Any]]:
    """Decode one frame body into its ``[seq, kind, payload]`` records."""
    decoded = msgpack.unpackb(body, raw=False, strict_map_key=False)
    if not (isinstance(decoded, list) and len(decoded) == 2 and isinstance(decoded[1], list)):
        raise CorruptLogError("frame body is not [first_seq, records]")
    first_seq, entries = decoded
    return [[first_seq + i, entry[0], entry[1]] for i, entry in enumerate(entries)]
