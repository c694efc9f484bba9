// How values read on the page: times, durations, numbers, state badges.

import type { RunState } from "../http_api";
import { h } from "./dom";

export function formatTime(epochSeconds: number | null | undefined): string {
  if (epochSeconds === null || epochSeconds === undefined) {
    return "–";
  }
  return new Date(epochSeconds * 1000).toLocaleString();
}

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) {
    return "–";
  }
  const s = Math.max(0, Math.round(seconds));
  const parts = [
    [Math.floor(s / 86400), "d"],
    [Math.floor(s / 3600) % 24, "h"],
    [Math.floor(s / 60) % 60, "m"],
    [s % 60, "s"],
  ] as const;
  const shown = parts.filter(([n]) => n > 0).slice(0, 2);
  return shown.length ? shown.map(([n, unit]) => `${n}${unit}`).join(" ") : "0s";
}

/** A run's runtime: until its end, or until now while it runs. */
export function runtime(run: {
  start_time: number | null;
  end_time: number | null;
  heartbeat_time: number | null;
  state: RunState;
}): number | null {
  if (run.start_time === null) {
    return null;
  }
  const live = run.state === "running" || run.state === "preempting";
  const end = live ? Date.now() / 1000 : (run.end_time ?? run.heartbeat_time ?? run.start_time);
  return end - run.start_time;
}

export function formatValue(value: unknown): string {
  if (typeof value === "number") {
    if (Number.isInteger(value)) {
      return String(value);
    }
    const abs = Math.abs(value);
    return abs !== 0 && (abs < 1e-3 || abs >= 1e6) ? value.toExponential(4) : String(+value.toPrecision(6));
  }
  if (value === null || value === undefined) {
    return "null";
  }
  if (typeof value === "string") {
    return value;
  }
  return JSON.stringify(value);
}

const LABELS: Record<string, string> = {
  running: "Running",
  finished: "Finished",
  failed: "Failed",
  crashed: "Crashed",
  preempting: "Preempting",
};

export function stateLabel(state: string): string {
  return LABELS[state] ?? state;
}

export function badge(state: string): HTMLSpanElement {
  const known = state in LABELS ? state : "unknown";
  return h("span", { class: `badge badge-${known}`, "data-state": known }, stateLabel(state));
}

/** Nested config/summary dicts as dotted keys ("optimizer.lr"), in key order. */
export function flatten(value: Record<string, unknown>, prefix = ""): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const [key, inner] of Object.entries(value)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (inner && typeof inner === "object" && !Array.isArray(inner) && !("_type" in inner)) {
      out.push(...flatten(inner as Record<string, unknown>, name));
    } else {
      out.push([name, inner]);
    }
  }
  return out;
}
