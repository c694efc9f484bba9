// plotly.js, loaded on first use: the page asks the server for its data while the browser
// fetches and compiles the (large) chart library, instead of one after the other.
//
// Two bundles, each its own chunk:
// - plotly(): the "cartesian" bundle (scatter, bar, heatmap, histogram, box, contour, pie, ...,
//   ~1.4 MB) for every chart the app draws itself: metrics, histograms, nbrun.plot presets.
// - plotlyFigures(): the "strict" bundle (~5 MB: every trace type, WebGL ones included, none
//   needing 'unsafe-eval', so it runs under the dashboard's CSP) for plotly figures users log,
//   which may use any trace type (plotly express draws scatter plots of > 1,000 points with
//   "scattergl"). Its plotly.js is the version the Python plotly library of these figures
//   ships. Loaded only by a page that shows such a figure.

import type { PlotlyStatic } from "plotly.js-cartesian-dist-min";

let loading: Promise<PlotlyStatic> | null = null;
let loadingFigures: Promise<PlotlyStatic> | null = null;

export function plotly(): Promise<PlotlyStatic> {
  loading ??= import("plotly.js-cartesian-dist-min").then((module) => module.default);
  return loading;
}

export function plotlyFigures(): Promise<PlotlyStatic> {
  loadingFigures ??= import("plotly.js-strict-dist-min").then((module) => module.default);
  return loadingFigures;
}
