// A run in a main-area tab: the dashboard's embed view of it through the proxy, in Lab's theme.

import { MainAreaWidget } from "@jupyterlab/apputils";
import { Widget } from "@lumino/widgets";

import type { Theme } from "../dashboard/context";
import type { RunAddress } from "./backend";
import { embedUrl, runKey } from "./backend";

export class RunView extends Widget {
  private readonly frame: HTMLIFrameElement;

  constructor(
    readonly run: RunAddress,
    theme: Theme,
  ) {
    super();
    this.addClass("nbrun-run-view");
    this.frame = document.createElement("iframe");
    this.frame.className = "nbrun-run-frame";
    this.frame.title = `nbrun run ${runKey(run)}`;
    this.node.append(this.frame);
    this.setTheme(theme);
  }

  /** Show the view in `theme` (the embed view reads its theme once, from its URL). */
  setTheme(theme: Theme): void {
    const src = embedUrl(this.run, theme);
    if (this.frame.getAttribute("src") !== src) {
      this.frame.dataset["theme"] = theme;
      this.frame.src = src;
    }
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
