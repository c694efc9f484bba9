"""Entries of an artifact: their names, how their bytes are fetched and checked, references."""

from __future__ import annotations

import dataclasses
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from nbrun.artifacts.hashing import digest_file
from nbrun.errors import UsageError
from nbrun.protocol import artifacts as rules


@dataclasses.dataclass
class Entry:
    """One file of an artifact (``artifact.manifest.entries[path]``)."""

    path: str
    digest: str  # base64 MD5 (the reference's), or a reference's checksum
    size: int
    sha256: str | None = None  # where the bytes are stored; None for a reference
    ref: str | None = None
    # Gives a stored entry's bytes on this machine: set by the artifact that hands it out.
    _local_blob: Callable[[Entry], Path] | None = dataclasses.field(
        default=None, repr=False, compare=False
    )

    def download(self, root: str | os.PathLike[str] | None = None) -> str:
        """Write this one file under ``root`` (default: the working directory); its path."""
        if self._local_blob is None:
            raise ValueError(f"entry {self.path!r} belongs to no artifact: use Artifact.download")
        folder = Path(root) if root is not None else Path.cwd()
        return str(self.download_to(folder, self._local_blob))

    def manifest_entry(self) -> rules.ManifestEntry:
        entry: rules.ManifestEntry = {"digest": self.digest, "size": self.size}
        if self.sha256 is not None:
            entry["sha256"] = self.sha256
        if self.ref is not None:
            entry["ref"] = self.ref
        return entry

    @classmethod
    def from_manifest(cls, path: str, entry: dict[str, Any]) -> Entry:
        return cls(path, entry["digest"], int(entry["size"]), entry.get("sha256"), entry.get("ref"))

    def download_to(
        self,
        folder: Path,
        local_blob: Callable[[Entry], Path],
        allow_missing_references: bool = False,
    ) -> Path:
        """Write this entry under ``folder`` (unless an identical file is there) and return
        its path; ``local_blob`` gives a stored entry's bytes on this machine."""
        target = folder / self.path
        if self.sha256 is None:
            return self._copy_reference(target, allow_missing_references)
        same_size = target.is_file() and target.stat().st_size == self.size
        if same_size and digest_file(target).sha256 == self.sha256:
            return target
        copy_blob(local_blob(self), target)
        return target

    def _copy_reference(self, target: Path, allow_missing: bool) -> Path:
        assert self.ref is not None
        source = file_uri_path(self.ref)
        if not source.is_file():
            if allow_missing:
                return target
            raise FileNotFoundError(f"entry {self.path!r}: the referenced file {self.ref} is gone")
        copy_blob(source, target)
        if self.digest != self.ref and digest_file(target).md5_b64 != self.digest:
            target.unlink()
            raise ValueError(
                f"entry {self.path!r}: the referenced file {self.ref} changed since it was added"
            )
        return target


def entry_name(name: Any, argument: str) -> str:
    """``name`` as an entry path (``/``-separated), or ``ValueError`` naming ``argument``."""
    text = name.replace(os.sep, "/") if isinstance(name, str) else name
    problem = rules.entry_path_problem(text)
    if problem is not None:
        raise ValueError(f"{argument}: {problem}; entry names stay inside the artifact")
    return str(text)


def reference_entries(
    uri: Any, name: str | None, checksum: bool, max_objects: int | None
) -> list[Entry]:
    """The entries of a ``file://`` reference: one file, or every file under a folder."""
    if not isinstance(uri, str):
        raise TypeError(f"Artifact.add_reference: uri must be a string, got {uri!r}")
    scheme = urlsplit(uri).scheme
    if scheme not in rules.REFERENCE_SCHEMES:
        raise ValueError(
            f"Artifact.add_reference: uri {uri!r} has scheme {scheme!r}; supported: "
            + ", ".join(f"{s}://" for s in rules.REFERENCE_SCHEMES)
        )
    if scheme != "file":
        raise UsageError(
            f"Artifact.add_reference: {scheme}:// references are not supported yet; "
            "file:// references are"
        )
    path = file_uri_path(uri)
    limit = max_objects if max_objects is not None else 10_000_000
    if path.is_file():
        found = [(entry_name(name or path.name, "name"), path)]
    elif path.is_dir():
        prefix = entry_name(name, "name") + "/" if name else ""
        files = sorted(p for p in path.rglob("*") if p.is_file())
        if len(files) > limit:
            raise ValueError(
                f"Artifact.add_reference: {uri!r} holds {len(files)} files, more than "
                f"max_objects={limit}"
            )
        found = [(prefix + p.relative_to(path).as_posix(), p) for p in files]
    else:
        raise ValueError(f"Artifact.add_reference: uri {uri!r} names no file or folder")
    added = []
    for entry_path, file in found:
        ref = file.resolve().as_uri()
        size = file.stat().st_size
        digest = digest_file(file).md5_b64 if checksum else ref
        added.append(Entry(entry_path, digest, size, None, ref))
    return added


def file_uri_path(uri: str) -> Path:
    return Path(unquote(urlsplit(uri).path))


def verify_folder(folder: Path, entries: dict[str, Entry]) -> None:
    if not folder.is_dir():
        raise ValueError(f"Artifact.verify: {str(folder)!r} is not a folder")
    for path in sorted(entries):
        entry = entries[path]
        target = folder / path
        if not target.is_file():
            raise ValueError(f"Artifact.verify: {path!r} is missing from {str(folder)!r}")
        digests = digest_file(target)
        if digests.size != entry.size or (
            digests.md5_b64 != entry.digest and entry.digest != entry.ref
        ):
            raise ValueError(f"Artifact.verify: {path!r} in {str(folder)!r} has changed")
    for file in folder.rglob("*"):
        relative = file.relative_to(folder).as_posix()
        if file.is_file() and relative not in entries:
            raise ValueError(f"Artifact.verify: {relative!r} in {str(folder)!r} is not an entry")


def copy_blob(source: Path, target: Path) -> None:
    """Copy bytes out of the store (never a hard link: editing the copy must not change the
    store), replacing ``target`` whole."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.nbrun-tmp")
    shutil.copyfile(source, temporary)
    os.replace(temporary, target)
