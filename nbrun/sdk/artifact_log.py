"""A run's artifacts: logging versions (outputs), using them (inputs), models and code.

Logging never waits for the network: the files are already in this machine's content store
(``Artifact.add_*`` copied them), the manifest goes there too, the blobs are linked into the
run folder (so the folder is complete), and one ``artifact`` record enters the run's log. The
sender uploads the blobs the backend lacks before that record (``nbrun.sync.artifact_upload``).
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from nbrun.apis.api import Api
from nbrun.artifacts.artifact import Artifact
from nbrun.artifacts.checks import checked_aliases, checked_tags
from nbrun.artifacts.committed import Committed
from nbrun.artifacts.content_store import ContentStore
from nbrun.artifacts.distributed import merged_version
from nbrun.artifacts.entries import Entry
from nbrun.artifacts.lookup import find_artifact
from nbrun.paths import blob_path
from nbrun.protocol import artifacts as rules
from nbrun.record import types as kinds
from nbrun.record.run_dir import ARTIFACTS_FOLDER

if TYPE_CHECKING:
    from nbrun.record.run_dir import RunDir
    from nbrun.sync.client import BackendClient

MODEL_TYPE = "model"


def open_run(path: str) -> Any:
    return Api().run(path)


class ArtifactLog:
    """Records a run's artifacts; ``append`` writes a record to the run's log."""

    def __init__(
        self,
        entity: str,
        project: str,
        run_id: str,
        run_dir: RunDir | None,
        append: Callable[[str, Any], None],
        backend: BackendClient | None,
    ) -> None:
        self._entity = entity
        self._project = project
        self._run_id = run_id
        self._run_dir = run_dir
        self._append = append
        self._backend = backend
        self._lookup_client: BackendClient | None = None
        self.store = ContentStore()

    def log(
        self,
        artifact_or_path: Any,
        name: str | None,
        type_: str | None,
        aliases: list[str] | None,
        tags: list[str] | None,
        project: str | None = None,
    ) -> Artifact:
        artifact = self._artifact_of(artifact_or_path, name, type_)
        if artifact._committed is not None:
            raise ValueError(
                f"log_artifact: artifact {artifact.name!r} is already logged; make a new "
                "nbrun.Artifact for a new version"
            )
        added_aliases = checked_aliases(aliases if aliases is not None else artifact._aliases)
        added_tags = checked_tags(tags if tags is not None else artifact._tags)
        if not artifact.manifest.entries:
            raise ValueError(f"log_artifact: artifact {artifact.name!r} has no files")
        committed = self._commit(
            artifact, artifact.collection_name, project or self._project, added_aliases, added_tags
        )
        artifact._freeze(committed)
        return artifact

    def link(self, artifact: Any, target_path: Any, aliases: list[str] | None) -> None:
        """Link a logged version into the portfolio ``[[entity/]project/]name``: the same files
        become that collection's next version (nothing is copied), ``latest`` on the newest."""
        if not isinstance(artifact, Artifact) or artifact._committed is None:
            raise ValueError(
                "link_artifact: artifact must be an nbrun.Artifact logged or used by a run "
                f"first, got {artifact!r}"
            )
        path = rules.parse_artifact_path(target_path, "target_path")
        if path["version"] is not None:
            raise ValueError(f"link_artifact: target_path {target_path!r} names a version")
        if path["entity"] not in (None, self._entity):
            raise ValueError(
                f"link_artifact: target_path {target_path!r} is in entity {path['entity']!r}; "
                f"this run links within its own entity, {self._entity!r}"
            )
        added = checked_aliases(aliases if aliases is not None else [])
        self._commit(artifact, path["name"], path["project"] or self._project, added, [])

    def link_model(
        self, path: Any, registered_model_name: Any, name: str | None, aliases: list[str] | None
    ) -> None:
        if not isinstance(registered_model_name, str) or "/" in registered_model_name:
            raise AssertionError(
                f"link_model: registered_model_name {registered_model_name!r} must be a name "
                "only, without entity or project: registered models live in the project "
                f"{rules.MODEL_REGISTRY_PROJECT!r}"
            )
        problem = rules.name_problem(registered_model_name, "registered_model_name")
        if problem is not None:
            raise ValueError(f"link_model: {problem}")
        artifact = self.log_model(path, name, None)
        target = f"{rules.MODEL_REGISTRY_PROJECT}/{registered_model_name}"
        self.link(artifact, target, aliases)

    def use(
        self,
        artifact_or_name: Any,
        type_: str | None,
        aliases: list[str] | None,
        use_as: str | None,
    ) -> Artifact:
        if isinstance(artifact_or_name, Artifact):
            artifact = artifact_or_name
            if artifact._committed is None:  # a new artifact used as an input: logged first
                self.log(artifact, None, None, aliases, None)
        else:
            path = rules.parse_artifact_path(artifact_or_name)
            artifact = find_artifact(
                path, self._entity, self._project, self._client(), self.store, open_run
            )
            if type_ is not None and artifact.type != type_:
                raise ValueError(
                    f"use_artifact: artifact {artifact_or_name!r} is of type "
                    f"{artifact.type!r}, not {type_!r}"
                )
        committed = artifact._committed
        assert committed is not None
        record: kinds.UseArtifactRecord = {
            "entity": committed.entity,
            "project": committed.project,
            "name": artifact.collection_name,
            "digest": artifact.digest,
            "use_as": use_as,
            "time": time.time(),
        }
        self._append(kinds.USE_ARTIFACT, record)
        return artifact

    def _commit(
        self,
        artifact: Artifact,
        collection: str,
        project: str,
        aliases: list[str],
        tags: list[str],
    ) -> Committed:
        """Record ``artifact``'s files as the next version of ``collection`` in ``project``."""
        record = self._record(artifact, collection, project, aliases, tags)
        self._append(kinds.ARTIFACT, record)
        return self._note_version(record, project, collection)

    def _record(
        self,
        artifact: Artifact,
        collection: str,
        project: str,
        aliases: list[str],
        tags: list[str],
    ) -> kinds.ArtifactRecord:
        """The record of ``artifact``'s files, its manifest stored and its blobs in the run
        folder."""
        manifest = orjson.dumps(rules.new_manifest(artifact._entry_dict()))
        manifest_sha = self.store.add_bytes(manifest).sha256
        self._link_blobs(artifact, manifest_sha)
        now = time.time()
        record: kinds.ArtifactRecord = {
            "client_id": uuid.uuid4().hex,
            "name": collection,
            "type": artifact.type,
            "digest": artifact.digest,
            "manifest": manifest_sha,
            "size": artifact.size,
            "files": artifact.file_count,
            "description": artifact.description,
            "metadata": artifact.metadata,
            "aliases": [rules.LATEST, *(a for a in aliases if a != rules.LATEST)],
            "tags": tags,
            "time": now,
        }
        if project != self._project:
            record["project"] = project
        return record

    def _note_version(
        self, record: kinds.ArtifactRecord, project: str, collection: str
    ) -> Committed:
        """Note a version in this machine's index; where it lives (numbered here offline)."""
        run_path = f"{self._entity}/{self._project}/{self._run_id}"
        now = record.get("time") or time.time()
        index_line = {**record, "run": run_path, "created_at": now}
        self.store.note_version(self._entity, project, collection, index_line)
        committed = self._committed(project, collection, record.get("aliases") or [])
        committed.tags, committed.created_at = record.get("tags") or [], now
        if committed.client is None:  # offline: this machine numbers its versions
            for line in self.store.versions(self._entity, project, collection):
                if line["digest"] == record["digest"]:
                    committed.version_index = line["version_index"]
                    committed.aliases = line["aliases"]
        return committed

    def _committed(self, project: str, collection: str, aliases: list[str]) -> Committed:
        return Committed(
            self._entity,
            project,
            collection,
            self.store,
            self._client(),
            aliases=list(aliases),
            logged_by=f"{self._entity}/{self._project}/{self._run_id}",
            open_run=open_run,
        )

    def upsert(
        self,
        artifact_or_path: Any,
        name: str | None,
        type_: str | None,
        aliases: list[str] | None,
        distributed_id: str | None,
        group: str | None,
        final: bool,
    ) -> Artifact:
        """Add this run's files to the distributed version ``distributed_id`` (the run's group
        by default), or add them and finish it (``final``); see ``ArtifactRecord``."""
        method = "finish_artifact" if final else "upsert_artifact"
        artifact = self._artifact_of(artifact_or_path, name, type_, method)
        if artifact._committed is not None:
            raise ValueError(
                f"{method}: artifact {artifact.name!r} is already logged; make a new "
                "nbrun.Artifact for each part"
            )
        key = distributed_id if distributed_id is not None else group
        if key is None:
            raise ValueError(
                f"{method}: distributed_id is needed: pass distributed_id=... (the same in every "
                "run that adds to the version), or start those runs in one group "
                "(nbrun.init(group=...)), which it defaults to"
            )
        problem = rules.distributed_id_problem(key)
        if problem is not None:
            raise ValueError(f"{method}: {problem}")
        added = checked_aliases(aliases if aliases is not None else artifact._aliases)
        collection = artifact.collection_name
        record = self._record(artifact, collection, self._project, added, [])
        record["distributed_id"], record["final"] = key, final
        if self._client() is not None:  # the backend merges the parts when one finishes
            self._append(kinds.ARTIFACT, record)
            artifact._freeze(self._committed(self._project, collection, record["aliases"]))
            return artifact
        # Offline: this machine keeps the parts and merges them (the same rule as the backend).
        run_path = f"{self._entity}/{self._project}/{self._run_id}"
        if not final:
            self._append(kinds.ARTIFACT, record)
            line = {**record, "run": run_path}
            self.store.note_part(self._entity, self._project, collection, key, line)
            artifact._freeze(self._committed(self._project, collection, record["aliases"]))
            return artifact
        parts = self.store.take_parts(self._entity, self._project, collection, key)
        whole = merged_version(self.store, parts, record)
        if whole is None:
            raise ValueError(
                f"finish_artifact: nothing was upserted to artifact {collection!r} with "
                f"distributed_id {key!r} on this machine, and the artifact has no files"
            )
        self._append(kinds.ARTIFACT, record)
        committed = self._note_version(whole, self._project, collection)
        manifest = orjson.loads(self.store.blob_path(whole["manifest"]).read_bytes())
        entries = manifest["contents"].items()
        artifact._set_entries({p: Entry.from_manifest(p, e) for p, e in entries})
        artifact._freeze(committed)
        return artifact

    def log_model(self, path: Any, name: str | None, aliases: list[str] | None) -> Artifact:
        if name is not None:
            problem = rules.name_problem(name, "model name")
            if problem is not None:
                raise ValueError(f"log_model: {problem}")
        return self.log(path, name, MODEL_TYPE, aliases, None)

    def use_model(self, name: str) -> str:
        artifact = self.use(name, None, None, None)
        if MODEL_TYPE not in artifact.type:
            raise AssertionError(
                f"use_model: artifact {name!r} is of type {artifact.type!r}; use_model takes "
                "artifacts whose type contains 'model' (log them with log_model)"
            )
        return artifact.download()

    def log_code(
        self,
        root: str | None,
        name: str | None,
        include_fn: Callable[..., bool] | None,
        exclude_fn: Callable[..., bool] | None,
        program: str | None,
    ) -> Artifact | None:
        from nbrun.sdk.code_files import code_artifact_name, code_files

        folder = Path(root if root is not None else ".")
        found = code_files(folder, include_fn, exclude_fn)
        if not found:
            return None
        artifact = Artifact(name or code_artifact_name(self._project, program), "code")
        for relative, path in found:
            artifact.add_file(path, relative)
        return self.log(artifact, None, None, None, None)

    def _artifact_of(
        self,
        artifact_or_path: Any,
        name: str | None,
        type_: str | None,
        method: str = "log_artifact",
    ) -> Artifact:
        if isinstance(artifact_or_path, Artifact):
            return artifact_or_path
        if not isinstance(artifact_or_path, (str, os.PathLike)):
            raise TypeError(
                f"{method}: artifact_or_path must be an nbrun.Artifact or a path, got "
                f"{type(artifact_or_path).__name__}"
            )
        text = os.fspath(artifact_or_path)
        if "://" in text:
            artifact = Artifact(
                name or self._default_name(text.rstrip("/")), type_ or "unspecified"
            )
            artifact.add_reference(text)
            return artifact
        path = Path(text)
        if not path.exists():
            raise ValueError(f"{method}: artifact_or_path {text!r}: no such file or folder")
        artifact = Artifact(name or self._default_name(text), type_ or "unspecified")
        if path.is_dir():
            artifact.add_dir(path)
        else:
            artifact.add_file(path)
        return artifact

    def _default_name(self, path: str) -> str:
        """The reference's default, ``run-<id>-<file name>``, in the name alphabet."""
        base = os.path.basename(os.path.normpath(path)) or "artifact"
        cleaned = "".join(c if c.isalnum() or c in "-_." else "_" for c in base)
        return f"run-{self._run_id}-{cleaned}"[: rules.MAX_NAME_CHARS]

    def _link_blobs(self, artifact: Artifact, manifest_sha: str) -> None:
        """Make the run folder hold every blob it names (hard links: no bytes copied)."""
        if self._run_dir is None:
            return
        folder = self._run_dir.path / ARTIFACTS_FOLDER
        shas = [e.sha256 for e in artifact.manifest.entries.values() if e.sha256 is not None]
        for sha in [manifest_sha, *shas]:
            self.store.link_into(sha, blob_path(folder, sha))

    def _client(self) -> BackendClient | None:
        """A client of the run's backend for lookups on the caller's thread (the sender's own
        session stays the sender's)."""
        if self._backend is None:
            return None
        if self._lookup_client is None:
            from nbrun.sync.client import BackendClient

            self._lookup_client = BackendClient(self._backend.backend)
        return self._lookup_client

    def close(self) -> None:
        if self._lookup_client is not None:
            self._lookup_client.close()
