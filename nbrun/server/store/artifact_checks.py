"""Checks of a batch's artifact records before its transaction: the protocol's rules for names,
types, aliases and tags, and the manifest and every blob it names present in the blob store.

Done before the transaction (reading a large manifest takes a while, and nothing here needs the
database), in the ingest route: a record that fails becomes a refused record, so one bad
artifact never holds back the records around it.
"""

from __future__ import annotations

import operator
import re
from typing import Any

import orjson

from nbrun.protocol.artifacts import (
    alias_problem,
    distributed_id_problem,
    is_digest,
    is_sha256,
    manifest_digest,
    manifest_problem,
    name_problem,
    tag_problem,
    type_problem,
)
from nbrun.protocol.http import MAX_PATH_NAME_CHARS, PATH_NAME_PATTERN
from nbrun.record import types
from nbrun.server.store.blobs import BlobMissingError, BlobStore
from nbrun.server.store.ingest import REFUSED, Record

_KINDS = frozenset({types.ARTIFACT, types.USE_ARTIFACT})
# Entities and projects as the API's paths accept them.
_PATH_NAME = re.compile(PATH_NAME_PATTERN)
MAX_CLIENT_ID_CHARS = 128


def vet_records(records: list[Record], blobs: BlobStore) -> list[Record]:
    """``records`` with each artifact or use record that breaks a rule replaced by a refusal
    (``(seq, REFUSED, {"kind", "reason"})``, as validation does)."""
    if _KINDS.isdisjoint(map(operator.itemgetter(1), records)):
        return records  # the common batch, told apart at C speed
    out = list(records)
    for index, (seq, kind, payload) in enumerate(records):
        if kind == types.ARTIFACT:
            problem = artifact_problem(payload, blobs)
        elif kind == types.USE_ARTIFACT:
            problem = use_problem(payload)
        else:
            continue
        if problem is not None:
            out[index] = (seq, REFUSED, {"kind": kind, "reason": problem})
    return out


def path_name_problem(value: Any, what: str) -> str | None:
    if (
        not isinstance(value, str)
        or not _PATH_NAME.fullmatch(value)
        or len(value) > MAX_PATH_NAME_CHARS
    ):
        return (
            f"{what} {value!r} is invalid: 1 to {MAX_PATH_NAME_CHARS} characters, no '/', '\\' or "
            "controls"
        )
    return None


def _rules_problem(payload: dict[str, Any]) -> str | None:
    """The rules an artifact record's own fields break (shapes are already checked)."""
    name = payload["name"]
    problem = name_problem(name) or type_problem(payload["type"])
    if problem is not None:
        return problem
    for alias in payload.get("aliases") or ():
        problem = alias_problem(alias)
        if problem is not None:
            return f"artifact {name!r}: {problem}"
    for tag in payload.get("tags") or ():
        problem = tag_problem(tag)
        if problem is not None:
            return f"artifact {name!r}: {problem}"
    if "project" in payload:
        problem = path_name_problem(payload["project"], "project")
        if problem is not None:
            return f"artifact {name!r}: {problem}"
    client_id = payload["client_id"]
    if not 0 < len(client_id) <= MAX_CLIENT_ID_CHARS:
        return f"artifact {name!r}: client_id must have 1 to {MAX_CLIENT_ID_CHARS} characters"
    if not is_digest(payload["digest"]):
        return f"artifact {name!r}: digest {payload['digest']!r} is not 32 hex digits (an MD5)"
    if not is_sha256(payload["manifest"]):
        return f"artifact {name!r}: manifest {payload['manifest']!r} is not a SHA-256"
    distributed_id = payload.get("distributed_id")
    if distributed_id is not None:
        problem = distributed_id_problem(distributed_id)
        if problem is not None:
            return f"artifact {name!r}: {problem}"
    elif payload.get("final"):
        return f"artifact {name!r}: final is for a distributed version and needs a distributed_id"
    return None


def artifact_problem(payload: dict[str, Any], blobs: BlobStore) -> str | None:
    """Why an artifact record cannot be committed, or None: its fields break a rule, or its
    manifest (and every blob it names) is missing, malformed or disagrees with the record."""
    problem = _rules_problem(payload)
    if problem is not None:
        return problem
    name, sha = payload["name"], payload["manifest"]
    try:
        manifest = orjson.loads(blobs.read_bytes(sha))
    except BlobMissingError:
        return f"artifact {name!r} names manifest blob {sha} that was never uploaded"
    except orjson.JSONDecodeError as e:
        return f"artifact {name!r} has a manifest that is not JSON: {e}"
    problem = manifest_problem(manifest)
    if problem is not None:
        return f"artifact {name!r}: {problem}"
    contents = manifest["contents"]
    digest = manifest_digest(contents)
    if digest != payload["digest"]:
        return (
            f"artifact {name!r} says its digest is {payload['digest']}, "
            f"but its manifest's entries make {digest}"
        )
    size = sum(entry["size"] for entry in contents.values())
    if (payload["files"], payload["size"]) != (len(contents), size):
        return (
            f"artifact {name!r} says {payload['files']} files of {payload['size']} bytes, "
            f"its manifest has {len(contents)} of {size}"
        )
    named = {sha for entry in contents.values() if (sha := entry.get("sha256")) is not None}
    missing = blobs.missing(sorted(named))
    if missing:
        return f"artifact {name!r} names blob {missing[0]} that was never uploaded"
    return None


def use_problem(payload: dict[str, Any]) -> str | None:
    """Why a use_artifact record cannot be stored, or None."""
    problem = (
        path_name_problem(payload["entity"], "entity")
        or path_name_problem(payload["project"], "project")
        or name_problem(payload["name"])
    )
    if problem is None and not is_digest(payload["digest"]):
        problem = f"digest {payload['digest']!r} is not 32 hex digits (an MD5)"
    return None if problem is None else f"use of artifact {payload['name']!r}: {problem}"
