// Object3D point clouds as plotly traces: by category, by colour, boxes as their 12 edges.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- an ambient file, no module
/// <reference path="../src/dashboard/charts/plotly-types.d.ts" />

import assert from "node:assert/strict";
import { test } from "node:test";

import { CLASS_COLOURS } from "../src/media";
import { boxEdges, cloudTraces } from "../src/dashboard/panels/object3d";

test("an N x 3 cloud is one marker trace of every point", () => {
  const [trace, ...rest] = cloudTraces({
    points: [
      [0, 1, 2],
      [3, 4, 5],
    ],
  });
  assert.deepEqual(rest, []);
  assert.equal(trace!.type, "scatter3d");
  assert.deepEqual(
    [trace!.x, trace!.y, trace!.z],
    [
      [0, 3],
      [1, 4],
      [2, 5],
    ],
  );
  assert.equal(trace!.marker!.size, 2);
});

test("an N x 4 cloud is one trace per category, in the shared class colours", () => {
  const points = [
    [0, 0, 0, 2],
    [1, 1, 1, 1],
    [2, 2, 2, 2],
    [3, 3, 3, 2],
  ];
  const traces = cloudTraces({ points });
  assert.deepEqual(
    traces.map((t) => t.name),
    ["category 1", "category 2"],
  );
  assert.deepEqual(
    traces.map((t) => t.x.length),
    [1, 3],
  );
  assert.deepEqual(
    traces.map((t) => t.marker!.color),
    [CLASS_COLOURS[1], CLASS_COLOURS[2]],
  );
});

test("an N x 6 cloud is coloured point by point, and a bare list of points is read too", () => {
  const [trace] = cloudTraces([
    [0, 0, 0, 255, 0, 10],
    [1, 1, 1, 0, 300, 0],
  ]);
  assert.deepEqual(trace!.marker!.color, ["rgb(255,0,10)", "rgb(0,255,0)"]);
});

test("rows that are not points are left out, and nothing readable draws nothing", () => {
  assert.equal(cloudTraces({ points: [[0, 0, 0], [1, "x", 2], null, [1, 2, 3]] })[0]!.x.length, 2);
  assert.deepEqual(cloudTraces("not a cloud"), []);
  assert.deepEqual(cloudTraces({ points: [] }), []);
});

test("a box's 8 corners in any order give its 12 edges", () => {
  const corners = [
    [-1, -1, -1],
    [-1, 1, -1],
    [-1, -1, 1],
    [1, -1, -1],
    [1, 1, -1],
    [-1, 1, 1],
    [1, -1, 1],
    [1, 1, 1],
  ].map(([x, y, z]) => [x! * 4 + 10, y! * 1 + 2, z! * 0.5]);
  const edges = boxEdges(corners);
  assert.equal(edges.length, 12);
  for (const [a, b] of edges) {
    const differing = [0, 1, 2].filter((i) => a[i] !== b[i]).length;
    assert.equal(differing, 1, `${JSON.stringify([a, b])} is not an edge`);
  }
  assert.deepEqual(boxEdges(corners.slice(0, 7)), []);
});

test("a scene's boxes are one line trace each, its vectors one trace, after the points", () => {
  const cube = [0, 1].flatMap((x) => [0, 1].flatMap((y) => [0, 1].map((z) => [x, y, z])));
  const traces = cloudTraces({
    type: "lidar/beta",
    points: [[0, 0, 0]],
    boxes: [{ corners: cube, label: "car", color: [0, 255, 0] }, { corners: "bad" }],
    vectors: [{ start: [0, 0, 0], end: [1, 1, 1] }],
  });
  assert.deepEqual(
    traces.map((t) => [t.name, t.mode]),
    [
      ["points", "markers"],
      ["car", "lines"],
      ["vectors", "lines"],
    ],
  );
  assert.equal(traces[1]!.x.length, 12 * 3); // each edge: two ends and a gap
  assert.equal(traces[1]!.line!.color, "rgb(0,255,0)");
});
