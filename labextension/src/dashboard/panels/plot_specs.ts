// nbrun.plot presets as plotly charts: from a plot's table and its fields (role -> column) to
// traces and a layout. Pure (no DOM, no plotly): panels/plot_panel.ts draws what this returns.
//
// Roles per preset (nbrun/data_types/plot.py writes them): line, scatter: x, y (+ stroke: one
// line per value); bar: label, value; histogram: value; line_series: x, y, stroke (long
// format); pr_curve: x = recall, y = precision, stroke = class; roc_curve: x = fpr, y = tpr,
// stroke = class; confusion_matrix: actual, predicted, value (counts).

import type { PlotPreset, TableData } from "../../media";
import { wireNumber } from "../format";

// plotly's traces and layouts (as charts/plotly-types.d.ts declares them: plain objects).
export type Trace = Record<string, unknown>;
export type Layout = Record<string, unknown>;

export interface PlotSpec {
  traces: Trace[];
  layout: Layout;
}

export interface PlotRequest {
  preset: PlotPreset;
  title: string | null;
  fields: Record<string, string>;
}

/** Columns W&B's presets name their tables' columns, for a plot whose fields leave one out. */
const DEFAULT_COLUMNS: Record<string, Record<string, string[]>> = {
  pr_curve: { x: ["recall"], y: ["precision"], stroke: ["class"] },
  roc_curve: { x: ["fpr"], y: ["tpr"], stroke: ["class"] },
  confusion_matrix: { actual: ["Actual", "actual"], predicted: ["Predicted", "predicted"], value: ["nPredictions"] },
  line_series: { x: ["x", "step"], y: ["lineVal", "y"], stroke: ["lineKey"] },
};

/** plotly renders names, titles, tick labels and hover templates as its own small HTML
 * (links, bold, ...) and fills templates' %{...}: escape user strings so they show as typed. */
export function plotlyText(text: string): string {
  return text.replace(/[&<>"'%{}]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A cell as a number (NaN and infinities as JSON spells them too); null when it is none. */
export function cellNumber(cell: unknown): number | null {
  const number = typeof cell === "boolean" ? Number(cell) : wireNumber(cell);
  return number === undefined ? null : number;
}

/** A cell as a label (class names, bar labels). */
export function cellLabel(cell: unknown): string {
  if (typeof cell === "string") {
    return cell;
  }
  if (typeof cell === "number" || typeof cell === "boolean" || typeof cell === "bigint") {
    return String(cell);
  }
  return cell === null || cell === undefined ? "null" : (JSON.stringify(cell) ?? "");
}

/** The area under the curve through (xs[i], ys[i]), by the trapezoid rule over the points
 * sorted by x (points with a non-finite coordinate left out); NaN with fewer than two. */
export function auc(xs: readonly number[], ys: readonly number[]): number {
  const points: [number, number][] = [];
  for (let i = 0; i < Math.min(xs.length, ys.length); i++) {
    const x = xs[i]!;
    const y = ys[i]!;
    if (Number.isFinite(x) && Number.isFinite(y)) {
      points.push([x, y]);
    }
  }
  if (points.length < 2) {
    return NaN;
  }
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let area = 0;
  for (let i = 1; i < points.length; i++) {
    const [x0, y0] = points[i - 1]!;
    const [x1, y1] = points[i]!;
    area += ((x1 - x0) * (y0 + y1)) / 2;
  }
  return area;
}

export function formatAuc(area: number): string {
  return Number.isNaN(area) ? "AUC n/a" : `AUC = ${area.toFixed(3)}`;
}

/** The column index that plays `role`: the plot's field, else a column W&B's preset names. */
function roleColumn(table: TableData, request: PlotRequest, role: string, required: boolean): number {
  const named = request.fields[role];
  const candidates = named !== undefined ? [named] : (DEFAULT_COLUMNS[request.preset]?.[role] ?? []);
  for (const name of candidates) {
    const index = table.columns.indexOf(name);
    if (index >= 0) {
      return index;
    }
  }
  if (required) {
    const which = named !== undefined ? `column ${JSON.stringify(named)}` : "column";
    throw new Error(`the ${request.preset} plot's table has no ${which} for "${role}"`);
  }
  return -1;
}

/** Row positions grouped by the label of a column (in order of first appearance). */
function groups(table: TableData, column: number): Map<string, number[]> {
  const found = new Map<string, number[]>();
  table.data.forEach((row, index) => {
    const label = column < 0 ? "" : cellLabel(row[column]);
    const members = found.get(label);
    if (members) {
      members.push(index);
    } else {
      found.set(label, [index]);
    }
  });
  return found;
}

function baseLayout(request: PlotRequest, xTitle: string, yTitle: string): Layout {
  return {
    autosize: true,
    margin: { l: 56, r: 16, t: request.title ? 36 : 12, b: 44 },
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    font: { size: 11 },
    title: request.title ? { text: plotlyText(request.title), font: { size: 13 } } : undefined,
    xaxis: { title: { text: plotlyText(xTitle) }, automargin: true },
    yaxis: { title: { text: plotlyText(yTitle) }, automargin: true },
    legend: { orientation: "h", y: -0.22 },
  };
}

/** Lines or markers of y against x, one trace per stroke value; sorted by x for lines. */
function xyTraces(table: TableData, request: PlotRequest, mode: "lines" | "markers", stroke: number): Trace[] {
  const x = roleColumn(table, request, "x", true);
  const y = roleColumn(table, request, "y", true);
  const traces: Trace[] = [];
  for (const [label, members] of groups(table, stroke)) {
    let points = members.map((i) => [cellNumber(table.data[i]![x]), cellNumber(table.data[i]![y])] as const);
    if (mode === "lines") {
      points = [...points].sort((a, b) => (a[0] ?? Infinity) - (b[0] ?? Infinity));
    }
    traces.push({
      type: "scatter",
      mode,
      name: plotlyText(stroke < 0 ? table.columns[y]! : label),
      x: points.map((p) => p[0]),
      y: points.map((p) => p[1]),
      marker: { size: 6 },
    });
  }
  return traces;
}

function xyPlot(table: TableData, request: PlotRequest, mode: "lines" | "markers"): PlotSpec {
  const stroke = roleColumn(table, request, "stroke", request.preset === "line_series");
  const traces = xyTraces(table, request, mode, stroke);
  const layout = baseLayout(
    request,
    table.columns[roleColumn(table, request, "x", true)]!,
    table.columns[roleColumn(table, request, "y", true)]!,
  );
  return { traces, layout: { ...layout, showlegend: traces.length > 1 } };
}

/** PR and ROC curves: one line per class, its AUC in the legend. */
function curvePlot(table: TableData, request: PlotRequest, roc: boolean): PlotSpec {
  const stroke = roleColumn(table, request, "stroke", false);
  const traces: Trace[] = xyTraces(table, request, "lines", stroke).map((trace) => {
    const area = auc(trace["x"] as number[], trace["y"] as number[]);
    const name = stroke < 0 ? formatAuc(area) : `${String(trace["name"])} (${formatAuc(area)})`;
    return { ...trace, name, hovertemplate: `${name}<br>%{x:.3f}, %{y:.3f}<extra></extra>` };
  });
  if (roc) {
    traces.push({
      type: "scatter",
      mode: "lines",
      x: [0, 1],
      y: [0, 1],
      line: { dash: "dash", color: "#999", width: 1 },
      showlegend: false,
      hoverinfo: "skip",
    });
  }
  const x = table.columns[roleColumn(table, request, "x", true)]!;
  const y = table.columns[roleColumn(table, request, "y", true)]!;
  const layout = baseLayout(request, x, y);
  const range = { range: [-0.02, 1.02], zeroline: false };
  return {
    traces,
    layout: {
      ...layout,
      showlegend: true,
      xaxis: { ...(layout["xaxis"] as object), ...range },
      yaxis: { ...(layout["yaxis"] as object), ...range },
    },
  };
}

function barPlot(table: TableData, request: PlotRequest): PlotSpec {
  const label = roleColumn(table, request, "label", true);
  const value = roleColumn(table, request, "value", true);
  const layout = baseLayout(request, table.columns[label]!, table.columns[value]!);
  return {
    traces: [
      {
        type: "bar",
        x: table.data.map((row) => plotlyText(cellLabel(row[label]))),
        y: table.data.map((row) => cellNumber(row[value])),
        name: plotlyText(table.columns[value]!),
      },
    ],
    layout: { ...layout, xaxis: { ...(layout["xaxis"] as object), type: "category" } },
  };
}

function histogramPlot(table: TableData, request: PlotRequest): PlotSpec {
  const value = roleColumn(table, request, "value", true);
  return {
    traces: [
      {
        type: "histogram",
        x: table.data.map((row) => cellNumber(row[value])).filter((v) => v !== null && Number.isFinite(v)),
        name: plotlyText(table.columns[value]!),
      },
    ],
    layout: { ...baseLayout(request, table.columns[value]!, "count"), bargap: 0.02 },
  };
}

/** The counts of a confusion matrix: classes (actual's and predicted's labels, in order of
 * first appearance) and z[actual][predicted]; rows without a value column count one each. */
export function confusionCounts(
  table: TableData,
  actual: number,
  predicted: number,
  value: number,
): { classes: string[]; z: number[][] } {
  const classes: string[] = [];
  const position = new Map<string, number>();
  const classOf = (cell: unknown): number => {
    const label = cellLabel(cell);
    let found = position.get(label);
    if (found === undefined) {
      found = classes.length;
      position.set(label, found);
      classes.push(label);
    }
    return found;
  };
  const cells: [number, number, number][] = table.data.map((row) => [
    classOf(row[actual]),
    classOf(row[predicted]),
    value < 0 ? 1 : (cellNumber(row[value]) ?? 0),
  ]);
  const z = classes.map(() => classes.map(() => 0));
  for (const [a, p, count] of cells) {
    z[a]![p]! += count;
  }
  return { classes, z };
}

const TICK_CHARS = 16;

/** `text` cut to `chars` characters (an ellipsis last) when longer. */
export function shorten(text: string, chars: number): string {
  const characters = [...text]; // code points: a cut never splits a surrogate pair
  return characters.length > chars ? `${characters.slice(0, chars - 1).join("")}…` : text;
}

function confusionPlot(table: TableData, request: PlotRequest): PlotSpec {
  const actual = roleColumn(table, request, "actual", true);
  const predicted = roleColumn(table, request, "predicted", true);
  const value = roleColumn(table, request, "value", false);
  const { classes, z } = confusionCounts(table, actual, predicted, value);
  const labels = classes.map(plotlyText);
  const layout = baseLayout(request, "Predicted", "Actual");
  // long class names are cut on the axes (whole in the hover text), or they squeeze the matrix
  const ticks = classes.map((name) => plotlyText(shorten(name, TICK_CHARS)));
  const category = { type: "category", tickmode: "array", tickvals: labels, ticktext: ticks };
  return {
    traces: [
      {
        type: "heatmap",
        x: labels,
        y: labels,
        z,
        colorscale: [
          [0, "#f7fbff"],
          [1, "#08306b"],
        ],
        texttemplate: "%{z}",
        hovertemplate: "actual %{y}<br>predicted %{x}<br>count %{z}<extra></extra>",
        showscale: true,
        xgap: 1,
        ygap: 1,
      },
    ],
    layout: {
      ...layout,
      xaxis: { ...(layout["xaxis"] as object), ...category, side: "bottom" },
      yaxis: { ...(layout["yaxis"] as object), ...category, autorange: "reversed" },
    },
  };
}

/** The chart of a plot: its traces and layout. Throws (an Error naming what) for an unknown
 * preset or a table without the columns the preset needs. */
export function presetSpec(request: PlotRequest, table: TableData): PlotSpec {
  switch (request.preset) {
    case "line":
    case "line_series":
      return xyPlot(table, request, "lines");
    case "scatter":
      return xyPlot(table, request, "markers");
    case "bar":
      return barPlot(table, request);
    case "histogram":
      return histogramPlot(table, request);
    case "pr_curve":
      return curvePlot(table, request, false);
    case "roc_curve":
      return curvePlot(table, request, true);
    case "confusion_matrix":
      return confusionPlot(table, request);
    default: {
      const unknown: string = request.preset; // a preset newer than this app
      throw new Error(`unknown plot preset ${JSON.stringify(unknown)}`);
    }
  }
}
