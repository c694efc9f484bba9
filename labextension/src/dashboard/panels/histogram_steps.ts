// A histogram key over its steps (W&B's "histograms over time"): a heatmap with the step on x,
// the value on y and the count as colour. Each step's bins are spread onto rows shared by every
// step, so steps whose edges differ line up.

import { plotly } from "../charts/plotly";
import { h } from "../dom";
import type { RichValue } from "./registry";
import { onDispose } from "./registry";

export interface HistogramCounts {
  values: number[];
  bins: number[];
}

export interface HistogramGrid {
  x: number[]; // the steps
  y: number[]; // the rows' centres
  z: number[][]; // z[row][column]: the counts of that step in that row
}

const finite = (n: unknown): n is number => typeof n === "number" && Number.isFinite(n);

/** Every step's counts on `rows` common rows over the range of every step's edges. Each bin's
 * count goes to the rows it overlaps, in proportion to the overlap (a step's total is kept); a
 * bin of no width (or a range of no width: then one row) goes whole to the row it sits in. */
export function histogramGrid(steps: number[], values: HistogramCounts[], rows = 64): HistogramGrid {
  let lo = Infinity;
  let hi = -Infinity;
  for (const { bins } of values) {
    const first = bins[0];
    const last = bins[bins.length - 1];
    if (bins.length >= 2 && finite(first) && finite(last)) {
      lo = Math.min(lo, first);
      hi = Math.max(hi, last);
    }
  }
  const x = steps.slice();
  if (lo > hi) {
    return { x, y: [], z: [] }; // no edges at all
  }
  const count = hi > lo ? Math.max(1, Math.floor(rows)) : 1;
  const width = (hi - lo) / count;
  const edge = (r: number): number => (r >= count ? hi : lo + r * width);
  const y = Array.from({ length: count }, (_, r) => (width > 0 ? (edge(r) + edge(r + 1)) / 2 : lo));
  const z = y.map(() => x.map(() => 0));
  const rowOf = (v: number): number => (width > 0 ? Math.min(count - 1, Math.max(0, Math.floor((v - lo) / width))) : 0);
  x.forEach((_, column) => {
    const { values: counts = [], bins = [] } = values[column] ?? {};
    for (let i = 0; i < counts.length && i + 1 < bins.length; i++) {
      const n = counts[i];
      const a = bins[i];
      const b = bins[i + 1];
      if (!finite(n) || n === 0 || !finite(a) || !finite(b)) {
        continue;
      }
      if (b <= a || width === 0) {
        z[rowOf(a)]![column]! += n;
        continue;
      }
      for (let r = rowOf(a); r <= rowOf(b); r++) {
        const overlap = Math.min(b, edge(r + 1)) - Math.max(a, edge(r));
        if (overlap > 0) {
          z[r]![column]! += (n * overlap) / (b - a);
        }
      }
    }
  });
  return { x, y, z };
}

/** Whether a rich value is a histogram. */
export function isHistogram(value: RichValue): boolean {
  return value._type === "histogram";
}

/** A histogram payload's counts and edges (numbers only). */
export function histogramCounts(value: RichValue): HistogramCounts {
  const numbers = (list: unknown): number[] => (Array.isArray(list) ? list.map(Number) : []);
  return { values: numbers(value["values"]), bins: numbers(value["bins"]) };
}

const dropped = new WeakSet<HTMLElement>();

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

/** Draw (or redraw, with new steps) the heatmap into a plot from histogramStepsPanel(). */
export function drawHistogramSteps(plot: HTMLElement, steps: number[], values: HistogramCounts[]): void {
  const grid = histogramGrid(steps, values);
  const fg = cssVar("--fg") || "#222";
  const axis = (title: string): Record<string, unknown> => ({
    title: { text: title },
    color: fg,
    gridcolor: cssVar("--grid") || "#ddd",
    automargin: true,
  });
  void plotly().then((Plotly) => {
    if (dropped.has(plot)) {
      return; // the panel dropped it before plotly loaded
    }
    return Plotly.react(
      plot,
      [
        {
          type: "heatmap",
          ...grid,
          colorscale: "Viridis",
          colorbar: { thickness: 8, outlinewidth: 0, tickfont: { color: fg } },
          hovertemplate: "step %{x}<br>value %{y:.4g}<br>count %{z:.4g}<extra></extra>",
        },
      ],
      {
        margin: { l: 44, r: 8, t: 8, b: 36 },
        paper_bgcolor: "rgba(0,0,0,0)",
        plot_bgcolor: "rgba(0,0,0,0)",
        font: { color: fg, size: 11 },
        xaxis: axis("step"),
        yaxis: axis("value"),
      },
      { displaylogo: false, responsive: true },
    );
  });
}

/** A histogram key's counts at every step as a heatmap (step on x, value on y). */
export function histogramStepsPanel(steps: number[], values: HistogramCounts[]): HTMLElement {
  const plot = h("div", { class: "plot histogram-steps" });
  onDispose(plot, () => {
    dropped.add(plot);
    void plotly().then((Plotly) => Plotly.purge(plot));
  });
  drawHistogramSteps(plot, steps, values);
  return plot;
}
