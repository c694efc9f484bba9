// keys.ts against the shared vectors of the key rules (tests/vectors/keys.json), which the
// Python tests (tests/unit/protocol/test_key_vectors.py) run against nbrun/protocol/keys.py:
// a rule changed on one side only fails here or there.

import assert from "node:assert/strict";
import { test } from "node:test";

import vectors from "../../tests/vectors/keys.json";
import { flatten, isMedia, matchingDefinition, sectionOf } from "../src/dashboard/keys";

interface Vectors {
  flatten: { values: Record<string, unknown>; flat: Record<string, unknown> }[];
  sections: { key: string; section: string }[];
  metric_lookup: { defined: string[]; key: string; match: string | null }[];
}

const cases: Vectors = vectors;

test("the vector file has cases for every rule", () => {
  assert.ok(cases.flatten.length > 0 && cases.sections.length > 0 && cases.metric_lookup.length > 0);
});

for (const { values, flat } of cases.flatten) {
  test(`flatten ${JSON.stringify(values)}`, () => {
    // the same keys, in the same order, with the same values
    assert.deepEqual(flatten(values), Object.entries(flat));
  });
}

for (const { key, section } of cases.sections) {
  test(`sectionOf ${JSON.stringify(key)}`, () => {
    assert.equal(sectionOf(key), section);
  });
}

for (const { defined, key, match } of cases.metric_lookup) {
  test(`matchingDefinition ${JSON.stringify(defined)} ${JSON.stringify(key)}`, () => {
    assert.equal(matchingDefinition(defined, key), match);
  });
}

test("a media payload is a leaf wherever it is nested, and only a dict with _type is one", () => {
  const image = { _type: "image-file", path: "media/images/x.png", width: 8, height: 8 };
  assert.ok(isMedia(image));
  assert.ok(!isMedia({ width: 8 }) && !isMedia(null) && !isMedia(["_type"]) && !isMedia("_type"));
  assert.deepEqual(flatten({ a: { b: { sample: image } } }), [["a.b.sample", image]]);
});
