"""An online run's link to its backend: connecting, the sender thread, URLs and the wait for the
upload at finish."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from nbrun import termlog
from nbrun.errors import CommError, UsageError
from nbrun.protocol import http as http_api
from nbrun.protocol.http import run_path
from nbrun.record.run_dir import RunDir

# The client, the sender and connect() load requests: imported once a run goes online, so
# `import nbrun` and offline runs never load them.
if TYPE_CHECKING:
    from nbrun.sync.client import BackendClient
    from nbrun.sync.sender import Sender

PROGRESS_EVERY_SECONDS = 2.0
# How long init() waits for the backend to say whether a run id exists: past it, the run starts
# anyway and its records wait on disk (the sender then places them after the backend's own).
LOOKUP_TIMEOUT_SECONDS = 3.0
# What finish() may take past sync_timeout to stop the sender (its requests end by the deadline).
STOP_GRACE_SECONDS = 0.2


class OnlineSync:
    """Uploads one run to its backend from a background thread."""

    def __init__(self, client: BackendClient) -> None:
        self.client = client
        self.sender: Sender | None = None
        # False once a lookup of the run id failed: the run starts without the backend's state.
        self.knows_backend_state = True

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
        self.sender = Sender(
            run_dir.path,
            run_dir.log_path,
            address,
            self.client,
            knows_backend_state=self.knows_backend_state,
            on_problem=termlog.warn,
        )
        self.sender.start()

    def fetch_run(
        self, entity: str, project: str, run_id: str, required: bool = False
    ) -> http_api.RunInfo | None:
        """The backend's record of a run, or None when it has none. When the backend does not
        answer within ``LOOKUP_TIMEOUT_SECONDS``: with ``required`` raise ``UsageError``, else
        say so and return None (the run starts without the backend's state)."""
        from nbrun.sync.client import NotFoundError

        try:
            info: http_api.RunInfo = self.client.get_json(
                run_path(entity, project, run_id), timeout=LOOKUP_TIMEOUT_SECONDS
            )
        except NotFoundError:
            return None
        except CommError as exc:
            where = self.client.backend.url
            if required:
                raise UsageError(
                    f"resume='must' needs the backend's record of run {run_id!r}, but the "
                    f"backend at {where} does not answer ({exc}); start it, or resume later"
                ) from None
            termlog.warn(
                f"could not ask the backend at {where} about run id {run_id!r} ({exc}); the "
                "run is recorded here and uploads when the backend is back (after any records "
                "the backend already has of that id)"
            )
            self.knows_backend_state = False
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
        deadline = time.monotonic() + timeout
        sender.set_deadline(deadline)  # no request outlives the wait below
        sender.close_log()
        done = sender.wait(min(timeout, PROGRESS_EVERY_SECONDS))
        while not done and not sender.rejected and time.monotonic() < deadline:
            termlog.info(f"uploading: {sender.pending_bytes() / 1e6:.1f} MB of records left")
            done = sender.wait(max(0.0, min(deadline - time.monotonic(), PROGRESS_EVERY_SECONDS)))
        sender.stop(timeout=max(0.0, deadline - time.monotonic()) + STOP_GRACE_SECONDS)
        self.client.close()
        if not done:
            reason = f" (last error: {sender.last_error})" if sender.last_error else ""
            termlog.warn(
                f"upload not finished{reason}: "
                f"{sender.pending_bytes() / 1e6:.1f} MB of records are safe on disk; "
                f"`nbrun sync {run_dir.path}` uploads them"
            )
        return done
