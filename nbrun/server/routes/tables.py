"""Table files a page at a time: ``GET R/tables/{path}`` -> ``TablePage``.

A ``table-file`` (see ``nbrun.protocol.media``) is one JSON blob ``{columns, data}`` that can
hold 100,000 rows; the dashboard shows 20 of them. Each request reads the blob through the blob
store, parsed once and kept in a small LRU of parsed tables keyed by content (the blob's
SHA-256), with each table's sort orders and filter matches computed on first use. Paths stay
inside their run, as for files; read tokens of the run may read them.

Sort: numbers (and booleans, and the JSON spellings of infinities) by value, then text
(case-insensitive), then other values (media payloads, lists, objects) by their text; nulls and
NaN last in either direction. Ties keep the table's order. Filter: a row passes when the text of
one of its cells contains the filter, case-insensitively (a media payload's text is its
caption).
"""

from __future__ import annotations

import json
import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, HTTPException, Query, Request, Response

from nbrun.protocol.http import API_PREFIX, JSON_NAN, JSON_NEG_INF, JSON_POS_INF, MAX_TABLE_PAGE
from nbrun.protocol.http import TablePage as TablePageShape
from nbrun.server.db import read_connection
from nbrun.server.deps import ReadableRunDep, ServicesDep
from nbrun.server.routes.runs import R
from nbrun.server.store import files
from nbrun.server.store.blobs import BlobMissingError
from nbrun.server.wire import model_for, respond

router = APIRouter(prefix=API_PREFIX, tags=["files"])

MAX_TABLE_BYTES = 512 << 20  # a larger file is not parsed here (413)
CACHE_BYTES = 128 << 20  # parsed tables kept, counted by their files' sizes
CACHE_TABLES = 16
_FILTERS_KEPT = 8  # filter matches kept per table
_CELL_SEP = "\x1f"  # between a row's cell texts: a filter never matches across two cells

_SortKey = tuple[int, Any]


def _sort_key(cell: Any) -> _SortKey | None:
    """Where ``cell`` sorts (rank, value); None for a missing value (null, NaN)."""
    if cell is None:
        return None
    if isinstance(cell, (bool, int, float)):
        number = float(cell)
        return None if math.isnan(number) else (0, number)
    if isinstance(cell, str):
        if cell == JSON_NAN:
            return None
        if cell in (JSON_POS_INF, JSON_NEG_INF):
            return (0, math.inf if cell == JSON_POS_INF else -math.inf)
        return (1, cell.casefold())
    return (2, _text(cell).casefold())


def _text(cell: Any) -> str:
    """A cell's text, as a filter sees it."""
    if cell is None:
        return ""
    if isinstance(cell, str):
        return cell
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, (int, float)):
        return repr(cell)
    if isinstance(cell, dict) and "_type" in cell:
        caption = cell.get("caption")
        return caption if isinstance(caption, str) else ""
    try:
        return orjson.dumps(cell).decode()
    except TypeError:  # NaN inside a nested value from a lenient parse
        return json.dumps(cell)


class BadTableError(ValueError):
    """A file that is not a table's JSON ``{columns, data}``."""


class Table:
    """A parsed table file with its sort orders and filter matches, computed on first use."""

    def __init__(self, columns: list[str], rows: list[list[Any]], size: int) -> None:
        self.columns = columns
        self.rows = rows
        self.size = size
        self._orders: dict[tuple[int, bool], list[int]] = {}
        self._texts: list[str] | None = None
        self._filters: OrderedDict[str, list[int]] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def parse(cls, content: bytes) -> Table:
        try:
            parsed = orjson.loads(content)
        except orjson.JSONDecodeError:
            try:  # a writer that spelled NaN as JSON's extension (NaN, Infinity)
                parsed = json.loads(content)
            except (ValueError, UnicodeDecodeError) as e:
                raise BadTableError(f"is not JSON ({e})") from None
        if not isinstance(parsed, dict):
            raise BadTableError("is not a table: expected a JSON object {columns, data}")
        columns, data = parsed.get("columns"), parsed.get("data")
        if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
            raise BadTableError("is not a table: 'columns' must be a list of names")
        if not isinstance(data, list) or not all(isinstance(row, list) for row in data):
            raise BadTableError("is not a table: 'data' must be a list of rows (lists)")
        return cls(columns, data, len(content))

    def column(self, name: str) -> int:
        try:
            return self.columns.index(name)
        except ValueError:
            shown = ", ".join(repr(c) for c in self.columns[:20])
            raise HTTPException(
                422, f"sort: the table has no column {name!r} (its columns: {shown})"
            ) from None

    def order(self, column: int, desc: bool) -> list[int]:
        """Row positions sorted by ``column`` (missing values last either way)."""
        found = self._orders.get((column, desc))
        if found is None:
            keyed: list[tuple[_SortKey, int]] = []
            missing: list[int] = []
            for i, row in enumerate(self.rows):
                key = _sort_key(row[column] if column < len(row) else None)
                if key is None:
                    missing.append(i)
                else:
                    keyed.append((key, i))
            # Python's sort is stable, with reverse=True too: ties keep the table's order.
            keyed.sort(key=lambda pair: pair[0], reverse=desc)
            found = [i for _, i in keyed] + missing
            self._orders[(column, desc)] = found
        return found

    def matching(self, text: str) -> list[int]:
        """Positions of the rows one of whose cells contains ``text`` (case-insensitive)."""
        needle = text.casefold()
        with self._lock:
            found = self._filters.get(needle)
            if found is not None:
                self._filters.move_to_end(needle)
                return found
            if self._texts is None:
                self._texts = [
                    _CELL_SEP.join(_text(c).replace(_CELL_SEP, " ") for c in row).casefold()
                    for row in self.rows
                ]
        texts = self._texts
        found = [] if _CELL_SEP in needle else [i for i, t in enumerate(texts) if needle in t]
        with self._lock:
            self._filters[needle] = found
            while len(self._filters) > _FILTERS_KEPT:
                self._filters.popitem(last=False)
        return found

    def page(
        self, offset: int, limit: int, sort: str | None, desc: bool, text: str | None
    ) -> TablePageShape:
        positions: list[int] | range
        if sort is not None:
            positions = self.order(self.column(sort), desc)
            if text:
                keep = set(self.matching(text))
                positions = [i for i in positions if i in keep]
        elif text:
            positions = self.matching(text)
            if desc:
                positions = positions[::-1]
        else:
            positions = range(len(self.rows))
            if desc:
                positions = positions[::-1]
        shown = list(positions[offset : offset + limit])
        return {
            "columns": self.columns,
            "rows": [self.rows[i] for i in shown],
            "index": shown,
            "offset": offset,
            "total": len(positions),
            "nrows": len(self.rows),
        }


class TableCache:
    """Parsed tables by content (SHA-256), least recently used dropped first."""

    def __init__(self, max_bytes: int = CACHE_BYTES, max_tables: int = CACHE_TABLES) -> None:
        self.max_bytes = max_bytes
        self.max_tables = max_tables
        self._tables: OrderedDict[str, Table] = OrderedDict()
        self._loading: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, sha256: str, read: Callable[[], bytes]) -> Table:
        """The table of blob ``sha256``, parsed from ``read()`` (bytes) when not kept."""
        with self._lock:
            table = self._tables.get(sha256)
            if table is not None:
                self._tables.move_to_end(sha256)
                return table
            loading = self._loading.setdefault(sha256, threading.Lock())
        try:
            with loading:  # one parse per table, however many requests ask at once
                with self._lock:
                    table = self._tables.get(sha256)
                if table is None:
                    table = Table.parse(read())
                    self._keep(sha256, table)
        finally:
            with self._lock:
                self._loading.pop(sha256, None)
        return table

    def _keep(self, sha256: str, table: Table) -> None:
        with self._lock:
            self._tables[sha256] = table
            # the newest stays even when it alone is over the budget
            while len(self._tables) > 1 and (
                len(self._tables) > self.max_tables
                or sum(t.size for t in self._tables.values()) > self.max_bytes
            ):
                self._tables.popitem(last=False)


_cache = TableCache()


@router.get(R + "/tables/{path:path}", response_model=model_for(TablePageShape))
def get_table_page(
    request: Request,
    run: ReadableRunDep,
    path: str,
    services: ServicesDep,
    offset: Annotated[int, Query(ge=0, le=1 << 31)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_TABLE_PAGE)] = 100,
    sort: Annotated[str | None, Query(max_length=1024, description="a column name")] = None,
    desc: bool = False,
    text: Annotated[
        str | None,
        Query(alias="filter", max_length=1024, description="text one of a row's cells holds"),
    ] = None,
) -> Response:
    """One page of the run's table file ``path``, filtered and sorted."""
    try:
        clean = files.clean_file_path(path)
    except files.BadPathError as e:
        raise HTTPException(422, str(e)) from None
    with read_connection(services.engine) as conn:
        found = files.find_file(conn, run.pk, clean)
    missing = HTTPException(404, f"run {run.path} has no file {clean!r}")
    if found is None:
        raise missing
    if found["size"] > MAX_TABLE_BYTES:
        raise HTTPException(
            413, f"table {clean!r} is larger than the {MAX_TABLE_BYTES >> 20} MB read here"
        )
    sha = found["sha256"]
    try:
        table = _cache.get(sha, lambda: services.blobs.read_bytes(sha, MAX_TABLE_BYTES))
    except BlobMissingError:
        raise missing from None
    except BadTableError as e:
        raise HTTPException(422, f"file {clean!r} {e}") from None
    return respond(request, table.page(offset, limit, sort, desc, text))
