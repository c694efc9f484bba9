"""Media values as artifact entries: ``artifact.add(table, "name")`` and ``artifact.get``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from nbrun.errors import InvalidValueError
from nbrun.protocol.media import TABLE

if TYPE_CHECKING:
    from nbrun.artifacts.entries import Entry
    from nbrun.data_types.media import Media

TABLE_SUFFIX = ".table.json"


def media_entries(obj: Any, name: str) -> list[tuple[str, bytes]]:
    """The entries ``obj`` becomes: ``<name>.<type>.json`` first, then the files it names
    (at the paths its JSON refers to)."""
    from nbrun.data_types.media import Media

    if not isinstance(obj, Media):
        raise InvalidValueError(
            f"Artifact.add: obj must be an nbrun media value (Table, Image, Html, ...), got "
            f"{type(obj).__name__}; add files with add_file()"
        )
    state: Media = obj._nbrun_state()
    value = state._nbrun_value()
    files = state._nbrun_files()
    kind = value.get("_type", "media")
    if kind == TABLE:
        # The table's own file is the entry; its cells' files keep their paths.
        table_file, *others = files
        return [(f"{name}{TABLE_SUFFIX}", table_file.data), *((f.path, f.data) for f in others)]
    document = orjson.dumps(value)
    return [(f"{name}.{kind}.json", document), *((f.path, f.data) for f in files)]


def read_media_entry(
    entries: dict[str, Entry], local_blob: Callable[[Entry], Path], name: str
) -> Any:
    """The ``Table`` added as ``name``, the payload of another media value, or None."""
    from nbrun.data_types.table import Table

    paths = [path for path in entries if path.startswith(f"{name}.")]
    wanted = [p for p in paths if p.endswith(".json")]
    if not wanted:
        return None
    path = f"{name}{TABLE_SUFFIX}" if f"{name}{TABLE_SUFFIX}" in wanted else wanted[0]
    entry = entries[path]
    if entry.sha256 is None:
        return None
    document = orjson.loads(local_blob(entry).read_bytes())
    if path.endswith(TABLE_SUFFIX):
        return Table(columns=document["columns"], data=document["data"], allow_mixed_types=True)
    return document
