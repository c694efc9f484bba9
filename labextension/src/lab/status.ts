// The status-bar item: the run of the current notebook's kernel (name, live state badge, step).
// It shows what the runs model holds (kept current by the change feed); a click opens the run.

import { Widget } from "@lumino/widgets";

import { h, replaceChildren } from "../dashboard/dom";
import { badge } from "../dashboard/format";
import type { RunInfo } from "../http_api";
import { runKey } from "./backend";

export class RunStatus extends Widget {
  /** The run shown, or null (the item is then hidden by the status bar). */
  run: RunInfo | null = null;

  constructor(private readonly openRun: (path: string) => void) {
    super({ node: h("button", { type: "button", class: "nbrun-status" }) });
    this.node.addEventListener("click", this);
  }

  handleEvent(event: Event): void {
    if (event.type === "click" && this.run) {
      this.openRun(runKey(this.run));
    }
  }

  showRun(run: RunInfo | null): void {
    this.run = run;
    if (!run) {
      replaceChildren(this.node);
      return;
    }
    this.node.title = `nbrun run ${runKey(run)} of this notebook's kernel: click to open it`;
    this.node.dataset["run"] = runKey(run);
    replaceChildren(
      this.node,
      h("span", { class: "nbrun-status-label" }, "nbrun"),
      h("span", { class: "nbrun-status-name" }, run.name),
      badge(run.state),
      h("span", { class: "nbrun-status-step", title: "step" }, run.last_step === null ? "–" : String(run.last_step)),
    );
  }
}
