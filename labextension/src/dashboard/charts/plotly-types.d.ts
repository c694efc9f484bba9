// The part of plotly.js (the dist bundles ship no types) that the app uses.
declare module "plotly.js-cartesian-dist-min" {
  export interface PlotElement extends HTMLDivElement {
    on(event: "plotly_relayout", handler: (update: Record<string, unknown>) => void): void;
    removeAllListeners?(event: string): void;
  }
  export type Trace = Record<string, unknown>;
  export type Layout = Record<string, unknown>;
  export type Config = Record<string, unknown>;
  export interface PlotlyStatic {
    react(root: HTMLElement, data: Trace[], layout: Layout, config?: Config): Promise<PlotElement>;
    extendTraces(
      root: HTMLElement,
      update: { x: number[][]; y: (number | null)[][] },
      indices: number[],
    ): Promise<PlotElement>;
    purge(root: HTMLElement): void;
    Plots: { resize(root: HTMLElement): Promise<void> };
  }
  const Plotly: PlotlyStatic;
  export default Plotly;
}

declare module "plotly.js-strict-dist-min" {
  import type { PlotlyStatic } from "plotly.js-cartesian-dist-min";
  const Plotly: PlotlyStatic;
  export default Plotly;
}
