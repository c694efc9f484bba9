// The nbrun.plot presets' pure parts: AUC by the trapezoid rule, confusion counts, and the
// traces and layouts each preset makes from its table.

import assert from "node:assert/strict";
import { test } from "node:test";

import type { TableData } from "../src/media";
import {
  auc,
  cellNumber,
  confusionCounts,
  formatAuc,
  plotlyText,
  presetSpec,
  shorten,
} from "../src/dashboard/panels/plot_specs";

const close = (actual: number, expected: number): void => assert.ok(Math.abs(actual - expected) < 1e-12, `${actual}`);

test("auc of a perfect and of a chance ROC curve", () => {
  close(auc([0, 0, 1], [0, 1, 1]), 1);
  close(auc([0, 1], [0, 1]), 0.5);
  close(auc([0, 0.5, 1], [0, 0.5, 1]), 0.5);
});

test("auc sorts the points by x and skips non-finite ones", () => {
  close(auc([1, 0, 0.5], [1, 0, 0.75]), 0.5 * (0 + 0.75) * 0.5 + 0.5 * (0.75 + 1) * 0.5);
  close(auc([0, NaN, 1, Infinity], [0, 3, 1, 2]), 0.5);
  assert.ok(Number.isNaN(auc([0.3], [0.9])));
  assert.ok(Number.isNaN(auc([], [])));
  assert.equal(formatAuc(NaN), "AUC n/a");
  assert.equal(formatAuc(0.91234), "AUC = 0.912");
});

test("auc of a precision-recall curve listed by falling recall (as sklearn gives it)", () => {
  const recall = [1, 0.5, 0];
  const precision = [0.5, 1, 1];
  close(auc(recall, precision), 0.5 * (1 + 1) * 0.5 + 0.5 * (1 + 0.5) * 0.5);
});

test("cells as numbers: the JSON spellings of NaN and infinities, booleans", () => {
  assert.equal(cellNumber(2.5), 2.5);
  assert.ok(Number.isNaN(cellNumber("NaN") ?? 0));
  assert.equal(cellNumber("-Infinity"), -Infinity);
  assert.equal(cellNumber(true), 1);
  assert.equal(cellNumber("2.5"), null);
  assert.equal(cellNumber(null), null);
});

test("plotlyText escapes what plotly would read as markup or a template", () => {
  const text = plotlyText(`<img src=x onerror="alert(1)"> %{x} & 'b'`);
  assert.ok(!/[<>"'%{}]/.test(text.replace(/&#\d+;/g, "")), text);
  assert.equal(plotlyText("cat"), "cat");
});

const ROC: TableData = {
  columns: ["class", "fpr", "tpr"],
  data: [
    ["cat", 0, 0],
    ["cat", 0, 1],
    ["cat", 1, 1],
    ["dog", 0, 0],
    ["dog", 1, 1],
  ],
};

test("roc_curve: one line per class, its AUC in the legend, and the chance diagonal", () => {
  const spec = presetSpec({ preset: "roc_curve", title: "ROC", fields: { x: "fpr", y: "tpr", stroke: "class" } }, ROC);
  const names = spec.traces.map((t) => t["name"]);
  assert.deepEqual(names, ["cat (AUC = 1.000)", "dog (AUC = 0.500)", undefined]);
  assert.equal(spec.traces[2]!["showlegend"], false);
  assert.deepEqual((spec.layout["xaxis"] as { title: { text: string } }).title.text, "fpr");
});

test("pr_curve finds W&B's column names when the fields leave them out", () => {
  const table: TableData = {
    columns: ["class", "recall", "precision"],
    data: [
      [0, 1, 0.5],
      [0, 0, 1],
    ],
  };
  const spec = presetSpec({ preset: "pr_curve", title: null, fields: {} }, table);
  assert.deepEqual(
    spec.traces.map((t) => t["name"]),
    ["0 (AUC = 0.750)"],
  );
});

test("confusion_matrix: classes on both axes in order of appearance, counts summed", () => {
  const table: TableData = {
    columns: ["Actual", "Predicted", "nPredictions"],
    data: [
      ["cat", "cat", 5],
      ["cat", "dog", 1],
      ["dog", "cat", 2],
      ["dog", "dog", 7],
      ["bird", "dog", 3],
      ["cat", "cat", 1],
    ],
  };
  const { classes, z } = confusionCounts(table, 0, 1, 2);
  assert.deepEqual(classes, ["cat", "dog", "bird"]);
  assert.deepEqual(z, [
    [6, 1, 0],
    [2, 7, 0],
    [0, 3, 0],
  ]);
  const spec = presetSpec(
    {
      preset: "confusion_matrix",
      title: null,
      fields: { actual: "Actual", predicted: "Predicted", value: "nPredictions" },
    },
    table,
  );
  const heatmap = spec.traces[0]!;
  assert.equal(heatmap["type"], "heatmap");
  assert.deepEqual(heatmap["x"], ["cat", "dog", "bird"]);
  assert.deepEqual(heatmap["y"], ["cat", "dog", "bird"]);
  assert.equal(heatmap["texttemplate"], "%{z}");
  assert.equal((spec.layout["yaxis"] as { autorange: string }).autorange, "reversed");
});

test("confusion_matrix without a value column counts one per row; labels are escaped", () => {
  const table: TableData = {
    columns: ["a", "p"],
    data: [
      ["<b>x</b>", 1],
      ["<b>x</b>", 1],
    ],
  };
  const { z } = confusionCounts(table, 0, 1, -1);
  assert.deepEqual(z, [
    [0, 2],
    [0, 0],
  ]);
  const spec = presetSpec({ preset: "confusion_matrix", title: null, fields: { actual: "a", predicted: "p" } }, table);
  assert.deepEqual(spec.traces[0]!["x"], ["&#60;b&#62;x&#60;/b&#62;", "1"]);
});

test("line: sorted by x, one line per stroke; scatter keeps the table's order", () => {
  const table: TableData = {
    columns: ["step", "loss", "run"],
    data: [
      [2, 0.2, "a"],
      [0, 1.0, "a"],
      [1, "NaN", "b"],
      [0, 0.9, "b"],
    ],
  };
  const line = presetSpec({ preset: "line", title: null, fields: { x: "step", y: "loss", stroke: "run" } }, table);
  assert.deepEqual(
    line.traces.map((t) => [t["name"], t["x"], t["mode"]]),
    [
      ["a", [0, 2], "lines"],
      ["b", [0, 1], "lines"],
    ],
  );
  const scatter = presetSpec({ preset: "scatter", title: null, fields: { x: "step", y: "loss" } }, table);
  assert.equal(scatter.traces.length, 1);
  assert.deepEqual(scatter.traces[0]!["x"], [2, 0, 1, 0]);
  assert.equal(scatter.layout["showlegend"], false);
});

test("bar and histogram", () => {
  const table: TableData = {
    columns: ["label", "value"],
    data: [
      ["a", 3],
      ["b", "Infinity"],
      ["c", null],
    ],
  };
  const bar = presetSpec({ preset: "bar", title: "Bars", fields: { label: "label", value: "value" } }, table);
  assert.deepEqual(bar.traces[0]!["x"], ["a", "b", "c"]);
  assert.deepEqual(bar.traces[0]!["y"], [3, Infinity, null]);
  assert.deepEqual(bar.layout["title"], { text: "Bars", font: { size: 13 } });
  const histogram = presetSpec({ preset: "histogram", title: null, fields: { value: "value" } }, table);
  assert.deepEqual(histogram.traces[0]!["x"], [3]); // non-finite values have no bin
});

test("a table without the preset's columns and an unknown preset are errors", () => {
  assert.throws(
    () =>
      presetSpec(
        { preset: "bar", title: null, fields: { label: "nope", value: "value" } },
        { columns: ["value"], data: [] },
      ),
    /no column "nope" for "label"/,
  );
  assert.throws(
    () => presetSpec({ preset: "sankey" as "bar", title: null, fields: {} }, { columns: [], data: [] }),
    /unknown plot preset "sankey"/,
  );
});

test("long class names are cut on the confusion matrix's axes, whole in its data", () => {
  assert.equal(shorten("a".repeat(20), 16), `${"a".repeat(15)}…`);
  assert.equal(shorten("short", 16), "short");
  assert.equal(shorten("😀".repeat(20), 3), "😀😀…");
  const long = "a very long class name indeed";
  const table: TableData = { columns: ["a", "p"], data: [[long, "b"]] };
  const spec = presetSpec({ preset: "confusion_matrix", title: null, fields: { actual: "a", predicted: "p" } }, table);
  const xaxis = spec.layout["xaxis"] as { tickvals: string[]; ticktext: string[] };
  assert.deepEqual(xaxis.tickvals, [long, "b"]);
  assert.deepEqual(xaxis.ticktext, ["a very long cla…", "b"]);
});
