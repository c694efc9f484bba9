// The left side panel: a text filter and the runs by project, each with its live state badge
// and step. Clicking a run runs the "open run" command (the panel holds no logic of its own).

import type { Message } from "@lumino/messaging";
import { Widget } from "@lumino/widgets";

import { h, replaceChildren } from "../dashboard/dom";
import { badge } from "../dashboard/format";
import type { RunInfo } from "../http_api";
import { runKey } from "./backend";
import type { RunsModel } from "./runs_model";

export class RunsPanel extends Widget {
  private readonly filter: HTMLInputElement;
  private readonly list: HTMLElement;

  constructor(
    private readonly model: RunsModel,
    private readonly openRun: (path: string) => void,
  ) {
    super();
    this.id = "nbrun-runs-panel";
    this.addClass("nbrun-panel");
    this.filter = h("input", { type: "search", class: "nbrun-filter", placeholder: "Filter runs" });
    this.filter.addEventListener("input", () => this.render());
    this.list = h("div", { class: "nbrun-run-list" });
    this.node.append(h("h2", { class: "nbrun-panel-title" }, "nbrun runs"), this.filter, this.list);
    model.changed.connect(() => this.render());
    this.render();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.model.activate();
  }

  private render(): void {
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
    const item = h(
      "li",
      { class: "nbrun-run", "data-run": key, title: key, tabindex: 0 },
      h("span", { class: "nbrun-run-name" }, run.name),
      badge(run.state),
      h("span", { class: "nbrun-run-step", title: "step" }, run.last_step === null ? "–" : String(run.last_step)),
    );
    item.addEventListener("click", () => this.openRun(key));
    item.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        this.openRun(key);
      }
    });
    return item;
  }
}
