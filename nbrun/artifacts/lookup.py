"""Finding a logged version by name: on the backend, else in this machine's store."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson

from nbrun import termlog
from nbrun.artifacts.artifact import Artifact
from nbrun.artifacts.committed import Committed
from nbrun.artifacts.content_store import ContentStore
from nbrun.artifacts.entries import Entry
from nbrun.errors import CommError, Error
from nbrun.protocol import artifacts as rules
from nbrun.protocol.http import ArtifactVersion

if TYPE_CHECKING:
    from nbrun.sync.client import BackendClient


class ArtifactNotFoundError(Error, ValueError):
    """No version matches the name, version or alias asked for."""


def find_artifact(
    path: rules.ArtifactPath,
    entity: str,
    project: str,
    client: BackendClient | None,
    store: ContentStore | None = None,
    open_run: Callable[[str], Any] | None = None,
) -> Artifact:
    """The version ``path`` names (its entity and project default to the given ones; its
    version to ``latest``)."""
    from nbrun.sync.client import NotFoundError

    store = store or ContentStore()
    entity = path["entity"] or entity
    project = path["project"] or project
    name, version = path["name"], path["version"] or rules.LATEST
    wanted = f"{entity}/{project}/{name}:{version}"
    if client is not None:
        committed = Committed(entity, project, name, store, client, open_run=open_run)
        try:
            info: ArtifactVersion = client.get_json(committed.version_path(version))
            return artifact_from_version(info, committed)
        except NotFoundError:
            pass  # maybe logged here and not uploaded yet
        except CommError as exc:
            termlog.warn(
                f"the backend is unreachable ({exc}): looking for {wanted} on this machine"
            )
    found = local_version(store, entity, project, name, version, open_run)
    if found is None:
        where = "the backend and this machine" if client is not None else "this machine (offline)"
        raise ArtifactNotFoundError(f"artifact {wanted!r} not found on {where}")
    return found


def artifact_from_version(info: ArtifactVersion, committed: Committed) -> Artifact:
    committed.update(info)
    entries = info["manifest"]["contents"]
    return _built(
        info["name"], info["type"], info["description"], info["metadata"], entries, committed
    )


def local_version(
    store: ContentStore,
    entity: str,
    project: str,
    name: str,
    version: str,
    open_run: Callable[[str], Any] | None = None,
) -> Artifact | None:
    """The version ``version`` (vN, an alias or a digest) logged on this machine, or None."""
    index = rules.version_index(version)
    for line in store.versions(entity, project, name):
        if not (
            line["version_index"] == index
            or version in line["aliases"]
            or line["digest"] == version
        ):
            continue
        committed = Committed(
            entity,
            project,
            name,
            store,
            None,
            line["version_index"],
            line["aliases"],
            line.get("tags", []),
            line.get("created_at"),
            line.get("run"),
            open_run,
        )
        manifest = orjson.loads(store.blob_path(line["manifest"]).read_bytes())
        return _built(
            name,
            line["type"],
            line.get("description"),
            line.get("metadata") or {},
            manifest["contents"],
            committed,
        )
    return None


def _built(
    name: str,
    type_: str,
    description: str | None,
    metadata: dict[str, Any],
    contents: dict[str, Any],
    committed: Committed,
) -> Artifact:
    artifact = Artifact.__new__(Artifact)
    Artifact.__init__(artifact, "placeholder", "placeholder", description, metadata)
    # Names and types from a backend were checked when logged; reserved types (nbrun-...) may
    # come back this way.
    artifact._name, artifact._type = name, type_
    artifact._set_entries({p: Entry.from_manifest(p, e) for p, e in contents.items()})
    artifact._freeze(committed)
    return artifact
