"""Where a logged version lives: its collection, its number once committed, and the backend
(if any) that holds its bytes."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from nbrun.artifacts.content_store import ContentStore
from nbrun.errors import CommError
from nbrun.protocol import artifacts as rules
from nbrun.protocol.http import ArtifactVersionInfo, artifacts_path

if TYPE_CHECKING:
    from nbrun.artifacts.entries import Entry
    from nbrun.sync.client import BackendClient

WAIT_POLL_SECONDS = 0.1
DEFAULT_WAIT_SECONDS = 300.0


@dataclasses.dataclass
class Committed:
    entity: str
    project: str
    name: str
    store: ContentStore
    client: BackendClient | None = None  # None: this machine's store only (offline)
    version_index: int | None = None
    aliases: list[str] = dataclasses.field(default_factory=list)
    tags: list[str] = dataclasses.field(default_factory=list)
    created_at: float | None = None
    logged_by: str | None = None  # "entity/project/run_id"
    # Opens a run by its path (the Api's run()): set by whoever looked the version up.
    open_run: Callable[[str], Any] | None = None

    def update(self, info: ArtifactVersionInfo) -> None:
        self.version_index = rules.version_index(info["version"])
        self.aliases = list(info["aliases"])
        self.tags = list(info["tags"])
        self.created_at = info["created_at"]
        self.logged_by = info["logged_by"]

    def refresh(self, digest: str) -> None:
        """Ask the backend for the version of ``digest`` (absent until it is committed)."""
        from nbrun.sync.client import NotFoundError

        if self.client is None:
            return
        try:
            info = self.client.get_json(self.version_path(digest))
        except NotFoundError:
            return
        self.update(info)

    def wait(self, digest: str, timeout: float | None) -> None:
        limit = DEFAULT_WAIT_SECONDS if timeout is None else timeout
        deadline = time.monotonic() + limit
        while True:
            self.refresh(digest)
            if self.version_index is not None:
                return
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"artifact {self.name!r} ({digest}) was not committed by the backend "
                    f"within {limit:g} s; its upload goes on in the background"
                )
            time.sleep(WAIT_POLL_SECONDS)

    def version_path(self, version: str) -> str:
        return f"{artifacts_path(self.entity, self.project)}/{self.name}/{version}"

    def fetch_blob(self, name: str, entry: Entry) -> None:
        """Download ``entry``'s bytes from the backend into the store, checked."""
        if self.client is None or self.version_index is None:
            raise CommError(
                f"entry {entry.path!r} of artifact {name!r} is not on this machine and no "
                "backend holds it (offline)"
            )
        assert entry.sha256 is not None
        label = rules.version_label(self.version_index)
        chunks = self.client.iter_bytes(f"{self.version_path(label)}/files/{quote(entry.path)}")
        try:
            self.store.add_chunks(chunks, entry.sha256)
        except ValueError as exc:
            raise ValueError(
                f"entry {entry.path!r} of artifact {name!r}: the backend sent bytes that do "
                f"not match the manifest ({exc})"
            ) from None

    def logged_by_run(self) -> Any:
        if self.logged_by is None or self.open_run is None:
            return None
        return self.open_run(self.logged_by)

    def used_by_runs(self, name: str, digest: str) -> list[Any]:
        from nbrun.errors import UsageError

        raise UsageError("Artifact.used_by() is not supported yet")
