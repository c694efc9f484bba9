"""What logging an ``nbrun.Table`` stores: ``serialise`` writes the rows as one JSON file
(``TableData``: ``{"columns": [...], "data": [[...], ...]}``, at most ``MAX_ARTIFACT_ROWS`` rows)
and returns it with the ``table-file`` payload, the files of the media cells and those cells.
``LoggedTable`` holds the rows as ``log()`` saw them until the run's encoder serialises them.
"""

from __future__ import annotations

import datetime
import math
import threading
from collections.abc import Callable, Mapping
from typing import Any

from nbrun import termlog
from nbrun.data_types.media import Media, MediaFile, StoredBytes
from nbrun.errors import InvalidValueError
from nbrun.protocol.media import MEDIA_FOLDERS, TABLE

_CELL_BYTES = 64  # a guess at what a cell holds, to bound the encoder's queue

_NON_FINITE = {math.inf: "Infinity", -math.inf: "-Infinity"}


class StoredTable:
    """A table serialised for one state of its data: payload, files (the JSON first, then the
    files of its media cells) and those media cells."""

    __slots__ = ("files", "fingerprint", "media", "payload")

    def __init__(
        self,
        payload: dict[str, Any],
        files: list[MediaFile],
        media: list[Media],
        fingerprint: tuple[int, ...],
    ) -> None:
        self.payload = payload
        self.files = files
        self.media = media
        self.fingerprint = fingerprint


def serialise(
    columns: list[str | int], rows: list[list[Any]], cap: int, fingerprint: tuple[int, ...]
) -> StoredTable:
    """The table file of ``columns`` and the first ``cap`` of ``rows`` (warning if it cuts)."""
    import orjson

    if len(rows) > cap:
        termlog.warn(
            f"Truncating nbrun.Table object to {cap} rows (it has {len(rows)}); set "
            "nbrun.Table.MAX_ARTIFACT_ROWS to store more"
        )
        rows = rows[:cap]
    found = _Found()
    names = [str(column) for column in columns]
    body = {"columns": names, "data": [[_to_json(cell, found) for cell in row] for row in rows]}
    stored = StoredBytes.of(MEDIA_FOLDERS[TABLE], orjson.dumps(body), "table.json")
    payload = stored.reference(TABLE)
    payload.update({"ncols": len(names), "nrows": len(rows), "columns": names})
    return StoredTable(payload, [stored.file(), *found.files.values()], found.media, fingerprint)


class LoggedTable(Media):
    """A table as one ``log()`` call saw it (its columns and rows copied, the cells shared),
    serialised on the run's encoder thread unless ``stored`` already; ``on_serialised`` gets
    the result, ``on_logged`` is called once the run has taken it."""

    def __init__(
        self,
        columns: list[str | int],
        rows: list[list[Any]],
        cap: int,
        fingerprint: tuple[int, ...],
        on_serialised: Callable[[StoredTable], None],
        on_logged: Callable[[LoggedTable], None],
        stored: StoredTable | None = None,
    ) -> None:
        self._columns = columns
        self._rows: list[list[Any]] | None = rows
        self._cap = cap
        self._fingerprint = fingerprint
        self._on_serialised = on_serialised
        self._on_logged = on_logged
        self._stored = stored
        self._lock = threading.Lock()  # two encoders may take the same logged table

    @property
    def stored(self) -> StoredTable:
        """The table file, serialised on first use (on the encoder thread when logged)."""
        stored = self._stored
        if stored is not None:
            return stored
        with self._lock:
            if self._stored is None:
                rows = self._rows if self._rows is not None else []
                self._stored = serialise(self._columns, rows, self._cap, self._fingerprint)
                self._rows = None  # the copy is not needed any more
                self._on_serialised(self._stored)
            return self._stored

    def _nbrun_value(self) -> dict[str, Any]:
        payload = self.stored.payload
        return {**payload, "columns": list(payload["columns"])}

    def _nbrun_files(self) -> list[MediaFile]:
        return list(self.stored.files)

    def _nbrun_deferred(self) -> str | None:
        return TABLE if self._stored is None else None

    def _nbrun_pending_bytes(self) -> int:
        rows = self._rows
        return 0 if rows is None else len(rows) * max(1, len(self._columns)) * _CELL_BYTES

    def _nbrun_logged(self) -> None:
        self._on_logged(self)


class _Found:
    """The media cells met while serialising, and their files (each path once)."""

    __slots__ = ("files", "media")

    def __init__(self) -> None:
        self.files: dict[str, MediaFile] = {}
        self.media: list[Media] = []

    def add(self, value: Media) -> dict[str, Any]:
        for media_file in value._nbrun_files():
            self.files.setdefault(media_file.path, media_file)
        self.media.append(value)
        return value._nbrun_value()


def _to_json(value: Any, found: _Found) -> Any:
    """A cell as JSON: non-finite floats spelled as strings, media as their payloads (they and
    their files gathered into ``found``)."""
    kind = type(value)
    if value is None or kind is str or kind is bool or kind is int:
        return value
    if kind is float:
        return value if math.isfinite(value) else _NON_FINITE.get(value, "NaN")
    if isinstance(value, Media):
        return found.add(value)
    if isinstance(value, (list, tuple)):
        return [_to_json(item, found) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _to_json(item, found) for key, item in value.items()}
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return _to_json(float(value), found)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if kind.__module__ == "numpy":
        if getattr(value, "ndim", 0) == 0:
            if value.dtype.kind == "M":
                return str(value)
            return _to_json(value.item(), found)
        if value.dtype.kind == "M":
            return value.astype(str).tolist()
        return _to_json(value.tolist(), found)
    if kind.__name__ in ("NaTType", "NAType"):
        return None
    raise InvalidValueError(f"a Table cell holds {kind.__qualname__}, which cannot be stored")
