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

/** A logged number as it arrived (JSON spells NaN and infinities as "NaN", "Infinity" and
 * "-Infinity": see NonFinite in http_api.ts) as a JS number; undefined when it is none. */
export function wireNumber(value: unknown): number | undefined {
  if (typeof value === "number") {
    return value;
  }
  switch (value) {
    case "NaN":
      return NaN;
    case "Infinity":
      return Infinity;
    case "-Infinity":
      return -Infinity;
    default:
      return undefined;
  }
}

/** A value as a table shows it; NaN and infinities (as numbers or as they arrive in JSON)
 * read "NaN", "Inf" and "-Inf". */
export function formatValue(value: unknown): string {
  if (typeof value === "number" || typeof value === "string") {
    const number = wireNumber(value);
    if (number !== undefined && !Number.isFinite(number)) {
      return Number.isNaN(number) ? "NaN" : number > 0 ? "Inf" : "-Inf";
    }
  }
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
