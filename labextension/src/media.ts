// Media payloads as history rows, summaries and table cells hold them: mirrors
// nbrun/protocol/media.py (tests/unit/protocol/test_typescript_mirror.py fails when the two
// drift). Each is a leaf for the key rules (dashboard/keys.ts): never flattened into metrics.

export const IMAGE = "image-file";
export const HISTOGRAM = "histogram";
export const TABLE = "table-file";
export const HTML = "html-file";
export const PLOTLY = "plotly-file";
export const PLOT = "plot";

export interface ImageFile {
  _type: "image-file";
  path: string;
  format: string; // png | jpeg | gif | webp
  size: number;
  width: number | null;
  height: number | null;
  caption?: string;
}

export interface HistogramValue {
  _type: "histogram";
  values: number[]; // counts, one per bin
  bins: number[]; // bin edges, one more than values
}

export interface TableFile {
  _type: "table-file";
  path: string;
  size: number;
  sha256: string;
  ncols: number;
  nrows: number;
  columns: string[];
}

/** What a table-file holds: cells are JSON values or media payloads. */
export interface TableData {
  columns: string[];
  data: unknown[][];
}

export interface HtmlFile {
  _type: "html-file";
  path: string;
  size: number;
  sha256: string;
}

/** A plotly figure: the file is the figure's JSON ({data, layout}). */
export interface PlotlyFile {
  _type: "plotly-file";
  path: string;
  size: number;
  sha256: string;
}

export type PlotPreset =
  "line" | "scatter" | "bar" | "histogram" | "line_series" | "pr_curve" | "roc_curve" | "confusion_matrix";

/** A chart of nbrun.plot: a table and how to draw it (fields: role -> column name). */
export interface PlotValue {
  _type: "plot";
  preset: PlotPreset;
  title: string | null;
  fields: Record<string, string>;
  table: TableFile;
}
