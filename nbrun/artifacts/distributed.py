"""Distributed versions on this machine (offline): the parts upserted here, merged by the rules
the backend applies (``nbrun.protocol.artifacts.merged_contents``, ``merged_part_fields``)."""

from __future__ import annotations

from typing import Any, cast

import orjson

from nbrun.artifacts.content_store import ContentStore
from nbrun.protocol import artifacts as rules
from nbrun.record.types import ArtifactRecord


def merged_version(
    store: ContentStore, parts: list[dict[str, Any]], record: ArtifactRecord
) -> ArtifactRecord | None:
    """The record of the version that ``parts`` (upserted records, oldest first) and the
    finishing ``record`` make, its merged manifest put in ``store``; None when it has no
    files."""
    lines: list[Any] = [*parts, record]
    manifests = [orjson.loads(store.blob_path(line["manifest"]).read_bytes()) for line in lines]
    contents = rules.merged_contents(manifest["contents"] for manifest in manifests)
    if not contents:
        return None
    merged = orjson.dumps(rules.new_manifest(contents))
    fields = rules.merged_part_fields(lines)
    fields["aliases"] = [rules.LATEST, *(a for a in fields["aliases"] if a != rules.LATEST)]
    return cast(ArtifactRecord, {**record, **fields}) | {
        "digest": rules.manifest_digest(contents),
        "manifest": store.add_bytes(merged).sha256,
        "size": sum(entry["size"] for entry in contents.values()),
        "files": len(contents),
    }
