"""Uploading the blobs of logged artifacts, before the records that name them.

Only what the backend lacks goes up (it is asked first), so a second version with one file
changed sends that file, and a sync killed halfway continues with the blobs still missing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson

from nbrun.paths import artifact_store_dir, blob_path
from nbrun.protocol.http import MAX_BLOBS_PER_QUERY
from nbrun.record import types as kinds
from nbrun.record.framing import decode_body
from nbrun.record.run_dir import ARTIFACTS_FOLDER
from nbrun.sync.client import BackendClient, RejectedError

UPLOAD_THREADS = 4
_ARTIFACT_MARK = b"\xa8" + kinds.ARTIFACT.encode()  # how msgpack writes the string "artifact"


def artifact_records(frames: list[bytes]) -> Iterator[dict[str, Any]]:
    """The ``artifact`` records among record-log frame bodies."""
    for body in frames:
        if _ARTIFACT_MARK not in body:  # most frames hold none: skip decoding them
            continue
        for _seq, kind, payload in decode_body(body):
            if kind == kinds.ARTIFACT:
                yield payload


class ArtifactUploader:
    """Uploads, for one run folder, the blobs its ``artifact`` records need."""

    def __init__(
        self,
        client: BackendClient,
        run_dir: Path,
        report: Callable[[str], None],
        timeout: Callable[[], float | None],
    ) -> None:
        self._client = client
        self._folders = [run_dir / ARTIFACTS_FOLDER, artifact_store_dir()]
        self._report = report
        self._timeout = timeout

    def upload(self, record: dict[str, Any]) -> None:
        manifest_sha = record.get("manifest", "")
        manifest_path = self._local(manifest_sha)
        if manifest_path is None:
            self._report(
                f"artifact {record.get('name')!r}: its manifest is not on this machine; the "
                "backend will refuse it"
            )
            return
        contents = orjson.loads(manifest_path.read_bytes()).get("contents", {})
        wanted = list(
            dict.fromkeys(
                [manifest_sha, *(e["sha256"] for e in contents.values() if "sha256" in e)]
            )
        )
        for start in range(0, len(wanted), MAX_BLOBS_PER_QUERY):
            chunk = wanted[start : start + MAX_BLOBS_PER_QUERY]
            missing = self._client.missing_blobs(chunk, timeout=self._timeout())
            # A few at once: the backend hashes and syncs each blob while the next one streams.
            with ThreadPoolExecutor(UPLOAD_THREADS) as pool:
                list(pool.map(lambda sha: self._upload_blob(record, sha), missing))

    def _upload_blob(self, record: dict[str, Any], sha: str) -> None:
        path = self._local(sha)
        if path is None:
            self._report(
                f"artifact {record.get('name')!r}: blob {sha} is not on this machine; the "
                "backend will refuse the version"
            )
            return
        try:
            with open(path, "rb") as data:  # streamed: a large file is never held whole
                self._client.upload_blob(sha, data, timeout=self._timeout())
        except RejectedError as exc:
            if exc.refuses_access:
                raise
            # The stored copy no longer hashes to its name (changed on disk): said, not sent.
            self._report(f"artifact {record.get('name')!r}: the backend refused blob {sha}: {exc}")

    def _local(self, sha: str) -> Path | None:
        for folder in self._folders:
            path = blob_path(folder, sha)
            if path.is_file():
                return path
        return None
