"""A small HTTP client for the nbrun backend (keep-alive session, gzip'd msgpack batches)."""

from __future__ import annotations

import dataclasses
import gzip
import ipaddress
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO
from urllib.parse import quote, urlsplit

import msgpack
import requests

from nbrun.errors import CommError
from nbrun.protocol import http as http_api


@dataclasses.dataclass(frozen=True)
class Backend:
    """Where a backend is and the key to use with it."""

    url: str  # e.g. http://127.0.0.1:8642, without a trailing slash
    token: str | None

    def run_url(self, entity: str, project: str, run_id: str) -> str:
        """The dashboard page of a run."""
        return f"{self.url}/{quote(entity)}/{quote(project)}/runs/{quote(run_id)}"

    def project_url(self, entity: str, project: str) -> str:
        return f"{self.url}/{quote(entity)}/{quote(project)}"


def is_loopback(url: str) -> bool:
    """True when ``url`` names this machine (then compressing batches costs more than it saves)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class GapError(CommError):
    """The server has not seen the records before this batch; resend from ``acked_seq + 1``."""

    def __init__(self, acked_seq: int) -> None:
        super().__init__(f"server acknowledged only up to record {acked_seq}")
        self.acked_seq = acked_seq


class RejectedError(CommError):
    """The backend refused the request (4xx): retrying the same request cannot help."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status

    @property
    def refuses_access(self) -> bool:
        """The key is wrong or lacks the right (401/403): no request of ours will do."""
        return self.status in (401, 403)


class NotFoundError(RejectedError):
    """The backend answered 404: no such run, file or path."""


class AllRefusedError(CommError):
    """Every new record of a batch was refused (422 with an acknowledgement): final, the
    server has moved past them."""

    def __init__(self, ack: http_api.BatchAck, detail: str) -> None:
        super().__init__(detail)
        self.ack = ack


def _refusal(response: requests.Response) -> AllRefusedError | None:
    """The acknowledgement in a 422 answer to a batch, when it carries one."""
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict) or not isinstance(body.get("acked_seq"), int):
        return None
    ack: http_api.BatchAck = {"acked_seq": body["acked_seq"], "refused": body.get("refused", [])}
    return AllRefusedError(ack, str(body.get("detail", "every record was refused")))


class BackendClient:
    """Requests to one backend. Network failures raise :class:`nbrun.CommError`."""

    def __init__(self, backend: Backend, timeout: float = 30.0) -> None:
        self.backend = backend
        self._timeout = timeout
        self._compress = not is_loopback(backend.url)
        self._session = requests.Session()
        if backend.token:
            self._session.headers[http_api.AUTH_HEADER] = f"Bearer {backend.token}"

    def close(self) -> None:
        self._session.close()

    def _request(
        self, method: str, path: str, timeout: float | None = None, **kwargs: Any
    ) -> requests.Response:
        """One request; ``timeout`` (seconds, default the client's) bounds connecting and each
        wait for the answer."""
        url = f"{self.backend.url}{path}"
        try:
            response = self._session.request(
                method, url, timeout=self._timeout if timeout is None else timeout, **kwargs
            )
        except requests.RequestException as exc:
            raise CommError(
                f"{method} {url}: backend unreachable ({exc.__class__.__name__})"
            ) from exc
        if response.status_code == 409 and path.endswith("/records"):
            raise GapError(int(response.json().get("acked_seq", 0)))
        if response.status_code == 422 and path.endswith("/records"):
            refusal = _refusal(response)
            if refusal is not None:
                raise refusal
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            message = f"{method} {url}: {response.status_code} {detail}"
            if response.status_code == 404:
                raise NotFoundError(message, 404)
            if response.status_code < 500 and response.status_code not in (408, 429):
                raise RejectedError(message, response.status_code)
            raise CommError(message)
        return response

    def health(self) -> http_api.Health:
        result: http_api.Health = self._request("GET", f"{http_api.API_PREFIX}/health").json()
        return result

    def post_records(
        self,
        entity: str,
        project: str,
        run_id: str,
        records: list[list[Any]],
        live: bool = True,
        frames: list[bytes] | None = None,
        crashed: bool = False,
        timeout: float | None = None,
    ) -> http_api.BatchAck:
        """Send records of one run; returns the server's acknowledgement (the sequence number
        it has applied, and any records it refused). ``frames`` are record-log frame bodies sent
        as they are (their records come first); ``live=False`` replays a log (no heartbeat);
        ``crashed`` says the log's writer died without an exit record."""
        batch: http_api.RecordBatch = {"records": records, "live": live}
        if frames:
            batch["frames"] = frames
        if crashed:
            batch["crashed"] = True
        body = msgpack.packb(batch, use_bin_type=True)
        headers = {"Content-Type": http_api.MSGPACK_CONTENT_TYPE}
        if self._compress:
            body = gzip.compress(body, compresslevel=1)
            headers["Content-Encoding"] = "gzip"
        path = f"{http_api.run_path(entity, project, run_id)}/records"
        try:
            response = self._request("POST", path, timeout, data=body, headers=headers)
        except AllRefusedError as refused:
            return refused.ack
        ack: http_api.BatchAck = response.json()
        return ack

    def upload_file(
        self,
        entity: str,
        project: str,
        run_id: str,
        name: str,
        data: bytes | BinaryIO,
        timeout: float | None = None,
    ) -> http_api.FileInfo:
        """Upload ``data`` (bytes, or a file open for reading, streamed) as the run's file."""
        path = f"{http_api.run_path(entity, project, run_id)}/files/{quote(name)}"
        info: http_api.FileInfo = self._request("PUT", path, timeout, data=data).json()
        return info

    def get_json(
        self,
        path: str,
        timeout: float | None = None,
        json_values: Callable[[Any], Any] | None = None,
        **params: Any,
    ) -> Any:
        """GET an API path (starting with ``/api/v1``) and decode the answer. Asks for msgpack,
        which (unlike JSON) carries NaN and infinities exactly. When JSON arrives all the same
        (a gateway in between that only speaks JSON), ``json_values`` turns its spellings of
        them (``"NaN"``, ...: see ``nbrun.protocol.http``) back into floats where the answer
        holds logged values."""
        response = self._request(
            "GET", path, timeout, params=params, headers={"Accept": http_api.MSGPACK_CONTENT_TYPE}
        )
        if response.headers.get("Content-Type", "").startswith(http_api.MSGPACK_CONTENT_TYPE):
            return msgpack.unpackb(response.content, raw=False, strict_map_key=False)
        answer = response.json()
        return answer if json_values is None else json_values(answer)

    def read_token(self, entity: str, project: str, run_id: str) -> str:
        """A new read-only token scoped to one run (for embed URLs)."""
        path = f"{http_api.run_path(entity, project, run_id)}/tokens"
        answer: http_api.ReadToken = self._request("POST", path).json()
        return answer["token"]

    def get_bytes(self, path: str) -> bytes:
        return self._request("GET", path).content

    def iter_bytes(self, path: str, chunk_bytes: int = 1 << 20) -> Iterator[bytes]:
        """GET ``path`` and yield its body in chunks (a large file is never held whole)."""
        response = self._request("GET", path, stream=True)
        with response:
            yield from response.iter_content(chunk_bytes)

    def missing_blobs(self, sha256: list[str], timeout: float | None = None) -> list[str]:
        """Those of ``sha256`` (at most ``MAX_BLOBS_PER_QUERY``) the backend does not store."""
        query: http_api.BlobList = {"sha256": sha256}
        path = f"{http_api.API_PREFIX}/blobs/missing"
        answer: http_api.BlobList = self._request("POST", path, timeout, json=query).json()
        return answer["sha256"]

    def upload_blob(
        self, sha256: str, data: bytes | BinaryIO, timeout: float | None = None
    ) -> http_api.BlobInfo:
        """Upload a blob (streamed from a file); the backend checks it hashes to ``sha256``."""
        path = f"{http_api.API_PREFIX}/blobs/{sha256}"
        info: http_api.BlobInfo = self._request("PUT", path, timeout, data=data).json()
        return info
