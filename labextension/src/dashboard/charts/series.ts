// Pure helpers for charts: which metrics are charted, in which section, against which x axis,
// and smoothing.

import type { MetricDefinition } from "../../http_api";

export const STEP = "_step";
export const DEFAULT_SECTION = "Charts";
const SYSTEM_SECTION = "system";

/** The reference's rule: "a/b/c" goes to section "a/b"; keys without "/" to "Charts". */
export function sectionOf(key: string): string {
  const cut = key.lastIndexOf("/");
  return cut > 0 ? key.slice(0, cut) : DEFAULT_SECTION;
}

/** A key's definition: the exact one merged over the longest matching glob ("train/*"). */
export function definitionFor(key: string, definitions: MetricDefinition[]): Partial<MetricDefinition> {
  let exact: MetricDefinition | undefined;
  let glob: MetricDefinition | undefined;
  for (const d of definitions) {
    if (d.name === key) {
      exact = d;
    } else if (d.name.endsWith("*") && key.startsWith(d.name.slice(0, -1))) {
      if (!glob || d.name.length > glob.name.length) {
        glob = d;
      }
    }
  }
  const merged: Partial<MetricDefinition> = { ...glob };
  for (const [field, value] of Object.entries(exact ?? {})) {
    if (value !== null && value !== undefined) {
      (merged as Record<string, unknown>)[field] = value;
    }
  }
  return merged;
}

/** The keys that get a chart: not internal ("_runtime"), not hidden. */
export function chartedKeys(keys: string[], definitions: MetricDefinition[]): string[] {
  return keys.filter((key) => !key.startsWith("_") && !definitionFor(key, definitions).hidden);
}

/** Keys grouped by section, sections in display order (default first, system last). */
export function sections(keys: string[]): [string, string[]][] {
  const groups = new Map<string, string[]>();
  for (const key of [...keys].sort()) {
    const name = sectionOf(key);
    groups.set(name, [...(groups.get(name) ?? []), key]);
  }
  const rank = (name: string): number =>
    name === DEFAULT_SECTION ? 0 : name === SYSTEM_SECTION || name.startsWith("system/") ? 2 : 1;
  return [...groups.entries()].sort(([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

/** Exponential moving average, debiased as TensorBoard does; gaps (null) stay gaps. */
export function smooth(values: (number | null)[], weight: number): (number | null)[] {
  let last = 0;
  let count = 0;
  return values.map((value) => {
    if (value === null || !Number.isFinite(value)) {
      return value;
    }
    last = last * weight + (1 - weight) * value;
    count += 1;
    return last / (1 - Math.pow(weight, count));
  });
}

export const PALETTE = [
  "#1f77b4",
  "#ff7f0e",
  "#2ca02c",
  "#d62728",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
  "#bcbd22",
  "#17becf",
];
