// Where the lab extension reaches the nbrun backend: the Jupyter server extension's read-only
// proxy at `<base_url>nbrun/`. The browser's Jupyter login (a cookie) authenticates every
// request there and the proxy adds the backend's key itself, so no token ever sits in a URL.

import { PageConfig, URLExt } from "@jupyterlab/coreutils";

import type { Context, Theme } from "../dashboard/context";
import { enc } from "../http_api";

export const PROXY_SEGMENT = "nbrun";

/** The dashboard's Context as mounted under the proxy, so its `api()` works unchanged. */
export function proxyContext(theme: Theme): Context {
  const prefix = URLExt.join(PageConfig.getBaseUrl(), PROXY_SEGMENT).replace(/\/+$/, "");
  return { prefix: new URL(prefix).pathname.replace(/\/+$/, ""), token: null, embed: true, theme };
}

export interface RunAddress {
  entity: string;
  project: string;
  id: string;
}

/** "entity/project/id": how commands, tabs and the restorer name a run. */
export function runKey(run: RunAddress): string {
  return `${run.entity}/${run.project}/${run.id}`;
}

/** The inverse of runKey; null for anything that is not three non-empty segments. */
export function parseRunKey(path: string): RunAddress | null {
  const parts = path
    .trim()
    .replace(/^\/+|\/+$/g, "")
    .split("/");
  const [entity, project, id] = parts;
  return parts.length === 3 && entity && project && id ? { entity, project, id } : null;
}

/** The dashboard's embed view of a run through the proxy, in Lab's theme. */
export function embedUrl(run: RunAddress, theme: Theme): string {
  const ctx = proxyContext(theme);
  return `${ctx.prefix}/${enc(run.entity)}/${enc(run.project)}/runs/${enc(run.id)}?embed=1&theme=${theme}`;
}

/** The dashboard's compare view of runs of one project through the proxy, in Lab's theme. */
export function compareUrl(runs: RunAddress[], theme: Theme): string {
  const ctx = proxyContext(theme);
  const [first] = runs;
  const ids = runs.map((run) => enc(run.id)).join(",");
  return `${ctx.prefix}/${enc(first?.entity ?? "")}/${enc(first?.project ?? "")}/compare?runs=${ids}&embed=1&theme=${theme}`;
}

/** Runs that can be compared: one project's, at least two; null otherwise. */
export function parseCompareKeys(keys: string): RunAddress[] | null {
  const runs = keys.split(",").map(parseRunKey);
  const [first] = runs;
  const valid = runs.every((run) => run && first && run.entity === first.entity && run.project === first.project);
  return valid && runs.length >= 2 ? (runs as RunAddress[]) : null;
}
