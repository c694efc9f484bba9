// Sorting, filtering and paging inline table rows: the same rules as the server's table pages
// (tests/server/test_tables.py checks those).

import assert from "node:assert/strict";
import { test } from "node:test";

import { cellText, localPage, matchingRows, sortKey, sortedOrder } from "../src/dashboard/panels/table_rows";

const IMAGE = { _type: "image-file", path: "media/images/a.png", caption: "a Cat" };

test("sort keys: numbers, then text, then other values; null and NaN are missing", () => {
  assert.deepEqual(sortKey(2), [0, 2]);
  assert.deepEqual(sortKey(true), [0, 1]);
  assert.deepEqual(sortKey("Infinity"), [0, Infinity]);
  assert.deepEqual(sortKey("Abc"), [1, "abc"]);
  assert.deepEqual(sortKey(IMAGE), [2, "a cat"]);
  assert.equal(sortKey(null), null);
  assert.equal(sortKey(NaN), null);
  assert.equal(sortKey("NaN"), null);
});

test("the same order as the server gives for mixed cells", () => {
  const cells: unknown[] = ["b", 10, "Infinity", IMAGE, "A", 2.5, null, true, "-Infinity", [1, 2]];
  const rows = cells.map((cell) => [cell]);
  const order = sortedOrder(rows, 0, false).map((i) => cells[i]);
  assert.deepEqual(order, ["-Infinity", true, 2.5, 10, "Infinity", "A", "b", [1, 2], IMAGE, null]);
});

test("descending keeps missing values last and ties in table order", () => {
  const rows = [[1], [null], [3], [1], ["NaN"], [3]];
  assert.deepEqual(sortedOrder(rows, 0, false), [0, 3, 2, 5, 1, 4]);
  assert.deepEqual(sortedOrder(rows, 0, true), [2, 5, 0, 3, 1, 4]);
});

test("filter: any cell, case-insensitive, an image by its caption", () => {
  const rows = [
    [1, "Alpha", IMAGE],
    [2, "beta", null],
    [31, "gamma", { nested: "ALPHA" }],
  ];
  assert.deepEqual(matchingRows(rows, "alpha"), [0, 2]);
  assert.deepEqual(matchingRows(rows, "CAT"), [0]);
  assert.deepEqual(matchingRows(rows, "3"), [2]);
  assert.equal(cellText(null), "");
  assert.equal(cellText({ _type: "html-file", path: "x.html" }), "");
});

test("pages: offset, limit, totals before and after the filter", () => {
  const rows = Array.from({ length: 45 }, (_, i) => [i, `row ${i}`]);
  const columns = ["id", "name"];
  const first = localPage(columns, rows, { offset: 0, limit: 20, sort: null, desc: false, filter: "" });
  assert.deepEqual(first.index, [...Array(20).keys()]);
  assert.equal(first.total, 45);
  const last = localPage(columns, rows, { offset: 40, limit: 20, sort: "id", desc: true, filter: "" });
  assert.deepEqual(last.index, [4, 3, 2, 1, 0]);
  const filtered = localPage(columns, rows, { offset: 0, limit: 20, sort: "id", desc: true, filter: "row 4" });
  assert.deepEqual(filtered.index, [44, 43, 42, 41, 40, 4]);
  assert.equal(filtered.total, 6);
  assert.equal(filtered.nrows, 45);
  assert.deepEqual(filtered.rows[0], [44, "row 44"]);
});
