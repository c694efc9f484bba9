"""Blobs in S3-compatible object storage (AWS S3, MinIO, Ceph, ...), shared by server processes.

``nbrun server --storage s3://bucket/prefix`` keeps blob ``sha`` as the object
``prefix/blobs/<sha[:2]>/<sha>``. The client is boto3's, configured by its default chain: the
``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``/``AWS_PROFILE``/``AWS_DEFAULT_REGION`` variables,
``~/.aws/config`` and ``~/.aws/credentials``, instance roles; ``AWS_ENDPOINT_URL`` (or
``AWS_ENDPOINT_URL_S3``) points it at a store other than AWS. The bucket is checked at start
(``head_bucket``): a missing bucket or refused credentials stop the server with a message
naming the bucket and the endpoint, rather than failing the first upload.

Uploads are spooled to a local file while hashed (the interface's ``put_stream``), then sent with
boto3's managed transfer: one PUT below ``NBRUN_S3_MULTIPART_BYTES`` (64 MiB by default), a
multipart upload of parts that size above it. An object that already exists is not sent again
(content-addressed: same name, same bytes).

Downloads stream through the server rather than redirecting to presigned URLs. A redirect would
spare the server the bytes, but it hands the browser a URL that works for anyone holding it,
skips the server's checks (read tokens, the sandboxing headers user files are served with), and
fails whenever the bucket is not reachable from the browser (a private endpoint, a MinIO on the
server's network): streaming is the safe default. It does not answer Range requests.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, NoReturn

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
from fastapi import Response
from fastapi.responses import StreamingResponse

from nbrun.server.config import parse_s3_url
from nbrun.server.store.blobs import BlobMissingError, BlobStore

MULTIPART_ENV = "NBRUN_S3_MULTIPART_BYTES"
DEFAULT_MULTIPART_BYTES = 64 << 20
MIN_PART_BYTES = 5 << 20  # S3 refuses smaller parts (but the last)
READ_CHUNK = 1 << 20
MAX_HEAD_THREADS = 16  # concurrent HEADs when asked which of many blobs are missing
_NOT_FOUND = frozenset({"404", "NoSuchKey", "NotFound"})


def multipart_bytes() -> int:
    """The size from which uploads go in parts, and the parts' size."""
    raw = os.environ.get(MULTIPART_ENV, "")
    if not raw:
        return DEFAULT_MULTIPART_BYTES
    if not raw.isdigit() or int(raw) < MIN_PART_BYTES:
        raise RuntimeError(
            f"refusing to start: ${MULTIPART_ENV} must be a number of bytes of at least "
            f"{MIN_PART_BYTES} (S3's smallest part), not {raw!r}"
        )
    return int(raw)


def _not_found(error: ClientError) -> bool:
    return str(error.response.get("Error", {}).get("Code")) in _NOT_FOUND


class S3BlobStore(BlobStore):
    """Blobs as objects ``<prefix>/blobs/<sha[:2]>/<sha>`` of one bucket."""

    def __init__(self, url: str, spool: Path) -> None:
        super().__init__(spool)
        self.bucket, self.prefix = parse_s3_url(url)
        part = multipart_bytes()
        self._transfer = TransferConfig(multipart_threshold=part, multipart_chunksize=part)
        config = Config(
            retries={"mode": "standard"},
            max_pool_connections=32,
            connect_timeout=10,
            read_timeout=60,
        )
        # A session of its own: boto3's default session is not thread-safe to create clients
        # from; the client itself is shared by every request thread.
        self._client: Any = boto3.session.Session().client("s3", config=config)
        self._check_bucket()

    @property
    def endpoint(self) -> str:
        return str(self._client.meta.endpoint_url)

    def key(self, sha256: str) -> str:
        name = f"blobs/{sha256[:2]}/{sha256}"
        return f"{self.prefix}/{name}" if self.prefix else name

    def _check_bucket(self) -> None:
        try:
            self._client.head_bucket(Bucket=self.bucket)
        except ClientError as e:
            status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if status == 404 or _not_found(e):
                reason = "the bucket does not exist"
            elif status in (401, 403):
                reason = "access denied (check the AWS credentials and the bucket's policy)"
            else:
                reason = str(e)
            self._refuse(reason)
        except NoCredentialsError:
            self._refuse(
                "no AWS credentials found (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
                "AWS_PROFILE or ~/.aws/credentials)"
            )
        except BotoCoreError as e:
            self._refuse(str(e))

    def _refuse(self, reason: str) -> NoReturn:
        raise RuntimeError(
            f"refusing to start: cannot use S3 bucket {self.bucket!r} at {self.endpoint}: {reason}"
        )

    def has(self, sha256: str) -> bool:
        try:
            self._client.head_object(Bucket=self.bucket, Key=self.key(sha256))
        except ClientError as e:
            if _not_found(e):
                return False
            raise
        return True

    def missing(self, wanted: Iterable[str]) -> list[str]:
        shas = list(wanted)
        if len(shas) <= 1:
            return super().missing(shas)
        with ThreadPoolExecutor(min(MAX_HEAD_THREADS, len(shas))) as pool:
            stored = list(pool.map(self.has, shas))
        return [sha for sha, found in zip(shas, stored, strict=True) if not found]

    def _get(self, sha256: str) -> dict[str, Any]:
        try:
            found: dict[str, Any] = self._client.get_object(
                Bucket=self.bucket, Key=self.key(sha256)
            )
        except ClientError as e:
            if _not_found(e):
                raise BlobMissingError(sha256) from None
            raise
        return found

    def read_bytes(self, sha256: str, max_bytes: int | None = None) -> bytes:
        found = self._get(sha256)
        body = found["Body"]
        with body:
            if max_bytes is not None and int(found["ContentLength"]) > max_bytes:
                raise ValueError(f"blob {sha256} is larger than {max_bytes} bytes")
            data: bytes = body.read()
        return data

    def response(self, sha256: str, media_type: str, headers: Mapping[str, str]) -> Response:
        found = self._get(sha256)
        body = found["Body"]

        def chunks() -> Iterator[bytes]:
            # A sync iterator: Starlette reads it in its threadpool, off the event loop.
            try:
                yield from body.iter_chunks(READ_CHUNK)
            finally:
                body.close()

        length = {"Content-Length": str(found["ContentLength"])}
        return StreamingResponse(chunks(), media_type=media_type, headers={**headers, **length})

    def _keep(self, tmp: Path, sha256: str) -> None:
        if self.has(sha256):
            return
        self._client.upload_file(str(tmp), self.bucket, self.key(sha256), Config=self._transfer)
