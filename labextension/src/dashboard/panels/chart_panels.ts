// The chart panels of media values: nbrun.plot presets (drawn from their table with the app's
// plotly bundle) and plotly figures users log (drawn as they are, with the bundle that has
// every trace type). Each marks its plot element data-drawn="1" once plotly has drawn it.

import type { Layout, PlotlyStatic, Trace } from "plotly.js-cartesian-dist-min";
import type { PlotValue, TableData } from "../../media";
import { plotly, plotlyFigures } from "../charts/plotly";
import { h, replaceChildren } from "../dom";
import { THEME_EVENT } from "../frame";
import type { PanelContext, RichValue } from "./registry";
import { fetchJsonFile, onDispose } from "./registry";
import type { PlotSpec } from "./plot_specs";
import { presetSpec } from "./plot_specs";

const CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["lasso2d", "select2d"] };
const FIGURE_HEIGHT = 360;

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

/** The page's colours on a chart the app lays out (transparent backgrounds, theme text). */
function themed(layout: Layout): Layout {
  const fg = cssVar("--fg") || "#222";
  const grid = cssVar("--grid") || "#ddd";
  const axis = (base: unknown): Record<string, unknown> => ({
    color: fg,
    gridcolor: grid,
    zerolinecolor: grid,
    ...(typeof base === "object" && base !== null ? base : {}),
  });
  return {
    ...layout,
    font: { ...(layout["font"] as object), color: fg },
    xaxis: axis(layout["xaxis"]),
    yaxis: axis(layout["yaxis"]),
  };
}

/** Draw into `box` with the given bundle; purge it when the panel drops it. */
async function draw(
  bundle: () => Promise<PlotlyStatic>,
  box: HTMLElement,
  traces: Trace[],
  layout: () => Layout,
): Promise<void> {
  const Plotly = await bundle();
  await Plotly.react(box, traces, layout(), CONFIG);
  box.dataset["drawn"] = "1";
}

function failed(where: HTMLElement, what: string, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  replaceChildren(where, h("p", { class: "error" }, `cannot show this ${what}: ${message}`));
}

/** A nbrun.plot chart: its table fetched once, drawn as its preset says. */
export function plotPanel(value: RichValue, panel: PanelContext): HTMLElement {
  const plot = value as unknown as PlotValue;
  const box = h("div", { class: "plot media-plot", "data-preset": String(plot.preset) });
  const element = h("div", { class: "rich-plot" }, box);
  let spec: PlotSpec | null = null;
  const redraw = (): void => {
    if (spec) {
      const { traces, layout } = spec;
      void draw(plotly, box, traces, () => themed(layout));
    }
  };
  document.addEventListener(THEME_EVENT, redraw);
  onDispose(box, () => {
    document.removeEventListener(THEME_EVENT, redraw);
    void plotly().then((Plotly) => Plotly.purge(box));
  });
  if (typeof plot.table !== "object" || plot.table === null || typeof plot.table.path !== "string") {
    failed(element, "plot", new Error("it has no table"));
    return element;
  }
  void fetchJsonFile<TableData>(panel, plot.table.path)
    .then(async (table) => {
      if (!Array.isArray(table.columns) || !Array.isArray(table.data)) {
        throw new Error("its table file is not a table");
      }
      const made = presetSpec(plot, table);
      if (plot.preset === "confusion_matrix") {
        const classes = (made.traces[0]?.["x"] as unknown[] | undefined)?.length ?? 0;
        box.style.height = `${Math.min(720, Math.max(300, 120 + 28 * classes))}px`;
      }
      await draw(plotly, box, made.traces, () => themed(made.layout));
      spec = made;
    })
    .catch((error: unknown) => failed(element, "plot", error));
  return element;
}

interface Figure {
  data?: unknown;
  layout?: unknown;
}

/** A plotly figure as logged: its JSON file drawn with the full plotly bundle. */
export function plotlyFigurePanel(value: RichValue, panel: PanelContext): HTMLElement {
  const path = typeof value["path"] === "string" ? value["path"] : "";
  const box = h("div", { class: "plot media-figure" });
  const element = h("div", { class: "rich-plot" }, box);
  onDispose(box, () => void plotlyFigures().then((Plotly) => Plotly.purge(box)));
  void fetchJsonFile<Figure>(panel, path)
    .then(async (figure) => {
      if (typeof figure !== "object" || figure === null || !Array.isArray(figure.data)) {
        throw new Error("its file is not a plotly figure ({data, layout})");
      }
      const layout: Record<string, unknown> = { ...(figure.layout as Record<string, unknown> | undefined) };
      const height = typeof layout["height"] === "number" ? layout["height"] : FIGURE_HEIGHT;
      delete layout["width"]; // the panel's width
      layout["autosize"] = true;
      layout["height"] = Math.min(900, Math.max(200, height));
      box.style.height = `${String(layout["height"])}px`;
      await draw(plotlyFigures, box, figure.data as Trace[], () => layout);
    })
    .catch((error: unknown) => failed(element, "figure", error));
  return element;
}
