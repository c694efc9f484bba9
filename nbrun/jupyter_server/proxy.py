"""The read-only proxy from ``<jupyter base_url>nbrun/...`` to the nbrun backend.

Built on jupyter-server-proxy's ``ProxyHandler``: it enforces Jupyter's own login on every
request and streams ``text/event-stream`` answers chunk by chunk (the live SSE stream) instead
of buffering them. On top of it this handler picks the backend (``NBRUN_BASE_URL`` with
``NBRUN_API_KEY``, else the embedded daemon, started if none runs), sends the backend's key
itself so the browser never sees it, forwards ``X-Forwarded-Prefix`` so the dashboard builds
its links under the proxy, and refuses every method but GET and HEAD.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from jupyter_server_proxy.handlers import ProxyHandler  # type: ignore[import-untyped]
from tornado import httpclient, web

from nbrun.environment import PROXY_SEGMENT
from nbrun.errors import CommError
from nbrun.protocol import http as http_api
from nbrun.sync.client import Backend
from nbrun.sync.connect import default_backend_client

# Credentials of the browser's session with Jupyter stay with Jupyter; the query's ``token``
# is Jupyter's login token (or a read token the proxy does not need): the backend key replaces
# them all.
_DROPPED_HEADERS = ("Cookie", "Authorization", "X-XSRFToken")
_EVENT_STREAM = "text/event-stream"


class BackendSource:
    """The backend the proxy forwards to, found once and found again after it went away."""

    def __init__(self) -> None:
        self._backend: Backend | None = None
        self._lock = threading.Lock()

    async def get(self) -> Backend:
        backend = self._backend
        if backend is not None:
            return backend
        # Starting the embedded daemon blocks for a moment: keep it off the server's loop.
        return await asyncio.get_running_loop().run_in_executor(None, self._resolve)

    def forget(self, backend: Backend) -> None:
        with self._lock:
            if self._backend == backend:
                self._backend = None

    def _resolve(self) -> Backend:
        with self._lock:
            if self._backend is None:
                client = default_backend_client()
                client.close()
                self._backend = client.backend
            return self._backend


class BackendProxyHandler(ProxyHandler):  # type: ignore[misc]
    """Proxies GET and HEAD under ``<base_url>nbrun/`` to the nbrun backend."""

    def initialize(self, source: BackendSource) -> None:
        self._source = source
        self._backend: Backend | None = None
        self.proxy_base = PROXY_SEGMENT  # X-Forwarded-Prefix: <base_url>nbrun

    async def http_get(self, proxied_path: str) -> None:
        await self._forward(proxied_path)

    async def head(self, proxied_path: str) -> None:
        await self._forward(proxied_path)

    async def open(self, proxied_path: str) -> None:
        raise web.HTTPError(405, "the nbrun proxy does not forward websockets")

    def _refuse(self, proxied_path: str) -> None:
        raise web.HTTPError(
            405, f"the nbrun proxy is read-only: {self.request.method} is not forwarded"
        )

    post = put = delete = patch = options = _refuse

    async def _forward(self, proxied_path: str) -> None:
        if _EVENT_STREAM in self.request.headers.get("Accept", ""):
            self.request.headers["Accept"] = _EVENT_STREAM  # jsp streams on this exact value
        # A second try after the backend went away: the embedded daemon may have been stopped
        # (or restarted on another port); resolving again restarts it. GET and HEAD are safe
        # to repeat.
        for last_try in (False, True):
            try:
                self._backend = await self._source.get()
            except CommError as exc:
                raise web.HTTPError(502, f"no nbrun backend: {exc}") from exc
            try:
                await self.proxy("localhost", 0, proxied_path)
            except (OSError, web.HTTPError, httpclient.HTTPClientError) as exc:
                if getattr(exc, "status_code", getattr(exc, "code", 599)) != 599:
                    raise
                gone: Exception | None = exc
            else:
                gone = None if self.get_status() != 599 else CommError("no answer")
            if gone is None:
                return
            self._source.forget(self._backend)
            self.clear()
            if last_try:
                message = f"the nbrun backend at {self._backend.url} is not answering"
                raise web.HTTPError(502, message) from gone

    def _check_host_allowlist(self, host: str) -> bool:
        return True  # the target comes from nbrun's configuration, never from the request

    def get_client_uri(self, protocol: str, host: str, port: int, proxied_path: str) -> str:
        assert self._backend is not None
        path = quote(proxied_path.lstrip("/"), safe="/:@!$&'()*+,;=-._~")
        query = [(k, v) for k, v in parse_qsl(self.request.query, True) if k != "token"]
        return f"{self._backend.url}/{path}" + (f"?{urlencode(query)}" if query else "")

    def proxy_request_headers(self) -> Any:
        headers = super().proxy_request_headers()
        for name in _DROPPED_HEADERS:
            headers.pop(name, None)
        assert self._backend is not None
        if self._backend.token:
            headers[http_api.AUTH_HEADER] = f"Bearer {self._backend.token}"
        return headers
