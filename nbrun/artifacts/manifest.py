"""``artifact.manifest``: the entries by path, and the reference's JSON document."""

from __future__ import annotations

from typing import Any

from nbrun.artifacts.entries import Entry
from nbrun.protocol import artifacts as rules


class ArtifactManifest:
    """``artifact.manifest``: ``entries`` by path, and the reference's JSON."""

    def __init__(self, entries: dict[str, Entry]) -> None:
        self.entries = dict(entries)

    def to_manifest_json(self) -> dict[str, Any]:
        return dict(
            rules.new_manifest({p: self.entries[p].manifest_entry() for p in sorted(self.entries)})
        )

    def digest(self) -> str:
        return rules.manifest_digest({p: {"digest": e.digest} for p, e in self.entries.items()})
