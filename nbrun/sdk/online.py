"""An online run's link to its backend: connecting, the sender thread, URLs and the wait for the
upload at finish."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from nbrun.errors import CommError
from nbrun.record import http_api
from nbrun.record.http_api import run_path
from nbrun.sdk import termlog
from nbrun.sdk.run_dir import RunDir

if TYPE_CHECKING:
    from nbrun.sync.client import BackendClient
    from nbrun.sync.sender import Sender

PROGRESS_EVERY_SECONDS = 2.0


class OnlineSync:
    """Uploads one run to its backend from a background thread."""

    def __init__(self, client: BackendClient) -> None:
        self.client = client
        self.sender: Sender | None = None

    @classmethod
    def connect(cls, base_url: str | None, api_key: str | None) -> OnlineSync | None:
        """Connect to the configured or embedded backend; None (after saying why) when the
        embedded server cannot start, so the run goes on offline."""
        from nbrun.sync.connect import connect

        try:
            return cls(connect(base_url, api_key))
        except CommError as exc:
            termlog.warn(f"{exc}; this run is recorded offline (`nbrun sync` uploads it later)")
            return None

    def start(self, run_dir: RunDir, entity: str, project: str, run_id: str) -> None:
        from nbrun.sync.sender import RunAddress, Sender

        address = RunAddress(entity, project, run_id)
        self.sender = Sender(run_dir.path, run_dir.log_path, address, self.client)
        self.sender.start()

    def fetch_run(self, entity: str, project: str, run_id: str) -> http_api.RunInfo | None:
        """The backend's record of a run, or None when it has none."""
        from nbrun.sync.client import NotFoundError

        try:
            info: http_api.RunInfo = self.client.get_json(run_path(entity, project, run_id))
        except NotFoundError:
            return None
        return info

    def run_url(self, entity: str, project: str, run_id: str) -> str:
        return self.client.backend.run_url(entity, project, run_id)

    def project_url(self, entity: str, project: str) -> str:
        return self.client.backend.project_url(entity, project)

    def finish(self, timeout: float, run_dir: RunDir) -> bool:
        """Wait (at most ``timeout`` s) for the rest of the upload, showing progress when it
        takes a while; say what is left when it gives up."""
        sender = self.sender
        if sender is None:
            return True
        sender.close_log()
        deadline = time.monotonic() + timeout
        done = sender.wait(min(timeout, PROGRESS_EVERY_SECONDS))
        while not done and not sender.rejected and time.monotonic() < deadline:
            termlog.info(f"uploading: {sender.pending_bytes() / 1e6:.1f} MB of records left")
            done = sender.wait(min(deadline - time.monotonic(), PROGRESS_EVERY_SECONDS))
        sender.stop()
        self.client.close()
        if not done:
            reason = f" (last error: {sender.last_error})" if sender.last_error else ""
            termlog.warn(
                f"upload not finished{reason}: "
                f"{sender.pending_bytes() / 1e6:.1f} MB of records are safe on disk; "
                f"`nbrun sync {run_dir.path}` uploads them"
            )
        return done
