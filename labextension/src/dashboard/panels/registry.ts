// Rich values (history values with a "_type": images, histograms, tables, HTML, ...): each
// type is one small renderer registered here; unknown types show as JSON text.

import type { Context } from "../context";
import { api, tokenUrl } from "../context";
import { runPath } from "../../http_api";
import { h } from "../dom";
import type { RunRef } from "../live";

export type RichValue = Record<string, unknown> & { _type: string };

export interface PanelContext {
  ctx: Context;
  run: RunRef;
  key: string;
}

export type Renderer = (value: RichValue, panel: PanelContext) => HTMLElement;

const renderers = new Map<string, Renderer>();

export function registerRenderer(type: string, renderer: Renderer): void {
  renderers.set(type, renderer);
}

export function isRich(value: unknown): value is RichValue {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    typeof (value as { _type?: unknown })._type === "string"
  );
}

const disposers = new WeakMap<Element, () => void>();

/** Run `dispose` when the panel drops `element` (a chart's listeners, a pending request). */
export function onDispose(element: Element, dispose: () => void): void {
  disposers.set(element, dispose);
}

/** Release what the rendered values under `root` hold. */
export function disposeValues(root: Element): void {
  for (const element of [root, ...root.querySelectorAll("*")]) {
    disposers.get(element)?.();
    disposers.delete(element);
  }
}

export function renderValue(value: RichValue, panel: PanelContext): HTMLElement {
  const renderer = renderers.get(value._type);
  if (renderer) {
    try {
      return renderer(value, panel);
    } catch (error) {
      return h("p", { class: "error" }, `cannot show ${value._type}: ${String(error)}`);
    }
  }
  return h("pre", { class: "json" }, JSON.stringify(value, null, 2));
}

/** A run file's path in URLs: each part encoded, the slashes kept. */
export function encodePath(path: string): string {
  return path.split("/").map(encodeURIComponent).join("/");
}

/** The API path of one of the run's resources by file path ("files", "tables"). */
export function runFilePath(panel: PanelContext, kind: "files" | "tables", path: string): string {
  const run = panel.run;
  return `${runPath(run.entity, run.project, run.id)}/${kind}/${encodePath(path)}`;
}

/** The download URL of one of the run's files (media values refer to files by path). */
export function fileUrl(panel: PanelContext, path: string): string {
  return tokenUrl(panel.ctx, runFilePath(panel, "files", path));
}

const JSON_FILES_KEPT = 16;
const jsonFiles = new Map<string, Promise<unknown>>();

/** One of the run's JSON files (a table, a figure), fetched once while recently used: moving a
 * step slider back and forth asks the server only once per file. */
export function fetchJsonFile<T>(panel: PanelContext, path: string): Promise<T> {
  const where = runFilePath(panel, "files", path);
  let found = jsonFiles.get(where);
  if (found === undefined) {
    found = api<unknown>(panel.ctx, where);
    found.catch(() => jsonFiles.delete(where)); // a failure is not kept: the next show retries
  } else {
    jsonFiles.delete(where); // re-inserted below: the most recently used go last
  }
  jsonFiles.set(where, found);
  while (jsonFiles.size > JSON_FILES_KEPT) {
    jsonFiles.delete(jsonFiles.keys().next().value as string);
  }
  return found as Promise<T>;
}
