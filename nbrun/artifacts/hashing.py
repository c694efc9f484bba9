"""Digests of an entry's bytes: the reference's base64 MD5 and the SHA-256 that addresses it."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from collections.abc import Iterable
from io import BufferedReader
from pathlib import Path
from typing import BinaryIO

CHUNK_BYTES = 1 << 20


@dataclasses.dataclass(frozen=True)
class Digests:
    md5_b64: str
    sha256: str
    size: int


class _Hasher:
    def __init__(self) -> None:
        self._md5 = hashlib.md5()
        self._sha = hashlib.sha256()
        self.size = 0

    def update(self, chunk: bytes | memoryview) -> None:
        self._md5.update(chunk)
        self._sha.update(chunk)
        self.size += len(chunk)

    def digests(self) -> Digests:
        md5 = base64.b64encode(self._md5.digest()).decode("ascii")
        return Digests(md5, self._sha.hexdigest(), self.size)


def digest_bytes(data: bytes) -> Digests:
    hasher = _Hasher()
    hasher.update(data)
    return hasher.digests()


def digest_file(path: Path) -> Digests:
    with open(path, "rb") as source:
        return _copy(source, None)


def copy_with_digests(source: Path, target: Path) -> Digests:
    """Copy ``source`` to ``target`` reading it once, and the digests of what was copied (so
    a file that changes meanwhile is described by the bytes kept, never by others)."""
    with open(source, "rb") as reading, open(target, "wb") as writing:
        return _copy(reading, writing)


def write_with_digests(chunks: Iterable[bytes], target: Path) -> Digests:
    """Write ``chunks`` to ``target`` and the digests of what was written."""
    hasher = _Hasher()
    with open(target, "wb") as writing:
        for chunk in chunks:
            hasher.update(chunk)
            writing.write(chunk)
    return hasher.digests()


def _copy(reading: BufferedReader, writing: BinaryIO | None) -> Digests:
    hasher = _Hasher()
    buffer = bytearray(CHUNK_BYTES)
    view = memoryview(buffer)
    while True:
        count = reading.readinto(view)
        if not count:
            return hasher.digests()
        hasher.update(view[:count])
        if writing is not None:
            writing.write(view[:count])
