// One rich key's panel: its value at a chosen step (a slider over the steps that have one).
// Only that key's rows travel, a page at a time; live rows append.

import type { HistoryRows } from "../../http_api";
import { runPath } from "../../http_api";
import { api } from "../context";
import { h, replaceChildren } from "../dom";
import type { PanelContext, RichValue } from "./registry";
import { isRich, renderValue } from "./registry";

const PAGE = 500;

export class RichPanel {
  readonly element: HTMLElement;
  private readonly steps: number[] = [];
  private readonly values: RichValue[] = [];
  private readonly slider = h("input", { type: "range", min: 0, max: 0, value: 0, "aria-label": "step" });
  private readonly label = h("span", { class: "step-label" });
  private readonly body = h("div", { class: "rich-body" });

  constructor(private readonly panel: PanelContext) {
    this.slider.addEventListener("input", () => this.show(Number(this.slider.value)));
    this.element = h(
      "figure",
      { class: "rich", "data-key": panel.key },
      h("figcaption", {}, h("span", { class: "chart-title" }, panel.key), this.label, this.slider),
      this.body,
    );
  }

  /** Load the first page of this key's rows below `maxStep` (the live stream does the rest). */
  async load(maxStep: number): Promise<void> {
    const run = this.panel.run;
    const page = await api<HistoryRows>(this.panel.ctx, runPath(run.entity, run.project, run.id) + "/history/rows", {
      keys: this.panel.key,
      max_step: maxStep,
      limit: PAGE,
    });
    this.add(page.rows.map((row) => [row._step, row[this.panel.key]]));
  }

  add(found: [number, unknown][]): void {
    const atEnd = Number(this.slider.value) >= this.steps.length - 1;
    for (const [step, value] of found) {
      if (isRich(value)) {
        this.steps.push(step);
        this.values.push(value);
      }
    }
    this.slider.max = String(Math.max(0, this.steps.length - 1));
    this.slider.hidden = this.steps.length < 2;
    if (atEnd || this.steps.length === 1) {
      this.slider.value = this.slider.max;
      this.show(this.steps.length - 1);
    }
  }

  private show(index: number): void {
    const value = this.values[index];
    if (value === undefined) {
      replaceChildren(this.body, h("p", { class: "empty" }, "no value yet"));
      return;
    }
    this.label.textContent = `step ${this.steps[index]}`;
    replaceChildren(this.body, renderValue(value, this.panel));
  }
}
