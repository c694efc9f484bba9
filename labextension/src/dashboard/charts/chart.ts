// One chart panel: a metric over an x axis for one or more runs (the compare view overlays
// runs), with log scale, smoothing, x-axis choice and full screen. Data comes downsampled from
// GET R/history; zooming in on steps asks for that range again at full detail; live rows
// extend the traces in place. A NaN is a gap in the line; +Inf and -Inf are triangles at the top
// and bottom of the plot (an overlaid axis of its own, so they never stretch the y range).

import type { Layout, PlotElement, Trace } from "plotly.js-cartesian-dist-min";

import type { HistorySeries, Series } from "../../http_api";
import { runPath } from "../../http_api";
import type { Context } from "../context";
import { api } from "../context";
import { h } from "../dom";
import { wireNumber } from "../format";
import type { RunRef } from "../live";
import { plotly } from "./plotly";
import { STEP, smooth } from "./series";

export const SAMPLES = 2000;

export interface TraceSource {
  run: RunRef;
  label: string;
  color: string;
}

/** A source's points: y is a number (±Infinity included) or null (NaN, or no value). */
interface Points {
  x: number[];
  y: (number | null)[];
}

interface Pending {
  step: number;
  x: number;
  y: number | null;
}

/** A y value as it arrived, as the chart holds it: NaN (or anything not a number) is null. */
function plotValue(raw: unknown): number | null {
  const y = wireNumber(raw);
  return y === undefined || Number.isNaN(y) ? null : y;
}

/** An x value as it arrived, when a point can be placed there. */
function placeAt(raw: unknown): number | undefined {
  const x = wireNumber(raw);
  return x !== undefined && Number.isFinite(x) ? x : undefined;
}

function toPoints(series: Series | undefined): Points {
  const points: Points = { x: [], y: [] };
  const ys = series?.y ?? [];
  (series?.x ?? []).forEach((raw, i) => {
    const x = placeAt(raw);
    if (x !== undefined) {
      points.x.push(x);
      points.y.push(plotValue(ys[i]));
    }
  });
  return points;
}

function isFiniteValue(y: number | null | undefined): y is number {
  return typeof y === "number" && Number.isFinite(y);
}

/** The line's values: infinities are no place on it (they get markers), so gaps like NaN. */
function lineValues(y: (number | null)[]): (number | null)[] {
  return y.map((v) => (isFiniteValue(v) ? v : null));
}

// Where the ±Inf markers sit on their own axis (range 0..1): at the top and bottom edges.
const INF_AXIS = "y2";
const TOP = 0.97;
const BOTTOM = 0.03;

/** Fetch one or more keys of one run, downsampled. `maxStep` is exclusive. */
export function fetchSeries(
  ctx: Context,
  run: RunRef,
  params: { keys?: string[]; x?: string; minStep?: number; maxStep?: number },
): Promise<HistorySeries> {
  return api<HistorySeries>(ctx, runPath(run.entity, run.project, run.id) + "/history", {
    keys: params.keys?.join(","),
    x: params.x && params.x !== STEP ? params.x : undefined,
    samples: SAMPLES,
    min_step: params.minStep,
    max_step: params.maxStep,
  });
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

export class ChartPanel {
  readonly element: HTMLElement;
  private readonly plot: HTMLDivElement;
  private readonly points: Points[];
  private readonly pending: (Pending[] | null)[];
  private x: string;
  private logY = false;
  private smoothing = 0;
  private zoomed = false;
  private drawn = false;
  private reloads = 0;
  /** Per source, the step the next live row will have at least (the stream's cursor). */
  private readonly cursors: number[];

  constructor(
    private readonly ctx: Context,
    readonly key: string,
    private readonly sources: TraceSource[],
    xChoices: string[],
    defaultX: string,
  ) {
    this.x = defaultX;
    this.points = sources.map(() => ({ x: [], y: [] }));
    this.pending = sources.map(() => null);
    this.cursors = sources.map(() => 0);
    this.plot = h("div", { class: "plot" });
    const select = h(
      "select",
      { class: "x-axis", title: "x axis", "aria-label": "x axis" },
      ...xChoices.map((choice) => h("option", { value: choice, selected: choice === defaultX }, choice)),
    );
    select.addEventListener("change", () => {
      this.x = select.value;
      void this.reload();
    });
    const smoothing = h("input", {
      class: "smoothing",
      type: "range",
      min: 0,
      max: 0.99,
      step: 0.01,
      value: 0,
      title: "smoothing",
      "aria-label": "smoothing",
    });
    smoothing.addEventListener("input", () => {
      this.smoothing = Number(smoothing.value);
      void this.draw();
    });
    const log = h("input", { type: "checkbox", class: "log-y", "aria-label": "log scale" });
    log.addEventListener("change", () => {
      this.logY = log.checked;
      void this.draw();
    });
    const full = h("button", { class: "fullscreen", type: "button", title: "full screen" }, "⤢");
    full.addEventListener("click", () => this.toggleFullScreen());
    this.element = h(
      "figure",
      { class: "chart", "data-key": key, "data-points": 0 },
      h(
        "figcaption",
        {},
        h("span", { class: "chart-title", title: key }, key),
        h(
          "span",
          { class: "chart-tools" },
          select,
          h("label", { title: "smoothing" }, "≈", smoothing),
          h("label", { title: "log scale" }, log, "log"),
          full,
        ),
      ),
      this.plot,
    );
  }

  /** Replace one source's points (a fresh downsampled answer); settles once drawn. */
  setSeries(index: number, series: Series | undefined, cursor: number): Promise<void> {
    this.points[index] = toPoints(series);
    this.cursors[index] = Math.max(this.cursors[index] ?? 0, cursor);
    return this.draw();
  }

  /** Live rows of one source (values as they arrive): extend its trace in place. */
  extend(index: number, rows: { step: number; x: unknown; y: unknown }[]): void {
    const fresh: Pending[] = [];
    for (const row of rows) {
      const x = placeAt(row.x);
      if (x !== undefined && (row.y === null || wireNumber(row.y) !== undefined)) {
        fresh.push({ step: row.step, x, y: plotValue(row.y) });
      }
    }
    if (!fresh.length) {
      return;
    }
    this.cursors[index] = Math.max(this.cursors[index] ?? 0, fresh[fresh.length - 1]!.step + 1);
    const waiting = this.pending[index];
    if (waiting) {
      waiting.push(...fresh); // a reload is in flight: append once it has landed
      return;
    }
    const target = this.points[index]!;
    // Extending the line in place is right only when the new points continue it: no gaps,
    // markers or lone points appear (those take a whole draw).
    const continues = isFiniteValue(target.y[target.y.length - 1]) && fresh.every((r) => isFiniteValue(r.y));
    target.x.push(...fresh.map((r) => r.x));
    target.y.push(...fresh.map((r) => r.y));
    if (target.x.length > 2 * SAMPLES && !this.zoomed) {
      void this.reload(); // downsample again rather than let the browser hold the history
    } else if (this.drawn && this.smoothing === 0 && !this.logY && continues) {
      const update = { x: [fresh.map((r) => r.x)], y: [fresh.map((r) => r.y)] };
      void plotly()
        .then((Plotly) => Plotly.extendTraces(this.plot, update, [index]))
        .then(() => this.mark());
    } else {
      void this.draw();
    }
  }

  /** Ask the server again for every source, optionally for a step range only. */
  async reload(range?: [number, number]): Promise<void> {
    const ticket = ++this.reloads;
    this.zoomed = range !== undefined;
    await Promise.all(
      this.sources.map(async (source, index) => {
        const upto = this.cursors[index] ?? 0;
        this.pending[index] = [];
        try {
          const answer = await fetchSeries(this.ctx, source.run, {
            keys: [this.key],
            x: this.x,
            minStep: range ? Math.max(0, Math.floor(range[0])) : undefined,
            maxStep: range ? Math.min(upto, Math.ceil(range[1]) + 1) : upto,
          });
          if (ticket !== this.reloads) {
            return;
          }
          const series = toPoints(answer.series[this.key]);
          const later = (this.pending[index] ?? []).filter((p) => p.step >= upto);
          this.points[index] = {
            x: [...series.x, ...later.map((p) => p.x)],
            y: [...series.y, ...later.map((p) => p.y)],
          };
        } finally {
          if (ticket === this.reloads) {
            this.pending[index] = null;
          }
        }
      }),
    );
    if (ticket === this.reloads) {
      await this.draw(range);
    }
  }

  xKey(): string {
    return this.x;
  }

  pointCount(): number {
    return this.points.reduce((total, p) => total + p.x.length, 0);
  }

  private traces(): Trace[] {
    const traces: Trace[] = [];
    this.sources.forEach((source, index) => {
      const points = this.points[index]!;
      const line = { color: source.color, width: 1.5 };
      const raw: Trace = {
        type: "scatter",
        mode: points.x.length === 1 ? "markers" : "lines",
        x: points.x,
        y: lineValues(points.y),
        connectgaps: false, // a NaN (null) breaks the line: never bridged, never zero
        name: escapeForPlotly(source.label),
        line,
        marker: { color: source.color, size: 5 },
        hovertemplate: `%{y}<extra>${escapeForPlotly(source.label)}</extra>`,
        opacity: this.smoothing > 0 ? 0.25 : 1,
        showlegend: this.sources.length > 1 && this.smoothing === 0,
      };
      traces.push(raw);
    });
    if (this.smoothing > 0) {
      this.sources.forEach((source, index) => {
        const points = this.points[index]!;
        traces.push({
          type: "scatter",
          mode: "lines",
          x: points.x,
          y: smooth(lineValues(points.y), this.smoothing),
          connectgaps: false,
          name: escapeForPlotly(source.label),
          line: { color: source.color, width: 2 },
          hoverinfo: "skip",
          showlegend: this.sources.length > 1,
        });
      });
    }
    this.sources.forEach((source, index) => traces.push(...this.markTraces(source, this.points[index]!)));
    return traces;
  }

  /** Markers a line cannot show: points with a gap on both sides (a line draws nothing there),
   * and +Inf / -Inf as triangles at the top / bottom of the plot. */
  private markTraces(source: TraceSource, points: Points): Trace[] {
    const label = escapeForPlotly(source.label);
    const out: Trace[] = [];
    const y = points.y;
    if (y.length > 1) {
      const lone = points.x
        .map((x, i) => ({ x, y: y[i] }))
        .filter(({ y: v }, i) => isFiniteValue(v) && !isFiniteValue(y[i - 1]) && !isFiniteValue(y[i + 1]));
      if (lone.length) {
        out.push({
          type: "scatter",
          mode: "markers",
          x: lone.map((p) => p.x),
          y: lone.map((p) => p.y),
          marker: { color: source.color, size: 5 },
          opacity: this.smoothing > 0 ? 0.25 : 1,
          hoverinfo: "skip", // the line's own trace answers hovers on these points
          showlegend: false,
        });
      }
    }
    for (const [sign, symbol, text, at] of [
      [1, "triangle-up", "+Inf", TOP],
      [-1, "triangle-down", "-Inf", BOTTOM],
    ] as const) {
      const xs = points.x.filter((_, i) => y[i] === sign * Infinity);
      if (xs.length) {
        out.push({
          type: "scatter",
          mode: "markers",
          x: xs,
          y: xs.map(() => at),
          yaxis: INF_AXIS,
          text: xs.map(() => text),
          marker: { color: source.color, size: 9, symbol },
          hovertemplate: `%{text}<extra>${label}</extra>`,
          showlegend: false,
        });
      }
    }
    return out;
  }

  private layout(range?: [number, number]): Layout {
    const fg = cssVar("--fg") || "#222";
    const grid = cssVar("--grid") || "#ddd";
    const axis = { color: fg, gridcolor: grid, zerolinecolor: grid, automargin: true };
    return {
      autosize: true,
      margin: { l: 48, r: 12, t: 8, b: 32 },
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)",
      font: { color: fg, size: 11 },
      showlegend: this.sources.length > 1,
      legend: { orientation: "h", y: -0.25 },
      xaxis: { ...axis, title: { text: escapeForPlotly(this.x) }, ...(range ? { range } : { autorange: true }) },
      yaxis: { ...axis, type: this.logY ? "log" : "linear", autorange: true },
      // the ±Inf markers' axis: the plot's height as 0..1, never scaled by data or zoom
      yaxis2: { overlaying: "y", range: [0, 1], visible: false, fixedrange: true },
      uirevision: `${this.x}`,
    };
  }

  private async draw(range?: [number, number]): Promise<void> {
    const Plotly = await plotly();
    await Plotly.react(this.plot, this.traces(), this.layout(range), {
      responsive: true,
      displaylogo: false,
      modeBarButtonsToRemove: ["lasso2d", "select2d"],
    });
    if (!this.drawn) {
      // checked and set with no await between: two draws in flight listen once
      this.drawn = true;
      (this.plot as PlotElement).on("plotly_relayout", (update) => this.onRelayout(update));
    }
    this.mark();
  }

  private mark(): void {
    this.element.dataset["points"] = String(this.pointCount());
    this.element.dataset["drawn"] = "1";
  }

  private onRelayout(update: Record<string, unknown>): void {
    const low = update["xaxis.range[0]"];
    const high = update["xaxis.range[1]"];
    if (update["xaxis.autorange"] === true && this.zoomed) {
      void this.reload();
    } else if (typeof low === "number" && typeof high === "number" && this.x === STEP) {
      // Zoomed in on steps: the same range at full detail (still at most SAMPLES points).
      void this.reload([low, high]);
    }
  }

  private toggleFullScreen(): void {
    const on = this.element.classList.toggle("fullscreen");
    document.body.classList.toggle("has-fullscreen", on);
    const exit = (event: KeyboardEvent): void => {
      if (event.key === "Escape") {
        this.element.classList.remove("fullscreen");
        document.body.classList.remove("has-fullscreen");
        this.resize();
        document.removeEventListener("keydown", exit);
      }
    };
    if (on) {
      document.addEventListener("keydown", exit);
    }
    this.resize();
  }

  private resize(): void {
    void plotly().then((Plotly) => Plotly.Plots.resize(this.plot));
  }

  redraw(): void {
    if (this.drawn) {
      void this.draw();
    }
  }

  dispose(): void {
    void plotly().then((Plotly) => Plotly.purge(this.plot));
  }
}

/** Plotly renders names, titles and hover templates as its own small HTML (links, bold...):
 * escape user strings so they show as typed. */
function escapeForPlotly(text: string): string {
  return text.replace(/[&<>"'%{}]/g, (c) => `&#${c.charCodeAt(0)};`);
}
