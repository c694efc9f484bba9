// The left side panel: a text filter and the runs by project, each with its live state badge
// and step. Clicking a run runs the "open run" command (the panel holds no logic of its own).

import type { Message } from "@lumino/messaging";
import { Widget } from "@lumino/widgets";

import { h, replaceChildren } from "../dashboard/dom";
import { badge } from "../dashboard/format";
import type { RunInfo } from "../http_api";
import { parseCompareKeys, runKey } from "./backend";
import type { LabKernels } from "./lab_kernels";
import type { RunsModel } from "./runs_model";

export class RunsPanel extends Widget {
  private readonly filter: HTMLInputElement;
  private readonly list: HTMLElement;
  private readonly compareButton: HTMLButtonElement;

  constructor(
    private readonly model: RunsModel,
    private readonly kernels: LabKernels,
    private readonly openRun: (path: string) => void,
    compare: () => void,
  ) {
    super();
    this.id = "nbrun-runs-panel";
    this.addClass("nbrun-panel");
    this.filter = h("input", { type: "search", class: "nbrun-filter", placeholder: "Filter runs" });
    this.filter.addEventListener("input", () => this.render());
    this.list = h("div", { class: "nbrun-run-list" });
    this.compareButton = h("button", { type: "button", class: "nbrun-compare jp-mod-styled" }, "Compare selected");
    this.compareButton.addEventListener("click", compare);
    const tools = h("div", { class: "nbrun-panel-tools" }, this.filter, this.compareButton);
    this.node.append(h("h2", { class: "nbrun-panel-title" }, "nbrun runs"), tools, this.list);
    model.changed.connect(() => this.render());
    kernels.changed.connect(() => this.render());
    this.render();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.model.activate();
  }

  private render(): void {
    const selection = [...this.model.selected].join(",");
    this.compareButton.disabled = parseCompareKeys(selection) === null;
    this.compareButton.title = "Select two or more runs of one project to compare them";
    if (!this.model.loaded) {
      replaceChildren(this.list, h("p", { class: "nbrun-message" }, "Loading runs…"));
      return;
    }
    const groups = this.model.groups(this.filter.value);
    replaceChildren(
      this.list,
      this.model.error
        ? h("p", { class: "nbrun-message nbrun-error", role: "alert" }, `Cannot reach nbrun: ${this.model.error}`)
        : null,
      groups.length === 0 && !this.model.error ? h("p", { class: "nbrun-message" }, "No runs.") : null,
      ...groups.map(([project, runs]) =>
        h(
          "section",
          { class: "nbrun-project", "data-project": project },
          h("h3", {}, project),
          h("ul", {}, ...runs.map((run) => this.item(run))),
        ),
      ),
    );
  }

  private item(run: RunInfo): HTMLElement {
    const key = runKey(run);
    const here = this.kernels.has(run.kernel_id);
    const pick = h("input", {
      type: "checkbox",
      class: "nbrun-select",
      "aria-label": `select ${run.name} to compare`,
      checked: this.model.selected.has(key),
    });
    pick.addEventListener("click", (event) => event.stopPropagation());
    pick.addEventListener("change", () => this.model.select(key, pick.checked));
    const item = h(
      "li",
      { class: here ? "nbrun-run nbrun-this-lab" : "nbrun-run", "data-run": key, title: key, tabindex: 0 },
      pick,
      h("span", { class: "nbrun-run-name" }, run.name),
      here ? h("span", { class: "nbrun-this-lab-marker", title: "its kernel runs in this Lab" }, "●") : null,
      badge(run.state),
      h("span", { class: "nbrun-run-step", title: "step" }, run.last_step === null ? "–" : String(run.last_step)),
    );
    item.addEventListener("click", () => this.openRun(key));
    item.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && event.target === item) {
        this.openRun(key);
      }
    });
    return item;
  }
}
