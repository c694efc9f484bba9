// The charts of one or more runs (one run page, or the compare view): a panel per charted
// metric, in sections, loaded in parallel and drawn as each answer lands; live rows extend them
// and new keys add panels.

import type { HistoryRow, RunInfo, Series } from "../../http_api";
import type { Context } from "../context";
import { h } from "../dom";
import { wireNumber } from "../format";
import { THEME_EVENT } from "../frame";
import { flatten, isGlob } from "../keys";
import type { RunRef } from "../live";
import { ChartPanel, fetchSeries } from "./chart";
import { PALETTE, STEP, chartedKeys, definitionFor, sections } from "./series";

const X_CHOICES = [STEP, "_runtime", "_timestamp"];
const PARALLEL = 6; // requests in flight: what a browser opens to one host anyway
const MAX_REQUESTS = 12; // past this many keys, a request asks for several

export interface BoardRun {
  run: RunRef;
  info: RunInfo;
  label: string;
}

/** The keys a run has history for, as far as its summary and definitions tell; null when a
 * glob definition keeps some keys out of the summary (then only asking for all keys knows). */
function likelyKeys(info: RunInfo): string[] | null {
  if (info.metrics.some((d) => isGlob(d.name) && d.summary?.includes("none"))) {
    return null;
  }
  const keys = new Set<string>();
  for (const [key, value] of flatten(info.summary)) {
    if (isChartable(value)) {
      keys.add(key); // nested values chart as dotted keys ("n.x"), as the server names them
    }
  }
  for (const d of info.metrics) {
    if (!isGlob(d.name)) {
      keys.add(d.name);
    }
    if (d.step_metric) {
      keys.add(d.step_metric);
    }
  }
  return [...keys];
}

/** A value a chart can show: a number (NaN and infinities as they arrive too) or a bool. */
function isChartable(value: unknown): boolean {
  return typeof value === "boolean" || wireNumber(value) !== undefined;
}

async function inParallel<T>(jobs: (() => Promise<T>)[], limit: number): Promise<void> {
  const queue = [...jobs];
  const worker = async (): Promise<void> => {
    for (let job = queue.shift(); job; job = queue.shift()) {
      await job();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, queue.length) }, worker));
}

export class ChartBoard {
  readonly element = h("div", { class: "charts" });
  readonly panels = new Map<string, ChartPanel>();
  private readonly sectionBodies = new Map<string, HTMLElement>();
  private readonly known = new Set<string>();

  constructor(
    private readonly ctx: Context,
    private readonly runs: BoardRun[],
  ) {
    document.addEventListener(THEME_EVENT, () => this.panels.forEach((p) => p.redraw()));
  }

  private definitions(): RunInfo["metrics"] {
    return this.runs.flatMap((r) => r.info.metrics);
  }

  /** The x axis a key is charted against by default: its step_metric, else _step. */
  private defaultX(key: string): string {
    const stepMetric = definitionFor(key, this.definitions())?.step_metric ?? null;
    return stepMetric && this.known.has(stepMetric) ? stepMetric : STEP;
  }

  /** Panels for these keys (those not charted are left out); returns the new ones. */
  ensure(keys: string[]): ChartPanel[] {
    keys.forEach((key) => this.known.add(key));
    const created: ChartPanel[] = [];
    const fresh = chartedKeys(keys, this.definitions()).filter((k) => !this.panels.has(k));
    for (const [name, inSection] of sections(fresh)) {
      const body = this.sectionBody(name);
      for (const key of inSection) {
        const defaultX = this.defaultX(key);
        const choices = [...new Set([...X_CHOICES.filter((x) => x === STEP || this.known.has(x)), defaultX])];
        const sources = this.runs.map((r, index) => ({
          run: r.run,
          label: r.label,
          color: PALETTE[index % PALETTE.length] ?? "#1f77b4",
        }));
        const panel = new ChartPanel(this.ctx, key, sources, choices, defaultX);
        this.panels.set(key, panel);
        // keep panels sorted by key whatever order their data arrives in
        const next = [...body.children].find((el) => ((el as HTMLElement).dataset["key"] ?? "") > key);
        body.insertBefore(panel.element, next ?? null);
        created.push(panel);
      }
    }
    return created;
  }

  private sectionBody(name: string): HTMLElement {
    const found = this.sectionBodies.get(name);
    if (found) {
      return found;
    }
    const body = h("div", { class: "chart-grid" });
    this.sectionBodies.set(name, body);
    const details = h(
      "details",
      { class: "section chart-section", open: true, "data-section": name },
      h("summary", {}, name),
      body,
    );
    // keep sections in display order as new ones appear
    const names = sections([...this.sectionBodies.keys()].map((n) => `${n}/x`)).map(([n]) => n);
    const order = names.indexOf(name);
    const next = [...this.element.children].find(
      (el) => names.indexOf((el as HTMLElement).dataset["section"] ?? "") > order,
    );
    this.element.insertBefore(details, next ?? null);
    return body;
  }

  /** First draw of run `index`: every series up to (not including) step `cursor`. Keys are
   * asked for in parallel, and each chart draws as soon as its answer is in. */
  async load(index: number, cursor: number): Promise<void> {
    const { run, info } = this.runs[index]!;
    const keys = likelyKeys(info);
    if (keys === null) {
      const all = await fetchSeries(this.ctx, run, { maxStep: cursor });
      this.ensure(Object.keys(all.series));
      await this.loadGroups(index, cursor, [...this.panels.keys()], (key) => all.series[key]);
      return;
    }
    keys.forEach((key) => this.known.add(key));
    await this.loadGroups(index, cursor, chartedKeys(keys, this.definitions()));
  }

  private async loadGroups(
    index: number,
    cursor: number,
    keys: string[],
    ready?: (key: string) => Series | undefined,
  ): Promise<void> {
    const run = this.runs[index]!.run;
    const byX = new Map<string, string[]>();
    for (const key of keys) {
      const x = this.panels.get(key)?.xKey() ?? this.defaultX(key);
      byX.set(x, [...(byX.get(x) ?? []), key]);
    }
    const jobs: (() => Promise<void>)[] = [];
    const drawn: Promise<void>[] = [];
    const size = Math.max(1, Math.ceil(keys.length / MAX_REQUESTS));
    for (const [x, group] of byX) {
      if (x === STEP && ready) {
        for (const key of group) {
          drawn.push(this.panels.get(key)?.setSeries(index, ready(key), cursor) ?? Promise.resolve());
        }
        continue;
      }
      for (let start = 0; start < group.length; start += size) {
        const chunk = group.slice(start, start + size);
        jobs.push(async () => {
          const answer = await fetchSeries(this.ctx, run, { keys: chunk, x, maxStep: cursor });
          const found = chunk.filter((key) => answer.series[key]);
          this.ensure(found);
          for (const key of found) {
            drawn.push(this.panels.get(key)?.setSeries(index, answer.series[key], cursor) ?? Promise.resolve());
          }
        });
      }
    }
    await inParallel(jobs, PARALLEL);
    await Promise.all(drawn); // the page counts as loaded once every chart has drawn
  }

  /** Live rows of run `index`: extend the charts, adding panels for new keys. */
  extend(index: number, rows: HistoryRow[]): void {
    const flat = rows.map((row) => new Map(flatten(row)));
    const keys = new Set<string>();
    flat.forEach((row) => row.forEach((value, k) => wireNumber(value) !== undefined && keys.add(k)));
    for (const panel of this.ensure([...keys])) {
      void panel.setSeries(index, { x: [], y: [] }, 0);
    }
    for (const panel of this.panels.values()) {
      const x = panel.xKey();
      const points = flat
        .filter((row) => row.has(panel.key))
        .map((row) => ({ step: row.get(STEP) as number, x: row.get(x), y: row.get(panel.key) }));
      panel.extend(index, points);
    }
  }
}
