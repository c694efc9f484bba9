// The run in a notebook's output area: a header (name, live state badge, step) kept current by
// the change feed, and the dashboard's embed view below it, in Lab's theme as it switches. When
// the backend cannot be reached the output still says what the saved notebook knows: state,
// step and last summary.

import type { IRenderMime } from "@jupyterlab/rendermime-interfaces";
import { Widget } from "@lumino/widgets";

import type { Theme } from "../dashboard/context";
import { api, HttpError } from "../dashboard/context";
import { h, replaceChildren } from "../dashboard/dom";
import { badge, formatValue } from "../dashboard/format";
import type { RunInfo } from "../http_api";
import { runPath } from "../http_api";
import type { RunAddress } from "./backend";
import { embedUrl, proxyContext, runKey } from "./backend";
import type { RunFeed } from "./feed";
import { runFeed } from "./feed";
import type { RunMimePayload } from "./mime_payload";
import { RUN_MIME_TYPE } from "./mime_payload";
import { followLabTheme, labTheme } from "./theme";

export class RunOutput extends Widget implements IRenderMime.IRenderer {
  private readonly header = h("div", { class: "nbrun-output-header" });
  private readonly body = h("div", { class: "nbrun-output-body" });
  private payload: RunMimePayload | null = null;
  private live = false;
  private feed: RunFeed | null = null;
  private frame: { run: RunAddress; element: HTMLIFrameElement } | null = null;
  // The embed view reads its theme once, from its URL: a switch reloads it in the new theme.
  private readonly stopTheme = followLabTheme((theme) => this.setTheme(theme));

  constructor() {
    super();
    this.addClass("nbrun-output");
    this.node.append(this.header, this.body);
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const payload = model.data[RUN_MIME_TYPE] as unknown as RunMimePayload;
    this.payload = payload;
    this.showHeader(payload.name, payload.state, payload.step);
    try {
      this.showLive(await api<RunInfo>(proxyContext(labTheme()), runPath(payload.entity, payload.project, payload.id)));
    } catch (error) {
      this.showOffline(payload, error);
      if (error instanceof HttpError && error.status === 404) {
        // A run shown right after init() may not have reached the backend yet: go live when
        // the feed brings it.
        this.follow();
      }
    }
  }

  dispose(): void {
    this.stopTheme();
    this.feed?.changed.disconnect(this.onChange);
    super.dispose();
  }

  private showLive(run: RunInfo): void {
    this.live = true;
    this.showHeader(run.name, run.state, run.last_step);
    const element = h("iframe", { class: "nbrun-output-frame", title: `nbrun run ${runKey(run)}` });
    this.frame = { run, element };
    this.setTheme(labTheme());
    replaceChildren(this.body, element);
    this.follow();
  }

  private setTheme(theme: Theme): void {
    if (this.frame) {
      const src = embedUrl(this.frame.run, theme);
      if (this.frame.element.getAttribute("src") !== src) {
        this.frame.element.src = src;
      }
    }
  }

  private follow(): void {
    if (!this.feed) {
      this.feed = runFeed();
      this.feed.changed.connect(this.onChange);
      this.feed.start();
    }
  }

  // An arrow property, so the feed's signal can hold it without a `this` argument.
  private readonly onChange = (_: RunFeed, run: RunInfo): void => {
    if (this.payload && runKey(run) === runKey(this.payload)) {
      if (this.live) {
        this.showHeader(run.name, run.state, run.last_step);
      } else {
        this.showLive(run);
      }
    }
  };

  private showHeader(name: string, state: string, step: number | null): void {
    replaceChildren(
      this.header,
      h("span", { class: "nbrun-output-name" }, name),
      badge(state),
      h(
        "span",
        { class: "nbrun-output-step" },
        "step ",
        h("b", { class: "nbrun-step" }, step === null ? "–" : String(step)),
      ),
    );
  }

  private showOffline(payload: RunMimePayload, error: unknown): void {
    const reason = error instanceof Error ? error.message : String(error);
    const rows = Object.entries(payload.summary).map(([key, value]) =>
      h("tr", {}, h("th", {}, key), h("td", {}, formatValue(value))),
    );
    replaceChildren(
      this.body,
      h(
        "p",
        { class: "nbrun-message", role: "status" },
        `No live view: the nbrun backend cannot be reached (${reason}). Last known state:`,
      ),
      rows.length ? h("table", { class: "nbrun-output-summary" }, h("tbody", {}, ...rows)) : null,
    );
  }
}
