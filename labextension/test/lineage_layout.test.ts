// lineage_layout.ts: a producer run -> version -> consumer run chain laid out left to right.

import assert from "node:assert/strict";
import { test } from "node:test";

import type { Lineage, LineageNode } from "../src/http_api";
import { layoutLineage, nodeHref, nodeText } from "../src/dashboard/lineage_layout";

function run(id: string, name: string): LineageNode {
  const base = { kind: "run" as const, entity: "e", project: "p", name, run_id: id, state: "finished" };
  return { ...base, id: `run:e/p/${id}`, type: null, version: null, aliases: [] };
}

const data: LineageNode = {
  id: "artifact:e/p/data:v0",
  kind: "artifact",
  entity: "e",
  project: "p",
  name: "data",
  run_id: null,
  state: null,
  type: "dataset",
  version: "v0",
  aliases: ["best", "latest"],
};

const lineage: Lineage = {
  root: data.id,
  nodes: [data, run("a", "producer"), run("b", "consumer")],
  edges: [
    { source: "run:e/p/a", target: data.id, kind: "logged" },
    { source: data.id, target: "run:e/p/b", kind: "used" },
    { source: data.id, target: "run:e/p/gone", kind: "used" }, // a node left out: no edge
  ],
  truncated: false,
};

test("producers are left of what they produced, consumers right of it", () => {
  const layout = layoutLineage(lineage);
  const x = new Map(layout.nodes.map((n) => [n.node.id, n.x]));
  assert.ok(x.get("run:e/p/a")! < x.get(data.id)!);
  assert.ok(x.get(data.id)! < x.get("run:e/p/b")!);
  assert.equal(layout.edges.length, 2);
  for (const edge of layout.edges) {
    assert.ok(edge.points.length >= 2, "every edge has a line to draw");
  }
  const root = layout.nodes.find((n) => n.root)!;
  assert.equal(root.node.id, data.id);
  for (const n of layout.nodes) {
    assert.ok(n.x - n.width / 2 >= 0 && n.x + n.width / 2 <= layout.width, "inside the drawing");
  }
});

test("node texts and links", () => {
  assert.deepEqual(nodeText(data), { label: "data:v0", detail: "dataset · best · latest" });
  assert.deepEqual(nodeText(run("a", "producer")), { label: "producer", detail: "run · finished" });
  assert.equal(nodeText(run("a", "x".repeat(40))).label.length, 30);
  assert.equal(nodeHref(data), "/e/p/artifacts/data/v0");
  assert.equal(nodeHref(run("a b", "n")), "/e/p/runs/a%20b");
});
