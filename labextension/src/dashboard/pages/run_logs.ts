// The run's console (a live tail) and alerts panels, over GET R/console and R/alerts and the
// stream's console/alerts events. On a server without those endpoints: "not available".

import type { AlertInfo, Alerts, ConsoleLine, ConsoleLines } from "../../http_api";
import { runPath } from "../../http_api";
import type { Context } from "../context";
import { HttpError, api } from "../context";
import { h, replaceChildren } from "../dom";
import { formatTime } from "../format";
import type { RunRef } from "../live";

const KEEP_LINES = 2000;

function unavailable(error: unknown): HTMLElement {
  if (error instanceof HttpError && error.status === 404) {
    return h("p", { class: "empty not-available" }, "Not available on this server.");
  }
  return h("p", { class: "error" }, error instanceof Error ? error.message : String(error));
}

export class ConsolePanel {
  readonly element = h("div", { class: "console-panel" }, "Loading…");
  private readonly pre = h("pre", { class: "console" });
  /** The last line number seen (the stream's console_after); null: none or not available. */
  cursor: number | null = null;
  private count = 0;

  async load(ctx: Context, run: RunRef): Promise<void> {
    try {
      // The tail, not the start: a long run's first lines are the least interesting.
      const path = runPath(run.entity, run.project, run.id) + "/console";
      const page = await api<ConsoleLines>(ctx, path, { tail: KEEP_LINES });
      replaceChildren(this.element, this.pre);
      this.add(page);
      this.cursor = this.cursor ?? -1;
    } catch (error) {
      replaceChildren(this.element, unavailable(error));
    }
  }

  add(page: ConsoleLines): void {
    const fresh = page.lines.filter((line) => line.n > (this.cursor ?? -1));
    for (const line of fresh) {
      this.pre.appendChild(this.line(line));
      this.count += 1;
    }
    while (this.count > KEEP_LINES && this.pre.firstChild) {
      this.pre.firstChild.remove(); // a tail: the oldest lines go
      this.count -= 1;
    }
    const last = fresh[fresh.length - 1];
    if (last) {
      this.cursor = last.n;
    }
    this.pre.scrollTop = this.pre.scrollHeight;
  }

  private line(line: ConsoleLine): HTMLElement {
    return h("div", { class: `line ${line.stream === "stderr" ? "stderr" : ""}` }, line.text);
  }
}

export class AlertsPanel {
  readonly element = h("div", { class: "alerts-panel" }, "Loading…");
  private readonly list = h("ul", { class: "alerts" });
  private readonly seen = new Set<number>();

  async load(ctx: Context, run: RunRef): Promise<void> {
    try {
      const answer = await api<Alerts>(ctx, runPath(run.entity, run.project, run.id) + "/alerts");
      replaceChildren(this.element, this.list);
      this.add(answer);
    } catch (error) {
      replaceChildren(this.element, unavailable(error));
    }
  }

  add(answer: Alerts): void {
    for (const alert of answer.alerts) {
      if (!this.seen.has(alert.n)) {
        this.seen.add(alert.n);
        this.list.appendChild(this.item(alert));
      }
    }
    if (!this.seen.size) {
      replaceChildren(this.list, h("li", { class: "empty" }, "No alerts."));
    } else {
      this.list.querySelector("li.empty")?.remove();
    }
  }

  private item(alert: AlertInfo): HTMLElement {
    return h(
      "li",
      { class: `alert alert-${alert.level.toLowerCase()}` },
      h("strong", {}, alert.title),
      " ",
      h("span", { class: "alert-level" }, alert.level),
      " ",
      h("time", {}, formatTime(alert.time)),
      h("p", {}, alert.text),
    );
  }
}
