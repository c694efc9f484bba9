"""Choosing the backend a run talks to: ``NBRUN_BASE_URL`` (with ``NBRUN_API_KEY``) when set,
else the embedded server on loopback, started on demand."""

from __future__ import annotations

import os

from nbrun.sync.client import Backend, BackendClient
from nbrun.sync.embedded import ensure_embedded_server


def connect(base_url: str | None, api_key: str | None) -> BackendClient:
    """A client for the configured backend. A configured URL is not checked here: when that
    backend is away, the sender keeps the records on disk and retries until it is back. Raises
    ``CommError`` naming why when the embedded server cannot be started."""
    if base_url:
        return BackendClient(Backend(url=base_url.rstrip("/"), token=api_key))
    return BackendClient(ensure_embedded_server())


def default_backend_client() -> BackendClient:
    """A client for the backend the environment configures (``NBRUN_BASE_URL`` with
    ``NBRUN_API_KEY``), else the embedded one, started if none runs: the backend nbrun's Jupyter
    server extension proxies. Raises ``CommError`` naming why there is none."""
    return connect(os.environ.get("NBRUN_BASE_URL"), os.environ.get("NBRUN_API_KEY"))
