// One rich key's panel: its value at a chosen step (a slider over the steps that have one, or
// a step the compare view chooses for several runs at once). Only that key's rows travel, a
// page at a time; live rows append. A histogram key can also show every step at once (a
// heatmap, histogram_steps.ts).

import type { HistoryRows } from "../../http_api";
import { runPath } from "../../http_api";
import { api } from "../context";
import type { Child } from "../dom";
import { h, replaceChildren } from "../dom";
import { drawHistogramSteps, histogramCounts, histogramStepsPanel, isHistogram } from "./histogram_steps";
import type { PanelContext, RichValue } from "./registry";
import { disposeValues, isRich, renderValue } from "./registry";

const PAGE = 500;

export interface RichPanelOptions {
  /** The caption's title (the key by default). */
  title?: Child;
  /** Whether the panel has a step slider of its own (else showStep() chooses the step). */
  slider?: boolean;
  /** Called when new steps arrive. */
  onSteps?: () => void;
}

export class RichPanel {
  readonly element: HTMLElement;
  private readonly steps: number[] = [];
  private readonly values: RichValue[] = [];
  private readonly slider = h("input", { type: "range", min: 0, max: 0, value: 0, "aria-label": "step" });
  private readonly label = h("span", { class: "step-label" });
  private readonly body = h("div", { class: "rich-body" });
  private readonly mode = h("button", { type: "button", class: "rich-mode", hidden: true }, "over steps");
  private readonly ownSlider: boolean;
  private shown = -1;
  private heatmap: HTMLElement | null = null; // the histograms over steps, when shown

  constructor(
    private readonly panel: PanelContext,
    private readonly options: RichPanelOptions = {},
  ) {
    this.ownSlider = options.slider ?? true;
    this.slider.hidden = true;
    this.slider.addEventListener("input", () => this.show(Number(this.slider.value)));
    this.mode.addEventListener("click", () => this.toggleMode());
    this.element = h(
      "figure",
      { class: "rich", "data-key": panel.key, "data-run": panel.run.id },
      h(
        "figcaption",
        {},
        h("span", { class: "chart-title" }, options.title ?? panel.key),
        this.label,
        this.ownSlider ? this.slider : null,
        this.ownSlider ? this.mode : null,
      ),
      this.body,
    );
  }

  /** The steps this key has a value at, in order. */
  get stepList(): readonly number[] {
    return this.steps;
  }

  /** Show the value at `step`, or the last one before it (the compare view's shared step). */
  showStep(step: number): void {
    let index = -1;
    for (let i = 0; i < this.steps.length && this.steps[i]! <= step; i++) {
      index = i;
    }
    if (index < 0) {
      this.shown = -1;
      this.label.textContent = "";
      disposeValues(this.body);
      replaceChildren(this.body, h("p", { class: "empty" }, `no value at step ${step}`));
    } else if (index !== this.shown) {
      this.show(index);
    }
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
    this.slider.hidden = this.steps.length < 2 || this.heatmap !== null;
    this.mode.hidden = this.steps.length < 2 || !this.values.every(isHistogram);
    if (!this.ownSlider) {
      this.options.onSteps?.();
      return;
    }
    if (atEnd || this.steps.length === 1) {
      this.slider.value = this.slider.max;
    }
    if (this.heatmap) {
      this.labelSteps();
      drawHistogramSteps(this.heatmap, this.steps, this.values.map(histogramCounts));
    } else if (atEnd || this.steps.length === 1) {
      this.show(this.steps.length - 1);
    }
  }

  /** Between one step's bars (with the slider) and the heatmap over every step. */
  private toggleMode(): void {
    disposeValues(this.body);
    if (this.heatmap) {
      this.heatmap = null;
      this.mode.textContent = "over steps";
      this.slider.hidden = this.steps.length < 2;
      this.show(Number(this.slider.value));
      return;
    }
    this.shown = -1;
    this.heatmap = histogramStepsPanel(this.steps, this.values.map(histogramCounts));
    this.mode.textContent = "one step";
    this.slider.hidden = true;
    this.labelSteps();
    replaceChildren(this.body, this.heatmap);
  }

  private labelSteps(): void {
    this.label.textContent = `steps ${this.steps[0]}–${this.steps[this.steps.length - 1]}`;
  }

  private show(index: number): void {
    const value = this.values[index];
    if (value === undefined) {
      this.shown = -1;
      disposeValues(this.body);
      replaceChildren(this.body, h("p", { class: "empty" }, "no value yet"));
      return;
    }
    this.shown = index;
    this.label.textContent = `step ${this.steps[index]}`;
    this.element.dataset["type"] = value._type; // tables take the grid's whole width
    disposeValues(this.body);
    replaceChildren(this.body, renderValue(value, this.panel));
  }
}
