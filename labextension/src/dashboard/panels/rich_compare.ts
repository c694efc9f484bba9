// The compare view's media: one row per rich key, the runs' values side by side at one step
// (a slider over every step any of the runs has a value at; a run shows its last value at or
// before that step).

import type { Context } from "../context";
import { h } from "../dom";
import type { RunRef } from "../live";
import { RichPanel } from "./rich_panel";

export interface CompareRun {
  run: RunRef;
  label: string;
  color: string;
}

/** The steps of several runs merged: sorted, each once. */
export function mergedSteps(lists: readonly (readonly number[])[]): number[] {
  return [...new Set(lists.flat())].sort((a, b) => a - b);
}

export class RichCompareRow {
  readonly element: HTMLElement;
  private readonly panels: RichPanel[];
  private readonly slider = h("input", { type: "range", min: 0, max: 0, value: 0, "aria-label": "step" });
  private readonly label = h("span", { class: "step-label" });
  private steps: number[] = [];

  constructor(
    ctx: Context,
    readonly key: string,
    runs: CompareRun[],
  ) {
    this.panels = runs.map(
      ({ run, label, color }) =>
        new RichPanel(
          { ctx, run, key },
          {
            title: h("span", {}, h("span", { class: "swatch", style: `background:${color}` }), " ", label),
            slider: false,
            onSteps: () => this.refresh(),
          },
        ),
    );
    this.slider.hidden = true;
    this.slider.addEventListener("input", () => this.showAt(Number(this.slider.value)));
    this.element = h(
      "section",
      { class: "rich-compare", "data-key": key },
      h("h3", {}, h("span", { class: "chart-title" }, key), this.label, this.slider),
      h("div", { class: "rich-grid" }, ...this.panels.map((p) => p.element)),
    );
  }

  /** Load each run's rows of this key below its `maxSteps` entry. */
  async load(maxSteps: number[]): Promise<void> {
    await Promise.all(this.panels.map((panel, i) => panel.load(maxSteps[i] ?? 0)));
  }

  /** Live rows of run `index`. */
  add(index: number, found: [number, unknown][]): void {
    this.panels[index]?.add(found);
  }

  private refresh(): void {
    const atEnd = Number(this.slider.value) >= this.steps.length - 1;
    this.steps = mergedSteps(this.panels.map((p) => p.stepList));
    this.slider.max = String(Math.max(0, this.steps.length - 1));
    this.slider.hidden = this.steps.length < 2;
    this.showAt(atEnd ? this.steps.length - 1 : Number(this.slider.value));
    if (atEnd) {
      this.slider.value = this.slider.max;
    }
  }

  private showAt(index: number): void {
    const step = this.steps[index];
    if (step === undefined) {
      return;
    }
    this.label.textContent = `step ${step}`;
    this.panels.forEach((panel) => panel.showStep(step));
  }
}
