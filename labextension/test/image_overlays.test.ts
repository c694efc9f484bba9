// Where an image's boxes are drawn: percent of the image, from fractions or pixels.

import assert from "node:assert/strict";
import { test } from "node:test";

import { boxRects, classColour } from "../src/dashboard/panels/image_overlays";

const corners = { minX: 0.1, minY: 0.2, maxX: 0.5, maxY: 0.6 };

test("fraction boxes become percents, labelled by caption, else class name, else id", () => {
  const rects = boxRects({
    width: null,
    height: null,
    boxes: {
      predictions: {
        box_data: [
          { position: corners, class_id: 1, box_caption: "car 0.9" },
          { position: corners, class_id: 1 },
          { position: corners, class_id: 7 },
        ],
        class_labels: { "1": "car" },
      },
    },
  });
  assert.deepEqual(
    rects.map((r) => r.label),
    ["car 0.9", "car", "class 7"],
  );
  const first = rects[0]!;
  assert.equal(first.group, "predictions");
  assert.ok(Math.abs(first.left - 10) < 1e-9 && Math.abs(first.width - 40) < 1e-9);
  assert.ok(Math.abs(first.top - 20) < 1e-9 && Math.abs(first.height - 40) < 1e-9);
});

test("pixel boxes are placed by the image's size, and left out when it is unknown", () => {
  const pixel = { position: { minX: 10, minY: 5, maxX: 30, maxY: 15 }, class_id: 0, domain: "pixel" as const };
  const boxes = { truth: { box_data: [pixel], class_labels: {} } };
  const [rect] = boxRects({ width: 40, height: 20, boxes });
  assert.deepEqual([rect!.left, rect!.top, rect!.width, rect!.height], [25, 25, 50, 50]);
  assert.deepEqual(boxRects({ width: null, height: null, boxes }), []);
});

test("class colours cycle through the shared palette", () => {
  assert.equal(classColour(0), "#1f77b4");
  assert.equal(classColour(6), classColour(0));
  assert.equal(classColour(-1), classColour(5));
});
