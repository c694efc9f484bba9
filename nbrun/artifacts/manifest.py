"""``artifact.manifest``: the entries by path, and the reference's JSON document."""

from __future__ import annotations

from typing import Any

from nbrun.artifacts.entries import Entry
from nbrun.protocol import artifacts as rules


def manifest_contents(entries: dict[str, Entry]) -> dict[str, rules.ManifestEntry]:
    """The manifest's ``contents``: each entry as stored, in path order."""
    return {path: entries[path].manifest_entry() for path in sorted(entries)}


def entries_digest(entries: dict[str, Entry]) -> str:
    """The artifact digest of ``entries`` (the reference's, over their digests)."""
    return rules.manifest_digest({p: {"digest": e.digest} for p, e in entries.items()})


class ArtifactManifest:
    """``artifact.manifest``: ``entries`` by path, and the reference's JSON."""

    def __init__(self, entries: dict[str, Entry]) -> None:
        self.entries = dict(entries)

    def to_manifest_json(self) -> dict[str, Any]:
        return dict(rules.new_manifest(manifest_contents(self.entries)))

    def digest(self) -> str:
        return entries_digest(self.entries)
