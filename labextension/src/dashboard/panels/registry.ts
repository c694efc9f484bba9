// Rich values (history values with a "_type": images, histograms, tables, HTML, ...): each
// type is one small renderer registered here; unknown types show as JSON text.

import type { Context } from "../context";
import { tokenUrl } from "../context";
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

/** The download URL of one of the run's files (media values refer to files by path). */
export function fileUrl(panel: PanelContext, path: string): string {
  const run = panel.run;
  const encoded = path.split("/").map(encodeURIComponent).join("/");
  return tokenUrl(panel.ctx, `${runPath(run.entity, run.project, run.id)}/files/${encoded}`);
}
