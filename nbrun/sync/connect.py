"""Choosing the backend a run talks to: ``NBRUN_BASE_URL`` (with ``NBRUN_API_KEY``) when set,
else the embedded server on loopback, started on demand."""

from __future__ import annotations

from nbrun.sync.client import Backend, BackendClient
from nbrun.sync.embedded import ensure_embedded_server


def connect(base_url: str | None, api_key: str | None) -> BackendClient:
    """A client for the configured backend. A configured URL is not checked here: when that
    backend is away, the sender keeps the records on disk and retries until it is back. Raises
    ``CommError`` naming why when the embedded server cannot be started."""
    if base_url:
        return BackendClient(Backend(url=base_url.rstrip("/"), token=api_key))
    return BackendClient(ensure_embedded_server())
