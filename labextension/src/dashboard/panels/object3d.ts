// Object3D values: a point cloud (pts.json) drawn as a plotly scatter3d with the bundle that has
// every trace type, its scene's boxes as 12-edge line traces and its vectors as lines; a model
// file (obj, gltf, glb, stl) drawn with three.js (mesh_view.ts, a chunk loaded on first use),
// with its name, size and a download link. The plot element is marked data-drawn="1" once a
// frame is drawn.

import type { Trace } from "plotly.js-cartesian-dist-min";
import type { Object3DFile } from "../../media";
import { CLASS_COLOURS } from "../../media";
import { plotlyFigures } from "../charts/plotly";
import { h, replaceChildren } from "../dom";
import { THEME_EVENT } from "../frame";
import type { ModelFormat } from "./mesh_model";
import type { ModelView } from "./mesh_view";
import type { PanelContext, RichValue } from "./registry";
import { fetchJsonFile, fileUrl, onDispose } from "./registry";

export interface Scatter3d {
  type: "scatter3d";
  mode: "markers" | "lines";
  name: string;
  x: (number | null)[];
  y: (number | null)[];
  z: (number | null)[];
  marker?: { size: number; color: string | string[] };
  line?: { color: string; width: number };
  connectgaps?: boolean;
}

type Point = number[];

const finite = (n: unknown): n is number => typeof n === "number" && Number.isFinite(n);
const isPoint = (row: unknown, length = 3): row is Point =>
  Array.isArray(row) && row.length >= length && row.slice(0, length).every(finite);
const record = (value: unknown): Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

function rgb(colour: unknown, fallback: string): string {
  if (!isPoint(colour)) {
    return fallback;
  }
  const [r, g, b] = colour.map((c) => Math.round(Math.min(255, Math.max(0, c))));
  return `rgb(${String(r)},${String(g)},${String(b)})`;
}

function markers(name: string, points: Point[], color: string | string[]): Scatter3d {
  return {
    type: "scatter3d",
    mode: "markers",
    name,
    x: points.map((p) => p[0]!),
    y: points.map((p) => p[1]!),
    z: points.map((p) => p[2]!),
    marker: { size: 2, color },
  };
}

/** Line segments (pairs of points) as one trace, the segments apart (null between them). */
function segments(name: string, pairs: [Point, Point][], color: string): Scatter3d {
  const axis = (i: number): (number | null)[] => pairs.flatMap(([a, b]) => [a[i]!, b[i]!, null]);
  return {
    type: "scatter3d",
    mode: "lines",
    name,
    x: axis(0),
    y: axis(1),
    z: axis(2),
    line: { color, width: 3 },
    connectgaps: false,
  };
}

/** The 12 edges of a box given by its 8 corners in any order: of the 28 pairs of corners, an
 * edge's midpoint is its own, while face diagonals share theirs (the face's centre) and space
 * diagonals the box's centre. Fewer than 8 valid corners: no edges. */
export function boxEdges(corners: unknown): [Point, Point][] {
  if (!Array.isArray(corners) || corners.length !== 8 || !corners.every((c) => isPoint(c))) {
    return [];
  }
  const points = corners;
  const span = Math.max(1e-12, ...points.flatMap((p) => p.slice(0, 3).map(Math.abs)));
  const key = (a: Point, b: Point): string =>
    [0, 1, 2].map((i) => Math.round(((a[i]! + b[i]!) / 2 / span) * 1e6)).join(",");
  const pairs: [Point, Point][] = [];
  for (let i = 0; i < 8; i++) {
    for (let j = i + 1; j < 8; j++) {
      pairs.push([points[i]!, points[j]!]);
    }
  }
  const counts = new Map<string, number>();
  for (const [a, b] of pairs) {
    counts.set(key(a, b), (counts.get(key(a, b)) ?? 0) + 1);
  }
  return pairs.filter(([a, b]) => counts.get(key(a, b)) === 1);
}

/** The traces of a pts.json document ({points, boxes?, vectors?}, or a bare list of points):
 * N x 3 points in one colour, N x 4 one trace per category (in CLASS_COLOURS by category), N x 6
 * coloured by their r, g, b; then one line trace per box and one for all vectors. Rows that are
 * not at least three finite numbers are left out. */
export function cloudTraces(document: unknown): Scatter3d[] {
  const scene = record(document);
  const rows: unknown[] = Array.isArray(document) ? document : Array.isArray(scene["points"]) ? scene["points"] : [];
  const points = rows.filter((row) => isPoint(row));
  const width = points[0]?.length ?? 3;
  const traces: Scatter3d[] = [];
  if (width >= 6 && points.every((p) => isPoint(p, 6))) {
    traces.push(
      markers(
        "points",
        points,
        points.map((p) => rgb(p.slice(3, 6), CLASS_COLOURS[0]!)),
      ),
    );
  } else if (width === 4 && points.every((p) => isPoint(p, 4))) {
    const byCategory = new Map<number, Point[]>();
    for (const p of points) {
      const list = byCategory.get(p[3]!) ?? [];
      list.push(p);
      byCategory.set(p[3]!, list);
    }
    for (const category of [...byCategory.keys()].sort((a, b) => a - b)) {
      const colour = CLASS_COLOURS[Math.abs(Math.trunc(category)) % CLASS_COLOURS.length]!;
      traces.push(markers(`category ${String(category)}`, byCategory.get(category)!, colour));
    }
  } else if (points.length) {
    traces.push(markers("points", points, CLASS_COLOURS[0]!));
  }
  const boxes = Array.isArray(scene["boxes"]) ? scene["boxes"] : [];
  boxes.forEach((item, i) => {
    const box = record(item);
    const edges = boxEdges(box["corners"]);
    if (edges.length) {
      const label = typeof box["label"] === "string" && box["label"] ? box["label"] : `box ${String(i + 1)}`;
      traces.push(segments(label, edges, rgb(box["color"], CLASS_COLOURS[3]!)));
    }
  });
  const vectors = (Array.isArray(scene["vectors"]) ? scene["vectors"] : []).map(record);
  const arrows = vectors.filter((v) => isPoint(v["start"]) && isPoint(v["end"]));
  if (arrows.length) {
    traces.push(
      segments(
        "vectors",
        arrows.map((v) => [v["start"] as Point, v["end"] as Point]),
        CLASS_COLOURS[4]!,
      ),
    );
  }
  return traces;
}

function formatSize(size: number): string {
  for (const [unit, scale] of [
    ["GB", 1e9],
    ["MB", 1e6],
    ["kB", 1e3],
  ] as const) {
    if (size >= scale) {
      return `${(size / scale).toFixed(1)} ${unit}`;
    }
  }
  return `${String(size)} B`;
}

const LAYOUT = {
  margin: { l: 0, r: 0, t: 0, b: 0 },
  paper_bgcolor: "rgba(0,0,0,0)",
  scene: { aspectmode: "data" },
  legend: { itemsizing: "constant" },
};

const MODEL_FORMATS: readonly unknown[] = ["obj", "gltf", "glb", "stl"] satisfies ModelFormat[];

const failure = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** One of the run's files as bytes (a model file: any size, binary or text, not kept). */
async function fetchFileBytes(panel: PanelContext, path: string): Promise<ArrayBuffer> {
  const response = await fetch(fileUrl(panel, path), { credentials: "same-origin" });
  if (!response.ok) {
    throw new Error(`the server answered ${String(response.status)} ${response.statusText}`);
  }
  return response.arrayBuffer();
}

/** Draw a model file into `box`: its bytes fetched while three.js loads; the view released
 * when the panel drops the box, even if that happens before the view is made. */
function drawModelInto(box: HTMLElement, format: ModelFormat, panel: PanelContext, path: string): void {
  let view: ModelView | null = null;
  let dropped = false;
  onDispose(box, () => {
    dropped = true;
    view?.dispose();
  });
  // a .gltf's relative URIs (its .bin and images, when they are files apart) resolve beside it
  const url = new URL(fileUrl(panel, path), window.location.href);
  const resourcePath = url.origin + url.pathname.replace(/[^/]*$/, "");
  const onLost = (): void =>
    replaceChildren(box, h("p", { class: "error" }, "this 3D view was closed by the browser: reload to draw it"));
  const colour = CLASS_COLOURS[0]!;
  void Promise.all([fetchFileBytes(panel, path), import("./mesh_view")])
    .then(([bytes, { drawModel }]) =>
      dropped ? null : drawModel(box, { format, bytes, resourcePath, colour, themeEvent: THEME_EVENT, onLost }),
    )
    .then((made) => {
      view = made;
      if (dropped) {
        made?.dispose();
      }
    })
    .catch((error: unknown) => {
      replaceChildren(box, h("p", { class: "error" }, `cannot show this 3D model: ${failure(error)}`));
    });
}

/** An object3D-file: a point cloud or a model file drawn, a model file to download too. The
 * caption as text. */
export function object3dPanel(value: RichValue, panel: PanelContext): HTMLElement {
  const file = value as unknown as Object3DFile;
  const path = typeof file.path === "string" ? file.path : "";
  const caption = typeof file.caption === "string" ? file.caption : null;
  const figcaption = caption ? h("figcaption", {}, caption) : null;
  const size = typeof file.size === "number" ? formatSize(file.size) : "";
  if (file.format !== "pts.json") {
    const name = path.split("/").pop() ?? path;
    let box: HTMLElement | null = null;
    if (MODEL_FORMATS.includes(file.format)) {
      box = h("div", { class: "plot media-figure media-object3d" }, h("div", { class: "empty" }, "loading…"));
      drawModelInto(box, file.format as ModelFormat, panel, path);
    }
    return h(
      "figure",
      { class: "rich-object3d", "data-format": String(file.format) },
      box,
      h("p", {}, `3D model (${String(file.format)}), ${size}`),
      h("a", { href: fileUrl(panel, path), download: "" }, `download ${name}`),
      figcaption,
    );
  }
  const box = h("div", { class: "plot media-figure media-object3d" });
  const element = h("figure", { class: "rich-object3d", "data-format": "pts.json" }, box, figcaption);
  onDispose(box, () => void plotlyFigures().then((Plotly) => Plotly.purge(box)));
  void fetchJsonFile<unknown>(panel, path)
    .then(async (document) => {
      const Plotly = await plotlyFigures();
      await Plotly.react(box, cloudTraces(document) as unknown as Trace[], LAYOUT, {
        displaylogo: false,
        responsive: true,
      });
      box.dataset["drawn"] = "1";
    })
    .catch((error: unknown) => {
      replaceChildren(box, h("p", { class: "error" }, `cannot show this point cloud: ${failure(error)}`));
    });
  return element;
}
