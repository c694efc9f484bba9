"""Artifacts through the Api: versions by name, a project's collections, a run's inputs and
outputs; on the backend, else from this machine's store."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from nbrun.artifacts.artifact import Artifact
from nbrun.artifacts.committed import Committed
from nbrun.artifacts.content_store import ContentStore
from nbrun.artifacts.lookup import artifact_from_version, local_version
from nbrun.protocol.http import ArtifactVersion, RunArtifacts, artifacts_path, run_path
from nbrun.record import types as kinds
from nbrun.record.reader import RecordLogReader

if TYPE_CHECKING:
    from pathlib import Path

    from nbrun.sync.client import BackendClient

OpenRun = Callable[[str], Any]


def backend_version(
    client: BackendClient,
    entity: str,
    project: str,
    name: str,
    version: str,
    open_run: OpenRun,
) -> Artifact:
    committed = Committed(entity, project, name, ContentStore(), client, open_run=open_run)
    info: ArtifactVersion = client.get_json(committed.version_path(version))
    return artifact_from_version(info, committed)


def collection_versions(
    client: BackendClient | None, entity: str, project: str, name: str, open_run: OpenRun
) -> list[Artifact]:
    """Every version of ``name``, oldest first (the backend's, else this machine's)."""
    from nbrun.sync.client import NotFoundError

    if client is not None:
        try:
            listed = client.get_json(f"{artifacts_path(entity, project)}/{name}")["versions"]
        except NotFoundError:
            listed = []
        if listed:
            found = [
                backend_version(client, entity, project, name, info["version"], open_run)
                for info in listed
            ]
            return sorted(found, key=lambda a: a._committed.version_index or 0)  # type: ignore[union-attr]
    store = ContentStore()
    found = []
    for line in store.versions(entity, project, name):
        artifact = local_version(store, entity, project, name, line["digest"], open_run)
        if artifact is not None:
            found.append(artifact)
    return found


def project_types(client: BackendClient | None, entity: str, project: str) -> dict[str, str]:
    """Collection name -> type, for the project's artifacts."""
    if client is not None:
        answer = client.get_json(artifacts_path(entity, project))
        return {c["name"]: c["type"] for c in answer["artifacts"]}
    store = ContentStore()
    types: dict[str, str] = {}
    for name in store.project_names(entity, project):
        versions = store.versions(entity, project, name)
        if versions:
            types[name] = versions[0]["type"]
    return types


def remote_run_artifacts(
    client: BackendClient, entity: str, project: str, run_id: str, open_run: OpenRun
) -> tuple[list[Artifact], list[Artifact]]:
    answer: RunArtifacts = client.get_json(f"{run_path(entity, project, run_id)}/artifacts")

    def versions(infos: list[Any]) -> list[Artifact]:
        return [
            backend_version(client, i["entity"], i["project"], i["name"], i["version"], open_run)
            for i in infos
        ]

    return versions(answer["logged"]), versions(answer["used"])


def local_run_artifacts(
    log_path: Path, entity: str, project: str, open_run: OpenRun
) -> tuple[list[Artifact], list[Artifact]]:
    """The versions a run folder's log names, as this machine's store has them."""
    store = ContentStore()
    logged: list[Artifact] = []
    used: list[Artifact] = []
    for _seq, kind, payload in RecordLogReader(log_path):
        if kind == kinds.ARTIFACT:
            where = (entity, payload.get("project") or project)
            into = logged
        elif kind == kinds.USE_ARTIFACT:
            where = (payload["entity"], payload["project"])
            into = used
        else:
            continue
        found = local_version(store, *where, payload["name"], payload["digest"], open_run)
        if found is not None:
            into.append(found)
    return logged, used
