"""Artifacts as every part sees them: the name rules, the manifest and its digest, entry paths.

The manifest is the reference's JSON document (``version``, ``storagePolicy``, ``contents``:
entry path -> ``{digest, size, ...}``) with one addition per stored entry, ``sha256``: the
content address of its bytes in the blob stores (the client's cache and the server's). The
digest of an artifact is the reference's: the hex MD5 of a header line and one
``path:digest`` line per entry in path order, so identical contents are the same version
wherever they are logged.
"""

from __future__ import annotations

import hashlib
import re
import sys
from collections.abc import Iterable, Mapping
from typing import Any, Final, TypedDict

if sys.version_info >= (3, 11):
    from typing import NotRequired
else:  # Python 3.10
    from typing_extensions import NotRequired

MANIFEST_VERSION: Final = 1
STORAGE_POLICY: Final = "wandb-storage-policy-v1"
_DIGEST_HEADER: Final = b"wandb-artifact-manifest-v1\n"

LATEST: Final = "latest"  # the alias that always marks the newest version
MODEL_REGISTRY_PROJECT: Final = "model-registry"
MAX_NAME_CHARS: Final = 128
MAX_ALIAS_CHARS: Final = 128
MAX_DISTRIBUTED_ID_CHARS: Final = 128
MAX_ENTRY_PATH_CHARS: Final = 1024
MAX_MANIFEST_ENTRIES: Final = 1_000_000
REFERENCE_SCHEMES: Final = ("file", "s3", "http", "https")

_NAME = re.compile(r"[A-Za-z0-9_.-]+")
_ALIAS_REFUSED = re.compile(r"[/:\x00-\x1f\x7f]")
_VERSION = re.compile(r"v(\d+)")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_MD5_HEX = re.compile(r"[0-9a-f]{32}")


class ManifestEntry(TypedDict):
    digest: str  # base64 MD5 of the bytes (the reference's), or a reference's checksum
    size: int
    sha256: NotRequired[str]  # hex SHA-256: where the bytes are stored; absent for references
    ref: NotRequired[str]  # a reference entry's URI (file://, s3://, http(s)://)
    extra: NotRequired[dict[str, Any]]


class Manifest(TypedDict):
    version: int
    storagePolicy: str
    storagePolicyConfig: dict[str, Any]
    contents: dict[str, ManifestEntry]


def new_manifest(contents: dict[str, ManifestEntry]) -> Manifest:
    return {
        "version": MANIFEST_VERSION,
        "storagePolicy": STORAGE_POLICY,
        "storagePolicyConfig": {},
        "contents": contents,
    }


def manifest_digest(contents: Mapping[str, Mapping[str, Any]]) -> str:
    """The artifact's digest (hex MD5), as the reference computes it from its entries."""
    hasher = hashlib.md5(_DIGEST_HEADER)
    for path in sorted(contents):
        hasher.update(f"{path}:{contents[path]['digest']}\n".encode())
    return hasher.hexdigest()


def merged_contents(parts: Iterable[Mapping[str, ManifestEntry]]) -> dict[str, ManifestEntry]:
    """The entries of a distributed version: the union of its parts' (upserts', then the
    finishing record's) manifest contents, in path order. Where two parts hold the same path,
    the later part's entry wins (the part that reached the store last)."""
    merged: dict[str, ManifestEntry] = {}
    for contents in parts:
        merged.update(contents)
    return {path: merged[path] for path in sorted(merged)}


def merged_part_fields(parts: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The aliases and tags (each once, in the order first given), metadata (a key in two parts
    keeps the later value) and description (the last one given) of a distributed version,
    from its parts' records in order (the finishing record last)."""
    aliases: dict[str, None] = {}
    tags: dict[str, None] = {}
    metadata: dict[str, Any] = {}
    description = None
    for part in parts:
        aliases.update(dict.fromkeys(part.get("aliases") or ()))
        tags.update(dict.fromkeys(part.get("tags") or ()))
        metadata.update(part.get("metadata") or {})
        if part.get("description") is not None:
            description = part["description"]
    return {
        "aliases": list(aliases),
        "tags": list(tags),
        "metadata": metadata,
        "description": description,
    }


def name_problem(name: Any, what: str = "artifact name") -> str | None:
    """Why ``name`` cannot name an artifact (or a registered model), or None."""
    if not isinstance(name, str):
        return f"{what} must be a string, got {type(name).__name__}"
    if not 0 < len(name) <= MAX_NAME_CHARS or not _NAME.fullmatch(name):
        return (
            f"{what} {name!r} is invalid: use 1 to {MAX_NAME_CHARS} letters, digits, "
            "dashes, underscores and dots"
        )
    return None


def type_problem(type_: Any) -> str | None:
    problem = name_problem(type_, "artifact type")
    if problem is None and type_.startswith(("wandb-", "nbrun-")):
        return f"artifact type {type_!r} is reserved: types starting wandb- or nbrun- are internal"
    return problem


def alias_problem(alias: Any) -> str | None:
    """Why ``alias`` cannot be an alias (``v3`` names a version, ``/`` and ``:`` split paths)."""
    if not isinstance(alias, str):
        return f"aliases must be strings, got {alias!r} ({type(alias).__name__})"
    if not 0 < len(alias) <= MAX_ALIAS_CHARS or _ALIAS_REFUSED.search(alias):
        return (
            f"alias {alias!r} is invalid: 1 to {MAX_ALIAS_CHARS} characters, no '/', ':' or "
            "control characters"
        )
    if _VERSION.fullmatch(alias):
        return f"alias {alias!r} is invalid: v<number> names a version and is set by nbrun"
    return None


def distributed_id_problem(distributed_id: Any) -> str | None:
    """Why ``distributed_id`` cannot name a distributed version (the parts that
    ``upsert_artifact`` adds to and ``finish_artifact`` finalizes), or None."""
    if not isinstance(distributed_id, str):
        return f"distributed_id must be a string, got {type(distributed_id).__name__}"
    if not 0 < len(distributed_id) <= MAX_DISTRIBUTED_ID_CHARS or any(
        ord(c) < 32 or ord(c) == 127 for c in distributed_id
    ):
        return (
            f"distributed_id {distributed_id!r} is invalid: 1 to {MAX_DISTRIBUTED_ID_CHARS} "
            "characters, no control characters"
        )
    return None


def tag_problem(tag: Any) -> str | None:
    if not isinstance(tag, str):
        return f"tags must be strings, got {tag!r} ({type(tag).__name__})"
    if not 0 < len(tag) <= MAX_ALIAS_CHARS or not _NAME.fullmatch(tag):
        return f"tag {tag!r} is invalid: use letters, digits, dashes, underscores and dots"
    return None


def entry_path_problem(path: Any) -> str | None:
    """Why ``path`` cannot name an entry (or a run file): it must stay inside its folder."""
    if not isinstance(path, str) or not 0 < len(path) <= MAX_ENTRY_PATH_CHARS:
        return f"path must be a string of 1 to {MAX_ENTRY_PATH_CHARS} characters, got {path!r}"
    if "\\" in path or any(ord(c) < 32 or ord(c) == 127 for c in path):
        return f"path {path!r} has a backslash or a control character"
    if path.startswith("/") or (len(path) > 1 and path[1] == ":"):
        return f"path {path!r} is absolute; paths are relative"
    if any(part in ("", ".", "..") for part in path.split("/")):
        return f"path {path!r} has an empty, '.' or '..' part"
    return None


def manifest_problem(manifest: Any) -> str | None:
    """Why ``manifest`` is not a well-formed :class:`Manifest`, or None."""
    if not isinstance(manifest, dict) or not isinstance(manifest.get("contents"), dict):
        return "a manifest must be a JSON object with a 'contents' object"
    contents = manifest["contents"]
    if len(contents) > MAX_MANIFEST_ENTRIES:
        return f"a manifest holds at most {MAX_MANIFEST_ENTRIES} entries"
    for path, entry in contents.items():
        problem = entry_path_problem(path)
        if problem is not None:
            return f"manifest entry {problem}"
        if not isinstance(entry, dict) or not isinstance(entry.get("digest"), str):
            return f"manifest entry {path!r} needs a digest string"
        size = entry.get("size")
        if type(size) is not int or size < 0:
            return f"manifest entry {path!r} needs a size, a non-negative integer"
        sha = entry.get("sha256")
        if sha is None and not isinstance(entry.get("ref"), str):
            return f"manifest entry {path!r} needs a sha256 or a ref"
        if sha is not None and not (isinstance(sha, str) and _SHA256.fullmatch(sha)):
            return f"manifest entry {path!r} has a sha256 that is not 64 hex digits"
    return None


def is_sha256(text: str) -> bool:
    return bool(_SHA256.fullmatch(text))


def version_index(text: str) -> int | None:
    """``3`` for ``"v3"``; None for anything else (an alias or a digest)."""
    match = _VERSION.fullmatch(text)
    return int(match.group(1)) if match else None


def is_digest(text: str) -> bool:
    return bool(_MD5_HEX.fullmatch(text))


def version_label(index: int) -> str:
    return f"v{index}"


class ArtifactPath(TypedDict):
    entity: str | None
    project: str | None
    name: str
    version: str | None  # vN, an alias, or a digest; None: not given


def parse_artifact_path(text: Any, what: str = "artifact_or_name") -> ArtifactPath:
    """Split ``[[entity/]project/]name[:version_or_alias]``; ``ValueError`` names what is wrong."""
    if not isinstance(text, str) or not text:
        raise ValueError(f"{what} must be an artifact name like 'name:latest', got {text!r}")
    path, _, version = text.partition(":")
    parts = path.split("/")
    if len(parts) > 3 or any(not part for part in parts):
        raise ValueError(f"{what} {text!r} is not [[entity/]project/]name[:version or alias]")
    problem = name_problem(parts[-1])
    if problem is not None:
        raise ValueError(f"{what} {text!r}: {problem}")
    if ":" in version or (":" in text and not version):
        raise ValueError(f"{what} {text!r} has an empty or second ':'")
    entity = parts[0] if len(parts) == 3 else None
    project = parts[-2] if len(parts) >= 2 else None
    return {"entity": entity, "project": project, "name": parts[-1], "version": version or None}
