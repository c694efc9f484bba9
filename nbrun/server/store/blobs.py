"""Blob stores: bytes named by their SHA-256, on the local disk or in S3-compatible storage.

Every blob the server keeps (run files, media, artifact entries and manifests) goes through one
interface, so routes never know where the bytes live: ``put_stream`` stores an upload,
``missing``/``has`` answer which are stored, ``read_bytes`` returns a small blob's bytes and
``response`` serves one as an HTTP download. An upload is always spooled to a local temporary
file while it is hashed (never held in memory) and only then kept: a body that hashes to
something else than it claims never reaches the store.

The local store is the default (``<storage>/blobs/<sha[:2]>/<sha>``); ``open_blob_store``
(``nbrun.server.store.blob_stores``) picks the S3 one (``nbrun.server.store.s3_blobs``, which
needs boto3) for ``--storage s3://...``.
"""

from __future__ import annotations

import abc
import asyncio
import hashlib
import os
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping
from pathlib import Path

from fastapi import Response
from fastapi.responses import FileResponse


class DigestMismatchError(Exception):
    """An upload's bytes hash to something other than the SHA-256 it was sent as."""


class BlobMissingError(LookupError):
    """The store holds no blob of that SHA-256."""


class BlobStore(abc.ABC):
    """Blobs named by their SHA-256. Methods other than ``put_stream`` may block (S3 calls):
    call them from a worker thread (sync routes run in FastAPI's threadpool)."""

    def __init__(self, spool: Path) -> None:
        self._tmp = spool
        self._tmp.mkdir(parents=True, exist_ok=True)

    @abc.abstractmethod
    def has(self, sha256: str) -> bool:
        """Whether the blob is stored."""

    def missing(self, wanted: Iterable[str]) -> list[str]:
        """Those of ``wanted`` not stored, in the order given."""
        return [sha for sha in wanted if not self.has(sha)]

    @abc.abstractmethod
    def read_bytes(self, sha256: str, max_bytes: int | None = None) -> bytes:
        """The blob's bytes; ``BlobMissingError`` when absent, ``ValueError`` past
        ``max_bytes``."""

    @abc.abstractmethod
    def response(self, sha256: str, media_type: str, headers: Mapping[str, str]) -> Response:
        """A download of the blob with ``headers`` (Content-Length set); ``BlobMissingError``
        when absent."""

    @abc.abstractmethod
    def _keep(self, tmp: Path, sha256: str) -> None:
        """Make the spooled file ``tmp`` the blob ``sha256`` (blocking; ``tmp`` may be moved)."""

    def put_bytes(self, data: bytes) -> str:
        """Store a small blob the server made itself (blocking); returns its SHA-256."""
        sha = hashlib.sha256(data).hexdigest()
        if self.has(sha):
            return sha
        tmp = self._tmp / uuid.uuid4().hex
        try:
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            self._keep(tmp, sha)
        finally:
            tmp.unlink(missing_ok=True)
        return sha

    async def put_stream(
        self, chunks: AsyncIterator[bytes], max_bytes: int, expected: str | None = None
    ) -> tuple[str, int]:
        """Store a streamed body, written to a local file piece by piece as it arrives (never
        held in memory); returns ``(sha256, size)``. Raises ``ValueError`` past ``max_bytes`` and
        ``DigestMismatchError`` when the bytes do not hash to ``expected`` (nothing is kept
        either way)."""
        digest = hashlib.sha256()
        size = 0
        tmp = self._tmp / uuid.uuid4().hex
        try:
            with open(tmp, "wb") as f:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > max_bytes:
                        raise ValueError(f"file is larger than the limit of {max_bytes} bytes")
                    digest.update(chunk)
                    f.write(chunk)
                f.flush()
                # Flushing a large file takes a while: not on the event loop, which serves
                # every other request meanwhile.
                await asyncio.to_thread(os.fsync, f.fileno())
            sha = digest.hexdigest()
            if expected is not None and sha != expected:
                raise DigestMismatchError(f"body hashes to {sha}, not {expected}")
            await asyncio.to_thread(self._keep, tmp, sha)
            return sha, size
        finally:
            tmp.unlink(missing_ok=True)


class DiskBlobStore(BlobStore):
    """Blobs under ``root/blobs/<first two hex>/<sha256>``, uploads spooled in ``root/tmp``."""

    def __init__(self, root: Path) -> None:
        super().__init__(root / "tmp")
        self.root = root
        (root / "blobs").mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str) -> Path:
        return self.root / "blobs" / sha256[:2] / sha256

    def has(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def read_bytes(self, sha256: str, max_bytes: int | None = None) -> bytes:
        try:
            with open(self.path(sha256), "rb") as f:
                data = f.read() if max_bytes is None else f.read(max_bytes + 1)
        except FileNotFoundError:
            raise BlobMissingError(sha256) from None
        if max_bytes is not None and len(data) > max_bytes:
            raise ValueError(f"blob {sha256} is larger than {max_bytes} bytes")
        return data

    def response(self, sha256: str, media_type: str, headers: Mapping[str, str]) -> Response:
        path = self.path(sha256)
        if not path.is_file():
            raise BlobMissingError(sha256)
        return FileResponse(path, media_type=media_type, headers=dict(headers))

    def _keep(self, tmp: Path, sha256: str) -> None:
        final = self.path(sha256)
        if not final.exists():
            final.parent.mkdir(exist_ok=True)
            os.replace(tmp, final)
