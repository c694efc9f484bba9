"""A small HTTP client for the nbrun backend (keep-alive session, gzip'd msgpack batches)."""

from __future__ import annotations

import dataclasses
import gzip
import ipaddress
from typing import Any
from urllib.parse import quote, urlsplit

import msgpack
import requests

from nbrun.errors import CommError
from nbrun.record import http_api


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


class NotFoundError(RejectedError):
    """The backend answered 404: no such run, file or path."""


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

    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        url = f"{self.backend.url}{path}"
        try:
            response = self._session.request(method, url, timeout=self._timeout, **kwargs)
        except requests.RequestException as exc:
            raise CommError(
                f"{method} {url}: backend unreachable ({exc.__class__.__name__})"
            ) from exc
        if response.status_code == 409 and path.endswith("/records"):
            raise GapError(int(response.json().get("acked_seq", 0)))
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            kind: type[CommError] = CommError
            if response.status_code == 404:
                kind = NotFoundError
            elif response.status_code < 500 and response.status_code not in (408, 429):
                kind = RejectedError
            raise kind(f"{method} {url}: {response.status_code} {detail}")
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
    ) -> int:
        """Send records of one run; returns the sequence number the server acknowledged.
        ``frames`` are record-log frame bodies sent as they are (their records come first);
        ``live=False`` replays a log (no heartbeat)."""
        batch: http_api.RecordBatch = {"records": records, "live": live}
        if frames:
            batch["frames"] = frames
        body = msgpack.packb(batch, use_bin_type=True)
        headers = {"Content-Type": http_api.MSGPACK_CONTENT_TYPE}
        if self._compress:
            body = gzip.compress(body, compresslevel=1)
            headers["Content-Encoding"] = "gzip"
        path = f"{http_api.run_path(entity, project, run_id)}/records"
        response = self._request("POST", path, data=body, headers=headers)
        ack: http_api.BatchAck = response.json()
        return int(ack["acked_seq"])

    def upload_file(
        self, entity: str, project: str, run_id: str, name: str, data: bytes
    ) -> http_api.FileInfo:
        path = f"{http_api.run_path(entity, project, run_id)}/files/{quote(name)}"
        info: http_api.FileInfo = self._request("PUT", path, data=data).json()
        return info

    def get_json(self, path: str, **params: Any) -> Any:
        """GET an API path (starting with ``/api/v1``) and decode the answer. Asks for msgpack,
        which (unlike JSON) carries NaN and infinities exactly."""
        response = self._request(
            "GET", path, params=params, headers={"Accept": http_api.MSGPACK_CONTENT_TYPE}
        )
        if response.headers.get("Content-Type", "").startswith(http_api.MSGPACK_CONTENT_TYPE):
            return msgpack.unpackb(response.content, raw=False, strict_map_key=False)
        return response.json()

    def read_token(self, entity: str, project: str, run_id: str) -> str:
        """A new read-only token scoped to one run (for embed URLs)."""
        path = f"{http_api.run_path(entity, project, run_id)}/tokens"
        answer: http_api.ReadToken = self._request("POST", path).json()
        return answer["token"]

    def get_bytes(self, path: str) -> bytes:
        return self._request("GET", path).content
