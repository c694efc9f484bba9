// The lineage graph on a version's page: runs and versions as SVG boxes laid out by dagre
// (lineage_layout.ts), each a link to its page. Labels are SVG text nodes, so names from
// users stay text.

import type { Lineage } from "../../http_api";
import type { Context } from "../context";
import { url } from "../context";
import { h, safeUrl } from "../dom";
import type { PlacedNode } from "../lineage_layout";
import { layoutLineage } from "../lineage_layout";

const SVG = "http://www.w3.org/2000/svg";

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
  ...children: (SVGElement | string)[]
): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) {
    element.setAttribute(name, String(value));
  }
  for (const child of children) {
    element.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return element;
}

function drawNode(ctx: Context, placed: PlacedNode): SVGElement {
  const { node, x, y, width, height } = placed;
  const left = x - width / 2;
  const top = y - height / 2;
  const box = svg("rect", { x: left, y: top, width, height, rx: node.kind === "run" ? 6 : 14 });
  const label = svg("text", { x, y: top + 18, "text-anchor": "middle", class: "label" }, placed.label);
  const detail = svg("text", { x, y: top + 34, "text-anchor": "middle", class: "detail" }, placed.detail);
  const title = svg("title", {}, node.kind === "run" ? `run ${node.entity}/${node.project}/${node.run_id}` : node.id);
  const classes = `lineage-node lineage-${node.kind}${placed.root ? " lineage-root" : ""}`;
  const group = svg("g", { class: classes, "data-id": node.id, "data-kind": node.kind }, title, box, label, detail);
  if (!placed.href || placed.root) {
    return group;
  }
  return svg("a", { href: safeUrl(url(ctx, placed.href)), class: "lineage-link" }, group);
}

/** The graph as an SVG element (or a note when there is nothing around the version). */
export function lineageGraph(ctx: Context, lineage: Lineage): HTMLElement {
  if (lineage.nodes.length <= 1) {
    return h("p", { class: "empty" }, "No run logged or used this version.");
  }
  const layout = layoutLineage(lineage);
  const arrow = svg(
    "marker",
    { id: "lineage-arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto" },
    svg("path", { d: "M0,0 L10,5 L0,10 z", class: "lineage-arrow" }),
  );
  const edges = layout.edges.map((edge) => {
    const d = edge.points.map((p, i) => `${i ? "L" : "M"}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(" ");
    return svg("path", {
      d,
      class: `lineage-edge lineage-${edge.kind}`,
      "marker-end": "url(#lineage-arrow)",
      "data-source": edge.source,
      "data-target": edge.target,
    });
  });
  const width = Math.ceil(layout.width);
  const height = Math.ceil(layout.height);
  const drawing = svg(
    "svg",
    { class: "lineage-graph", width, height, viewBox: `0 0 ${width} ${height}`, role: "img" },
    svg("defs", {}, arrow),
    ...edges,
    ...layout.nodes.map((placed) => drawNode(ctx, placed)),
  );
  drawing.setAttribute("aria-label", "lineage: runs and artifact versions");
  return h(
    "div",
    { class: "lineage" },
    drawing,
    lineage.truncated ? h("p", { class: "empty" }, "Some runs and versions are left out: too many to draw.") : null,
  );
}
