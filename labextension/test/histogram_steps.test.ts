// A histogram key over its steps: each step's bins spread onto rows shared by every step.
// (The module also draws the heatmap: plotly's types, which the tests' tsconfig leaves out.)
// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- an ambient file, no module
/// <reference path="../src/dashboard/charts/plotly-types.d.ts" />

import assert from "node:assert/strict";
import { test } from "node:test";

import { histogramGrid } from "../src/dashboard/panels/histogram_steps";

const column = (z: number[][], c: number): number[] => z.map((row) => row[c]!);
const sum = (list: number[]): number => list.reduce((a, b) => a + b, 0);
const close = (actual: number, expected: number): void =>
  assert.ok(Math.abs(actual - expected) < 1e-9, `${actual} is not ${expected}`);

test("every step keeps its total count, whatever its bins", () => {
  const values = [
    { values: [3, 5, 2], bins: [0, 1, 2, 3] },
    { values: [1, 1, 1, 1, 6], bins: [-2.5, -1, 0.3, 1.7, 2.2, 7] },
    { values: [10], bins: [1.1, 1.2] },
  ];
  const grid = histogramGrid([0, 10, 20], values, 7);
  assert.deepEqual(grid.x, [0, 10, 20]);
  assert.equal(grid.y.length, 7);
  assert.equal(grid.z.length, 7);
  assert.ok(grid.z.every((row) => row.length === 3));
  close(sum(column(grid.z, 0)), 10);
  close(sum(column(grid.z, 1)), 10);
  close(sum(column(grid.z, 2)), 10);
});

test("the rows span every step's edges; bins of different ranges land in their rows", () => {
  // rows of width 1 over [0, 4): centres 0.5 .. 3.5
  const grid = histogramGrid(
    [1, 2, 3],
    [
      { values: [4, 6], bins: [0, 1, 2] }, // rows 0 and 1
      { values: [8], bins: [2, 4] }, // half in row 2, half in row 3
      { values: [2, 2], bins: [0.5, 1, 1.5] }, // straddles rows 0 and 1
    ],
    4,
  );
  assert.deepEqual(grid.y, [0.5, 1.5, 2.5, 3.5]);
  assert.deepEqual(column(grid.z, 0), [4, 6, 0, 0]);
  assert.deepEqual(column(grid.z, 1), [0, 0, 4, 4]);
  assert.deepEqual(column(grid.z, 2), [2, 2, 0, 0]);
});

test("a bin is shared between rows by how much of it each row covers", () => {
  const grid = histogramGrid([0], [{ values: [10], bins: [0.5, 3] }], 4); // rows over [0.5, 3)
  close(grid.y[0]!, 0.5 + 0.3125);
  assert.deepEqual(
    column(grid.z, 0).map((n) => Math.round(n * 1e9) / 1e9),
    [2.5, 2.5, 2.5, 2.5],
  );
  const shifted = histogramGrid(
    [0, 1],
    [
      { values: [9], bins: [0, 3] },
      { values: [1], bins: [2, 4] },
    ],
    4,
  );
  // rows of width 1 over [0, 4): the first step's bin covers rows 0..2 (3 each)
  assert.deepEqual(column(shifted.z, 0), [3, 3, 3, 0]);
  assert.deepEqual(column(shifted.z, 1), [0, 0, 0.5, 0.5]);
});

test("a step without counts is a column of zeros", () => {
  const grid = histogramGrid(
    [0, 1, 2],
    [
      { values: [1, 2], bins: [0, 1, 2] },
      { values: [], bins: [] },
      { values: [0, 0], bins: [0, 1, 2] },
    ],
    2,
  );
  assert.deepEqual(grid.z, [
    [1, 0, 0],
    [2, 0, 0],
  ]);
});

test("edges all equal: one row with every count", () => {
  const grid = histogramGrid(
    [5, 6],
    [
      { values: [7], bins: [2, 2] },
      { values: [3, 1], bins: [2, 2, 2] },
    ],
  );
  assert.deepEqual(grid, { x: [5, 6], y: [2], z: [[7, 4]] });
});

test("no steps, or no edges: an empty grid", () => {
  assert.deepEqual(histogramGrid([], []), { x: [], y: [], z: [] });
  assert.deepEqual(histogramGrid([3], [{ values: [], bins: [] }]), { x: [3], y: [], z: [] });
});

test("the default is 64 rows, and non-finite numbers are skipped", () => {
  const grid = histogramGrid([0], [{ values: [1, NaN, 2], bins: [0, 1, 2, Infinity] }]);
  // the last edge is not finite: the range is the finite edges of the steps that have them
  assert.deepEqual(grid, { x: [0], y: [], z: [] });
  const normal = histogramGrid([0], [{ values: [1, NaN, 2], bins: [0, 1, 2, 3] }]);
  assert.equal(normal.y.length, 64);
  close(sum(column(normal.z, 0)), 3);
});
