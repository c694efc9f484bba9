"""This machine's artifact store: blobs by SHA-256, and the versions logged here.

``<data dir>/artifacts/blobs/<sha[:2]>/<sha>`` holds each content once, whatever artifact,
run or project it belongs to. ``index/<entity>/<project>/<name>.jsonl`` lists the versions
logged on this machine, in order, one JSON line each: what ``use_artifact`` falls back on
offline or while the backend is away. Versions numbered here count this machine's logs only;
the backend numbers the versions it commits. ``index/<entity>/<project>/<name>.parts/`` holds
the parts of distributed versions upserted offline and not finished yet (never versions).
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from nbrun.artifacts.hashing import (
    Digests,
    copy_with_digests,
    digest_bytes,
    write_with_digests,
)
from nbrun.paths import artifact_store_dir, blob_path


class ContentStore:
    def __init__(self, root: Path | None = None) -> None:
        self.root = root if root is not None else artifact_store_dir()

    def blob_path(self, sha256: str) -> Path:
        return blob_path(self.root, sha256)

    def has(self, sha256: str) -> bool:
        return self.blob_path(sha256).is_file()

    def add_file(self, source: Path) -> Digests:
        """Copy ``source`` in (read once), unless its content is already here."""
        temporary = self._temporary()
        try:
            digests = copy_with_digests(source, temporary)
            self._keep(temporary, digests.sha256)
        finally:
            temporary.unlink(missing_ok=True)
        return digests

    def add_bytes(self, data: bytes) -> Digests:
        digests = digest_bytes(data)
        if not self.has(digests.sha256):
            temporary = self._temporary()
            try:
                temporary.write_bytes(data)
                self._keep(temporary, digests.sha256)
            finally:
                temporary.unlink(missing_ok=True)
        return digests

    def add_chunks(self, chunks: Iterable[bytes], expected_sha256: str) -> Digests:
        """Store streamed bytes (a download) if they hash to ``expected_sha256``; else
        ``ValueError`` and nothing is kept."""
        temporary = self._temporary()
        try:
            digests = write_with_digests(chunks, temporary)
            if digests.sha256 != expected_sha256:
                raise ValueError(f"the bytes hash to {digests.sha256}, not {expected_sha256}")
            self._keep(temporary, digests.sha256)
        finally:
            temporary.unlink(missing_ok=True)
        return digests

    def link_into(self, sha256: str, target: Path) -> None:
        """Make ``target`` hold the blob: a hard link where the filesystem allows, else a copy."""
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(self.blob_path(sha256), target)
        except OSError:
            temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
            temporary.write_bytes(self.blob_path(sha256).read_bytes())
            os.replace(temporary, target)

    def _temporary(self) -> Path:
        folder = self.root / "tmp"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / uuid.uuid4().hex

    def _keep(self, temporary: Path, sha256: str) -> None:
        final = self.blob_path(sha256)
        if final.is_file():
            return
        final.parent.mkdir(parents=True, exist_ok=True)
        # Blobs are never written in place: what a reader opens is whole.
        os.chmod(temporary, 0o444)
        os.replace(temporary, final)

    # The versions logged on this machine.

    def _index_path(self, entity: str, project: str, name: str) -> Path:
        return self.root / "index" / entity / project / f"{name}.jsonl"

    def note_version(self, entity: str, project: str, name: str, line: dict[str, Any]) -> None:
        path = self._index_path(entity, project, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        # One write of one line in append mode: lines of concurrent writers never interleave.
        with open(path, "a", encoding="utf-8") as index:
            index.write(json.dumps(line, separators=(",", ":")) + "\n")

    def versions(self, entity: str, project: str, name: str) -> list[dict[str, Any]]:
        """The versions logged here, oldest first: each digest once (numbered in that order),
        aliases as the latest logs set them (an alias moves to the version logged last with it),
        ``latest`` on the newest."""
        try:
            text = self._index_path(entity, project, name).read_text(encoding="utf-8")
        except OSError:
            return []
        by_digest: dict[str, dict[str, Any]] = {}
        for line in text.splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a torn last line
            known = by_digest.get(entry["digest"])
            if known is None:
                entry = {**entry, "version_index": len(by_digest)}
                by_digest[entry["digest"]] = known = entry
            aliases = set(entry.get("aliases", ()))
            for other in by_digest.values():
                if other is not known:
                    other["aliases"] = [a for a in other.get("aliases", ()) if a not in aliases]
            known["aliases"] = sorted(set(known.get("aliases", ())) | aliases)
        found = list(by_digest.values())
        for entry in found:
            entry["aliases"] = [a for a in entry["aliases"] if a != "latest"]
        if found:
            found[-1]["aliases"] = [*found[-1]["aliases"], "latest"]
        return found

    # The parts of distributed versions upserted here and not finished yet.

    def _parts_path(self, entity: str, project: str, name: str, distributed_id: str) -> Path:
        key = hashlib.sha256(distributed_id.encode()).hexdigest()  # any text, a safe file name
        return self.root / "index" / entity / project / f"{name}.parts" / f"{key}.jsonl"

    def note_part(
        self, entity: str, project: str, name: str, distributed_id: str, line: dict[str, Any]
    ) -> None:
        """Keep an upserted part (its record) until a run on this machine finishes it."""
        path = self._parts_path(entity, project, name, distributed_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as parts:
            parts.write(json.dumps(line, separators=(",", ":")) + "\n")

    def take_parts(
        self, entity: str, project: str, name: str, distributed_id: str
    ) -> list[dict[str, Any]]:
        """The waiting parts, oldest first, no longer waiting: the file is renamed away in one
        step, so a part upserted meanwhile starts the next version instead of being lost."""
        path = self._parts_path(entity, project, name, distributed_id)
        taken = path.with_name(f".{path.stem}.{uuid.uuid4().hex}.taken")
        try:
            os.replace(path, taken)
        except FileNotFoundError:
            return []
        try:
            lines = taken.read_text(encoding="utf-8").splitlines()
        finally:
            taken.unlink(missing_ok=True)
        found = []
        for line in lines:
            try:
                found.append(json.loads(line))
            except ValueError:
                continue  # a torn last line
        return found

    def project_names(self, entity: str, project: str) -> list[str]:
        folder = self.root / "index" / entity / project
        return sorted(p.stem for p in folder.glob("*.jsonl")) if folder.is_dir() else []
