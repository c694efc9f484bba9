// A run (or runs compared) in a main-area tab: the dashboard's embed view through the proxy, in
// Lab's theme.

import { MainAreaWidget } from "@jupyterlab/apputils";
import { Widget } from "@lumino/widgets";

import type { Theme } from "../dashboard/context";
import type { RunAddress } from "./backend";
import { compareUrl, embedUrl, runKey } from "./backend";

/** A dashboard page in a frame; `url` gives its address in a theme. */
class DashboardFrame extends Widget {
  private readonly frame: HTMLIFrameElement;

  constructor(
    private readonly url: (theme: Theme) => string,
    title: string,
    theme: Theme,
  ) {
    super();
    this.addClass("nbrun-run-view");
    this.frame = document.createElement("iframe");
    this.frame.className = "nbrun-run-frame";
    this.frame.title = title;
    this.node.append(this.frame);
    this.setTheme(theme);
  }

  /** Show the view in `theme` (the embed view reads its theme once, from its URL). */
  setTheme(theme: Theme): void {
    const src = this.url(theme);
    if (this.frame.getAttribute("src") !== src) {
      this.frame.dataset["theme"] = theme;
      this.frame.src = src;
    }
  }
}

export class RunView extends DashboardFrame {
  constructor(
    readonly run: RunAddress,
    theme: Theme,
  ) {
    super((t) => embedUrl(run, t), `nbrun run ${runKey(run)}`, theme);
  }
}

export class CompareView extends DashboardFrame {
  constructor(
    readonly runs: RunAddress[],
    theme: Theme,
  ) {
    super((t) => compareUrl(runs, t), `nbrun compare ${runs.map(runKey).join(", ")}`, theme);
  }

  /** The runs as the compare command's `runs` argument. */
  get keys(): string {
    return this.runs.map(runKey).join(",");
  }
}

/** A main-area tab holding a RunView; its id is stable per run so a run opens once. */
export function runTab(run: RunAddress, theme: Theme): MainAreaWidget<RunView> {
  const tab = new MainAreaWidget({ content: new RunView(run, theme) });
  tab.id = `nbrun-run-${runKey(run)}`;
  tab.title.label = run.id;
  tab.title.caption = runKey(run);
  tab.title.closable = true;
  tab.addClass("nbrun-run-tab");
  return tab;
}

/** A main-area tab comparing `runs` (of one project); one tab per set of runs. */
export function compareTab(runs: RunAddress[], theme: Theme): MainAreaWidget<CompareView> {
  const tab = new MainAreaWidget({ content: new CompareView(runs, theme) });
  tab.id = `nbrun-compare-${tab.content.keys}`;
  tab.title.label = `Compare ${runs.length} runs`;
  tab.title.caption = tab.content.keys;
  tab.title.closable = true;
  tab.addClass("nbrun-compare-tab");
  return tab;
}
