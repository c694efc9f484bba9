// Sorting, filtering and paging a table's rows in the browser, for tables whose rows arrive
// inline. The same rules as the server's pages of table files (nbrun/server/routes/tables.py):
// - sort: numbers (and booleans, and the JSON spellings of infinities) by value, then text
//   (case-insensitive), then other values (media payloads, lists, objects) by their text; nulls
//   and NaN last in either direction; ties keep the table's order;
// - filter: a row passes when one of its cells' text holds the filter, case-insensitively (a
//   media payload's text is its caption).

import type { TablePage } from "../../http_api";

/** What a page of a table asks for (the server route's query). */
export interface TableQuery {
  offset: number;
  limit: number;
  sort: string | null;
  desc: boolean;
  filter: string;
}

/** Where a cell sorts: its rank (0 numbers, 1 text, 2 other values) and its value. */
export type SortKey = readonly [0, number] | readonly [1 | 2, string];

/** A cell's sort key; null for a missing value (null, NaN). */
export function sortKey(cell: unknown): SortKey | null {
  if (cell === null || cell === undefined) {
    return null;
  }
  if (typeof cell === "number" || typeof cell === "boolean") {
    const number = Number(cell);
    return Number.isNaN(number) ? null : [0, number];
  }
  if (typeof cell === "string") {
    if (cell === "NaN") {
      return null;
    }
    if (cell === "Infinity" || cell === "-Infinity") {
      return [0, cell === "Infinity" ? Infinity : -Infinity];
    }
    return [1, cell.toLowerCase()];
  }
  return [2, cellText(cell).toLowerCase()];
}

/** A cell's text, as a filter sees it. */
export function cellText(cell: unknown): string {
  if (cell === null || cell === undefined) {
    return "";
  }
  if (typeof cell === "string") {
    return cell;
  }
  if (typeof cell === "number" || typeof cell === "boolean") {
    return String(cell);
  }
  if (typeof cell === "object" && !Array.isArray(cell) && "_type" in cell) {
    const caption = (cell as { caption?: unknown }).caption;
    return typeof caption === "string" ? caption : "";
  }
  return JSON.stringify(cell) ?? "";
}

export function compareKeys(a: SortKey, b: SortKey): number {
  if (a[0] !== b[0]) {
    return a[0] - b[0];
  }
  const x = a[1];
  const y = b[1];
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Row positions sorted by `column` (missing values last either way, ties in table order). */
export function sortedOrder(rows: readonly unknown[][], column: number, desc: boolean): number[] {
  const keyed: [SortKey, number][] = [];
  const missing: number[] = [];
  rows.forEach((row, index) => {
    const key = sortKey(row[column]);
    if (key === null) {
      missing.push(index);
    } else {
      keyed.push([key, index]);
    }
  });
  // Array.prototype.sort is stable: ties keep their order whichever the direction.
  keyed.sort((a, b) => (desc ? compareKeys(b[0], a[0]) : compareKeys(a[0], b[0])));
  return [...keyed.map(([, index]) => index), ...missing];
}

/** Positions of the rows one of whose cells holds `text` (case-insensitive). */
export function matchingRows(rows: readonly unknown[][], text: string): number[] {
  const needle = text.toLowerCase();
  const found: number[] = [];
  rows.forEach((row, index) => {
    if (row.some((cell) => cellText(cell).toLowerCase().includes(needle))) {
      found.push(index);
    }
  });
  return found;
}

/** One page of inline rows, as the server answers for a table file. */
export function localPage(columns: string[], rows: readonly unknown[][], query: TableQuery): TablePage {
  let positions: number[];
  const column = query.sort === null ? -1 : columns.indexOf(query.sort);
  if (column >= 0) {
    positions = sortedOrder(rows, column, query.desc);
  } else {
    positions = rows.map((_, index) => index);
    if (query.desc) {
      positions.reverse();
    }
  }
  if (query.filter) {
    const keep = new Set(matchingRows(rows, query.filter));
    positions = positions.filter((index) => keep.has(index));
  }
  const shown = positions.slice(query.offset, query.offset + query.limit);
  return {
    columns,
    rows: shown.map((index) => rows[index] ?? []),
    index: shown,
    offset: query.offset,
    total: positions.length,
    nrows: rows.length,
  };
}
