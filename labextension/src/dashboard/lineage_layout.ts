// The lineage graph's layout: runs and versions as boxes placed left to right by dagre, edges
// as polylines. Pure (no DOM): panels/lineage_graph.ts draws it, test/lineage_layout.test.ts
// checks it.

import dagre from "@dagrejs/dagre";

import type { Lineage, LineageNode } from "../http_api";
import { runPagePath, versionPagePath } from "./artifact_model";

export const NODE_HEIGHT = 44;
const MAX_CHARS = 30;
const CHAR_WIDTH = 7;
const PADDING = 20;

export interface Point {
  x: number;
  y: number;
}

export interface PlacedNode {
  node: LineageNode;
  label: string; // first line: a run's name, or name:version
  detail: string; // second line: "run · finished", or the type and aliases
  href: string | null; // the dashboard path of its page
  root: boolean;
  x: number; // centre
  y: number;
  width: number;
  height: number;
}

export interface PlacedEdge {
  source: string;
  target: string;
  kind: string;
  points: Point[];
}

export interface LineageLayout {
  nodes: PlacedNode[];
  edges: PlacedEdge[];
  width: number;
  height: number;
}

function clip(text: string): string {
  return text.length > MAX_CHARS ? `${text.slice(0, MAX_CHARS - 1)}…` : text;
}

export function nodeText(node: LineageNode): { label: string; detail: string } {
  if (node.kind === "run") {
    return { label: clip(node.name), detail: clip(`run · ${node.state ?? "unknown"}`) };
  }
  const detail = [node.type ?? "artifact", ...node.aliases].join(" · ");
  return { label: clip(`${node.name}:${node.version ?? ""}`), detail: clip(detail) };
}

export function nodeHref(node: LineageNode): string | null {
  if (node.kind === "run") {
    return node.run_id ? runPagePath(`${node.entity}/${node.project}/${node.run_id}`) : null;
  }
  return node.version ? versionPagePath(node.entity, node.project, node.name, node.version) : null;
}

/** Where each node and edge of `lineage` goes, producers left of what they produced. */
export function layoutLineage(lineage: Lineage): LineageLayout {
  const graph = new dagre.graphlib.Graph();
  graph.setGraph({ rankdir: "LR", nodesep: 18, ranksep: 70, marginx: 8, marginy: 8 });
  graph.setDefaultEdgeLabel(() => ({}));
  const texts = new Map(lineage.nodes.map((node) => [node.id, nodeText(node)]));
  for (const node of lineage.nodes) {
    const { label, detail } = texts.get(node.id)!;
    const width = Math.max(label.length, detail.length) * CHAR_WIDTH + PADDING;
    graph.setNode(node.id, { width, height: NODE_HEIGHT });
  }
  const ids = new Set(lineage.nodes.map((node) => node.id));
  const edges = lineage.edges.filter((edge) => ids.has(edge.source) && ids.has(edge.target));
  for (const edge of edges) {
    graph.setEdge(edge.source, edge.target);
  }
  dagre.layout(graph);
  const nodes = lineage.nodes.map((node): PlacedNode => {
    const placed = graph.node(node.id) as Point & { width: number; height: number };
    const { label, detail } = texts.get(node.id)!;
    return {
      node,
      label,
      detail,
      href: nodeHref(node),
      root: node.id === lineage.root,
      x: placed.x,
      y: placed.y,
      width: placed.width,
      height: placed.height,
    };
  });
  const placedEdges = edges.map((edge) => ({
    ...edge,
    points: ((graph.edge(edge.source, edge.target) as { points?: Point[] } | undefined)?.points ?? []).map(
      ({ x, y }) => ({ x, y }),
    ),
  }));
  const size = graph.graph() as { width?: number; height?: number };
  return { nodes, edges: placedEdges, width: size.width ?? 0, height: size.height ?? 0 };
}
