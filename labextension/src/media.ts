// Media payloads as history rows, summaries and table cells hold them: mirrors
// nbrun/protocol/media.py (tests/unit/protocol/test_typescript_mirror.py fails when the two
// drift). Each is a leaf for the key rules (dashboard/keys.ts): never flattened into metrics.

export const IMAGE = "image-file";
export const HISTOGRAM = "histogram";
export const TABLE = "table-file";
export const HTML = "html-file";
export const PLOTLY = "plotly-file";
export const PLOT = "plot";
export const AUDIO = "audio-file";
export const VIDEO = "video-file";
export const OBJECT3D = "object3D-file";

// Overlay classes are drawn in these colours by class id (id modulo the length).
export const CLASS_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"];
export const MASK_ALPHA = 0.45; // how opaque a mask's colours are over the image

/** Corners: fractions of the image, or pixels when the box's domain is "pixel". */
export interface BoxPosition {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

export interface Box {
  position: BoxPosition;
  class_id: number;
  domain?: "pixel";
  box_caption?: string;
  scores?: Record<string, number>;
}

/** One named set of boxes (predictions, ground_truth, ...) over an image. */
export interface BoxGroup {
  box_data: Box[];
  class_labels: Record<string, string>; // class id (as text) -> name
}

/** A segmentation mask: the file is a grayscale PNG of class ids, the image's size. */
export interface MaskFile {
  path: string;
  size: number;
  sha256: string;
  class_labels: Record<string, string>;
}

export interface ImageFile {
  _type: "image-file";
  path: string;
  format: string; // png | jpeg | gif | webp
  size: number;
  width: number | null;
  height: number | null;
  caption?: string;
  boxes?: Record<string, BoxGroup>; // by group name
  masks?: Record<string, MaskFile>; // by group name
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

/** A sound: WAV (16-bit PCM) for arrays, or the file logged (wav, mp3, ogg, flac). The numbers
 * are null when nbrun cannot read them from the file. */
export interface AudioFile {
  _type: "audio-file";
  path: string;
  size: number;
  sha256: string;
  sample_rate: number | null;
  duration: number | null; // seconds
  caption?: string;
}

/** A video (gif | mp4 | webm | ogg); a batch is tiled into one grid of width x height. */
export interface VideoFile {
  _type: "video-file";
  path: string;
  size: number;
  sha256: string;
  format: string;
  width: number | null;
  height: number | null;
  frames: number | null;
  fps: number | null;
  caption?: string;
}

/** A 3D value: a point cloud (pts.json: {points: [[x, y, z, ...], ...]} with N x 3, N x 4
 * (category) or N x 6 (r, g, b in 0..255) points, plus a scene's type, boxes and vectors; a file
 * logged may hold a bare list of points) or a model file (obj | gltf | glb | stl). */
export interface Object3DFile {
  _type: "object3D-file";
  path: string;
  size: number;
  sha256: string;
  format: string;
  points: number | null; // null for a model file
  caption?: string;
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
