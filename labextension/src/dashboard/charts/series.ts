// Pure helpers for charts: which metrics are charted, in which section, against which x axis,
// and smoothing.

import type { MetricDefinition } from "../../http_api";
import { matchingDefinition, sectionOf } from "../keys";

export const STEP = "_step";
export const DEFAULT_SECTION = "Charts";
const SYSTEM_SECTION = "system";

/** The section a key's chart is shown in (keys.ts's rule), the default one named for display. */
export function sectionName(key: string): string {
  return sectionOf(key) || DEFAULT_SECTION;
}

/** The definition that applies to a key (keys.ts's rule: the exact one, else the longest
 * matching glob such as "train/*"), if any. */
export function definitionFor(key: string, definitions: MetricDefinition[]): MetricDefinition | undefined {
  const name = matchingDefinition(
    definitions.map((d) => d.name),
    key,
  );
  return name === null ? undefined : definitions.find((d) => d.name === name);
}

/** The keys that get a chart: not internal ("_runtime"), not hidden. */
export function chartedKeys(keys: string[], definitions: MetricDefinition[]): string[] {
  return keys.filter((key) => !key.startsWith("_") && !definitionFor(key, definitions)?.hidden);
}

/** Keys grouped by section, sections in display order (default first, system last). */
export function sections(keys: string[]): [string, string[]][] {
  const groups = new Map<string, string[]>();
  for (const key of [...keys].sort()) {
    const name = sectionName(key);
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
