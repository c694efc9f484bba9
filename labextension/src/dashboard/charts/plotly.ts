// plotly.js, loaded on first use: the page asks the server for its data while the browser
// fetches and compiles the (large) chart library, instead of one after the other.

import type { PlotlyStatic } from "plotly.js-basic-dist-min";

let loading: Promise<PlotlyStatic> | null = null;

export function plotly(): Promise<PlotlyStatic> {
  loading ??= import("plotly.js-basic-dist-min").then((module) => module.default);
  return loading;
}
