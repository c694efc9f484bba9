// artifact_model.ts: page paths, the manifest's folder tree, which files get a preview.

import assert from "node:assert/strict";
import { test } from "node:test";

import { entryPath, fileTree, previewKind, runPagePath, versionPagePath } from "../src/dashboard/artifact_model";

const entry = (size: number) => ({ digest: `d${size}`, size, sha256: "0".repeat(64) });

test("page paths encode every segment", () => {
  assert.equal(versionPagePath("e", "p", "a b", "v1"), "/e/p/artifacts/a%20b/v1");
  assert.equal(runPagePath("e/p/r?1"), "/e/p/runs/r%3F1");
  assert.equal(runPagePath("e/p"), null);
  assert.equal(runPagePath("e/p/r/x"), null);
  assert.equal(entryPath("/api/a", "sub dir/x#1.txt"), "/api/a/files/sub%20dir/x%231.txt");
});

test("the file tree nests folders, sorts by name and sums sizes", () => {
  const tree = fileTree({ "b.txt": entry(1), "sub/z.png": entry(10), "sub/a/x.py": entry(100), "a.md": entry(1000) });
  assert.deepEqual(
    tree.files.map((f) => f.path),
    ["a.md", "b.txt"],
  );
  assert.equal(tree.size, 1111);
  const sub = tree.folders[0]!;
  assert.deepEqual([sub.name, sub.path, sub.size], ["sub", "sub", 110]);
  assert.deepEqual(
    sub.folders.map((f) => [f.path, f.files.map((x) => x.name)]),
    [["sub/a", ["x.py"]]],
  );
  assert.deepEqual(
    sub.files.map((f) => f.name),
    ["z.png"],
  );
});

test("previews by file name: images, text, logged tables, nothing else", () => {
  const kinds = ["a.PNG", "b.jpeg", "c.md", "d.csv", "e.py", "f.json", "g.table.json", "h.svg", "i.html", "j.bin"];
  assert.deepEqual(kinds.map(previewKind), [
    "image",
    "image",
    "text",
    "text",
    "text",
    "text",
    "table",
    null,
    null,
    null,
  ]);
});
