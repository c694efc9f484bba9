"""``nbrun.Artifact``: a versioned set of files, built locally and logged by a run.

Files are copied into this machine's content store as they are added (read once: digests and
copy together), so what is logged is what was added, even if the file changes afterwards, and
logging is instant. After ``log_artifact`` or ``use_artifact`` the object describes a version
and can no longer change.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from nbrun.artifacts import entries as entry_rules
from nbrun.artifacts.checks import checked_aliases, checked_tags, type_name
from nbrun.artifacts.committed import Committed
from nbrun.artifacts.content_store import ContentStore
from nbrun.artifacts.entries import Entry
from nbrun.artifacts.errors import ArtifactFinalizedError, ArtifactNotLoggedError
from nbrun.artifacts.hashing import digest_file
from nbrun.artifacts.manifest import ArtifactManifest, entries_digest, manifest_contents
from nbrun.errors import UsageError
from nbrun.protocol import artifacts as rules

if TYPE_CHECKING:
    from nbrun.data_types.media import Media

_HASH_THREADS = min(4, os.cpu_count() or 1)


class Artifact:
    """A dataset, a model, any set of files: ``add_file``/``add_dir``/``new_file``/``add``,
    then ``run.log_artifact(artifact)``."""

    def __init__(
        self,
        name: str,
        type: str,
        description: str | None = None,
        metadata: dict[str, Any] | None = None,
        incremental: bool = False,
        use_as: str | None = None,
    ) -> None:
        problem = rules.name_problem(name) or rules.type_problem(type)
        if problem is not None:
            raise ValueError(f"nbrun.Artifact: {problem}")
        if description is not None and not isinstance(description, str):
            raise TypeError(f"nbrun.Artifact: description must be a string, got {description!r}")
        if metadata is not None and not isinstance(metadata, dict):
            raise TypeError(f"nbrun.Artifact: metadata must be a dict, got {type_name(metadata)}")
        self._name = name
        self._type = type
        self.description = description
        self._metadata: dict[str, Any] = dict(metadata or {})
        self.incremental = incremental
        self.use_as = use_as
        self._entries: dict[str, Entry] = {}
        self._store = ContentStore()
        self._committed: Committed | None = None
        self._aliases: list[str] = []
        self._tags: list[str] = []

    # What the artifact is.

    @property
    def name(self) -> str:
        """``name``, and ``name:v3`` once the version is known (as the reference shows it)."""
        committed = self._committed
        if committed is not None and committed.version_index is not None:
            return f"{self._name}:{rules.version_label(committed.version_index)}"
        return self._name

    @property
    def source_name(self) -> str:
        return self.name

    @property
    def collection_name(self) -> str:
        return self._name

    @property
    def type(self) -> str:
        return self._type

    @property
    def entity(self) -> str | None:
        return self._committed.entity if self._committed else None

    @property
    def project(self) -> str | None:
        return self._committed.project if self._committed else None

    @property
    def qualified_name(self) -> str:
        committed = self._require_committed("qualified_name")
        return f"{committed.entity}/{committed.project}/{self.name}"

    @property
    def version(self) -> str:
        """``v0``, ``v1``, ... once committed (``wait()`` for a version logged online)."""
        committed = self._require_committed("version")
        if committed.version_index is None:
            committed.refresh(self.digest)
        if committed.version_index is None:
            raise ArtifactNotLoggedError(
                f"artifact {self._name!r} has no version yet: the backend has not committed "
                "it (call artifact.wait())"
            )
        return rules.version_label(committed.version_index)

    @property
    def metadata(self) -> dict[str, Any]:
        return self._metadata

    @metadata.setter
    def metadata(self, value: dict[str, Any]) -> None:
        if not isinstance(value, dict):
            raise TypeError(f"Artifact.metadata must be a dict, got {type_name(value)}")
        self._require_draft("set metadata")
        self._metadata = dict(value)

    @property
    def aliases(self) -> list[str]:
        return list(self._committed.aliases if self._committed else self._aliases)

    @aliases.setter
    def aliases(self, value: list[str]) -> None:
        self._require_draft("set aliases (log the same files again with aliases=[...])")
        self._aliases = checked_aliases(value)

    @property
    def tags(self) -> list[str]:
        return list(self._committed.tags if self._committed else self._tags)

    @tags.setter
    def tags(self, value: list[str]) -> None:
        self._require_draft("set tags (log the same files again with tags=[...])")
        self._tags = checked_tags(value)

    @property
    def manifest(self) -> ArtifactManifest:
        return ArtifactManifest(self._entries)

    @property
    def digest(self) -> str:
        return entries_digest(self._entries)

    @property
    def size(self) -> int:
        return sum(entry.size for entry in self._entries.values())

    @property
    def file_count(self) -> int:
        return len(self._entries)

    @property
    def state(self) -> str:
        if self._committed is None:
            return "PENDING"
        return "COMMITTED" if self._committed.version_index is not None else "PENDING"

    @property
    def created_at(self) -> float | None:
        return self._committed.created_at if self._committed else None

    def __repr__(self) -> str:
        return f"<Artifact {self.name!r} type={self._type!r} files={len(self._entries)}>"

    # Building the contents.

    def add_file(
        self,
        local_path: str | os.PathLike[str],
        name: str | None = None,
        is_tmp: bool | None = False,
        skip_cache: bool | None = False,
        policy: str | None = "mutable",
        overwrite: bool = False,
    ) -> Entry:
        """Add the file ``local_path`` as ``name`` (default: its file name)."""
        self._require_draft("add files")
        path = Path(local_path)
        if not path.is_file():
            what = "a directory: use add_dir()" if path.is_dir() else "no such file"
            raise ValueError(f"Artifact.add_file: local_path {str(path)!r} is {what}")
        entry_name = entry_rules.entry_name(name if name is not None else path.name, "name")
        if is_tmp:
            stem, dot, suffix = entry_name.rpartition(".")
            digests = digest_file(path)
            entry_name = f"{digests.md5_b64[:8].replace('/', '_')}.{suffix}" if dot else stem
        self._check_new(entry_name, overwrite)
        entry = self._stored_entry(entry_name, path)
        self._entries[entry_name] = entry
        return entry

    def add_dir(
        self,
        local_path: str | os.PathLike[str],
        name: str | None = None,
        skip_cache: bool | None = False,
        policy: str | None = "mutable",
        merge: bool = False,
    ) -> None:
        """Add every file under ``local_path``, named by their paths below it (under ``name``
        if given)."""
        self._require_draft("add files")
        root = Path(local_path)
        if not root.is_dir():
            raise ValueError(f"Artifact.add_dir: local_path {str(root)!r} is not a directory")
        prefix = entry_rules.entry_name(name, "name") + "/" if name else ""
        found = sorted(p for p in root.rglob("*") if p.is_file())
        names = [prefix + p.relative_to(root).as_posix() for p in found]
        for entry_name in names:
            entry_rules.entry_name(entry_name, "a file under local_path")
            if not merge:
                self._check_new(entry_name, overwrite=False)
        # Copying and hashing release the GIL: a few threads keep the disk and the cores busy.
        with ThreadPoolExecutor(_HASH_THREADS) as pool:
            stored = list(pool.map(self._stored_entry, names, found))
        self._entries.update((entry.path, entry) for entry in stored)

    @contextlib.contextmanager
    def new_file(
        self, name: str, mode: str = "x", encoding: str | None = None
    ) -> Iterator[IO[Any]]:
        """A file to write that becomes the entry ``name`` when the block ends."""
        self._require_draft("add files")
        entry_name = entry_rules.entry_name(name, "name")
        self._check_new(entry_name, overwrite=False)
        if mode not in ("x", "w", "xb", "wb"):
            raise ValueError(
                f"Artifact.new_file: mode must be 'x', 'w', 'xb' or 'wb', not {mode!r}"
            )
        with tempfile.TemporaryDirectory(prefix="nbrun-artifact-") as folder:
            path = Path(folder) / "file"
            with open(path, mode, encoding=encoding if "b" not in mode else None) as f:
                yield f
            self._entries[entry_name] = self._stored_entry(entry_name, path)

    def add(self, obj: Media, name: str, overwrite: bool = False) -> Entry:
        """Add a media value (a ``Table``, an ``Image``, ...) as ``<name>.<type>.json`` and its
        files; ``get(name)`` gives a table back."""
        from nbrun.artifacts.media_entries import media_entries

        self._require_draft("add objects")
        added = media_entries(obj, entry_rules.entry_name(name, "name"))
        self._check_new(added[0][0], overwrite)
        first: Entry | None = None
        for entry_name, data in added:
            digests = self._store.add_bytes(data)
            entry = Entry(entry_name, digests.md5_b64, digests.size, digests.sha256)
            self._entries[entry_name] = entry
            first = first or entry
        assert first is not None
        return first

    def add_reference(
        self,
        uri: str,
        name: str | None = None,
        checksum: bool = True,
        max_objects: int | None = None,
    ) -> list[Entry]:
        """Track files outside nbrun's storage by URI (``file://`` now), without copying."""
        self._require_draft("add references")
        added = entry_rules.reference_entries(uri, name, checksum, max_objects)
        for entry in added:
            self._entries[entry.path] = entry
        return added

    def remove(self, item: str | Entry) -> None:
        self._require_draft("remove files")
        path = item.path if isinstance(item, Entry) else item
        prefix = path.rstrip("/") + "/"
        gone = [p for p in self._entries if p == path or p.startswith(prefix)]
        if not gone:
            raise FileNotFoundError(f"Artifact.remove: {self._name!r} has no entry {path!r}")
        for p in gone:
            del self._entries[p]

    def get_entry(self, name: str) -> Entry:
        entry = self._entries.get(name)
        if entry is None:
            raise KeyError(f"artifact {self._name!r} has no entry {name!r}")
        entry._local_blob = self._local_blob
        return entry

    def get_path(self, name: str) -> Entry:
        return self.get_entry(name)

    def get(self, name: str) -> Any:
        """The ``Table`` (or media payload) added as ``name``, or None."""
        from nbrun.artifacts.media_entries import read_media_entry

        return read_media_entry(self._entries, self._local_blob, name)

    def files(self) -> list[Entry]:
        return [self._entries[p] for p in sorted(self._entries)]

    # Getting the contents.

    def download(
        self,
        root: str | os.PathLike[str] | None = None,
        allow_missing_references: bool = False,
        skip_cache: bool | None = None,
        path_prefix: str | None = None,
    ) -> str:
        """Write the files to ``root`` (default ``./artifacts/<name>:<version>``), each checked
        against its digest; returns the folder."""
        folder = Path(root) if root is not None else self._default_root()
        wanted = [e for p, e in sorted(self._entries.items()) if p.startswith(path_prefix or "")]
        # Fetching, checking and copying overlap across a few threads (they release the GIL).
        with ThreadPoolExecutor(_HASH_THREADS) as pool:
            done = pool.map(
                lambda e: e.download_to(folder, self._local_blob, allow_missing_references),
                wanted,
            )
            list(done)  # raises the first error
        return str(folder)

    def checkout(self, root: str | os.PathLike[str] | None = None) -> str:
        """``download`` and remove every other file under ``root``."""
        folder = Path(self.download(root))
        for path in sorted(folder.rglob("*"), reverse=True):
            relative = path.relative_to(folder).as_posix()
            if path.is_file() and relative not in self._entries:
                path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
        return str(folder)

    def verify(self, root: str | os.PathLike[str] | None = None) -> None:
        """Raise ``ValueError`` naming the first file under ``root`` that differs from the
        manifest (changed, missing or extra)."""
        folder = Path(root) if root is not None else self._default_root()
        entry_rules.verify_folder(folder, self._entries)

    def file(self, root: str | os.PathLike[str] | None = None) -> str:
        """The path of the one file of a one-file artifact, downloaded."""
        if len(self._entries) != 1:
            raise ValueError(
                f"Artifact.file() needs an artifact of exactly one file; {self._name!r} has "
                f"{len(self._entries)} (use download())"
            )
        folder = Path(self.download(root))
        return str(folder / next(iter(self._entries)))

    def wait(self, timeout: float | None = None) -> Artifact:
        """Block until the backend has committed the logged version (at once offline)."""
        committed = self._require_committed("wait")
        committed.wait(self.digest, timeout)
        return self

    def logged_by(self) -> Any:
        committed = self._require_committed("logged_by")
        return committed.logged_by_run()

    def used_by(self) -> list[Any]:
        committed = self._require_committed("used_by")
        return committed.used_by_runs(self._name, self.digest)

    def save(self, project: str | None = None, settings: Any = None) -> None:
        raise UsageError(
            "Artifact.save() outside a run is not supported yet: log it with "
            "run.log_artifact(artifact)"
        )

    # The run's side.

    def _local_blob(self, entry: Entry) -> Path:
        """Where ``entry``'s bytes are on this machine (fetched from the backend if need be)."""
        assert entry.sha256 is not None
        blob = self._store.blob_path(entry.sha256)
        if not blob.is_file():
            if self._committed is None:
                raise FileNotFoundError(f"entry {entry.path!r}: its stored copy is gone ({blob})")
            self._committed.fetch_blob(self._name, entry)
        return blob

    def _freeze(self, committed: Committed) -> None:
        self._committed = committed

    def _entry_dict(self) -> dict[str, Any]:
        return dict(manifest_contents(self._entries))

    def _set_entries(self, entries: dict[str, Entry]) -> None:
        self._entries = entries

    def _require_draft(self, what: str) -> None:
        if self._committed is not None:
            raise ArtifactFinalizedError(
                f"cannot {what}: artifact {self.name!r} is logged or used and cannot change; "
                "make a new nbrun.Artifact for a new version"
            )

    def _require_committed(self, what: str) -> Committed:
        if self._committed is None:
            raise ArtifactNotLoggedError(
                f"Artifact.{what} needs a logged artifact: log {self._name!r} with "
                "run.log_artifact() first"
            )
        return self._committed

    def _check_new(self, entry_name: str, overwrite: bool) -> None:
        if entry_name in self._entries and not overwrite:
            raise ValueError(
                f"artifact {self._name!r} already has an entry {entry_name!r}; pass "
                "overwrite=True to replace it"
            )

    def _stored_entry(self, entry_name: str, path: Path) -> Entry:
        try:
            digests = self._store.add_file(path)
        except OSError as exc:
            raise ValueError(f"artifact {self._name!r}: cannot read {str(path)!r}: {exc}") from None
        return Entry(entry_name, digests.md5_b64, digests.size, digests.sha256)

    def _default_root(self) -> Path:
        label = self.version if self._committed is not None else "draft"
        return Path("artifacts") / f"{self._name}:{label}"
