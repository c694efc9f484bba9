// The backend's change feed of runs (GET /events through the proxy): one EventSource per Lab
// page, shared by the side panel, the run outputs and the status bar, instead of each polling.

import { Signal } from "@lumino/signaling";

import { tokenUrl } from "../dashboard/context";
import type { RunInfo } from "../http_api";
import { API_PREFIX } from "../http_api";
import { proxyContext } from "./backend";

const RETRY_MS = 2000;

export class RunFeed {
  /** A run was created or changed: its whole RunInfo as it is now. */
  readonly changed = new Signal<this, RunInfo>(this);
  /** The feed (re)connected after a gap: lists may have missed changes, read them again. */
  readonly reconnected = new Signal<this, void>(this);

  private source: EventSource | null = null;
  private retry: number | undefined;
  private dropped = false;

  /** Start listening (idempotent). */
  start(): void {
    if (this.source || this.retry !== undefined) {
      return;
    }
    const ctx = proxyContext("light");
    const source = new EventSource(tokenUrl(ctx, `${API_PREFIX}/events`), { withCredentials: true });
    source.addEventListener("open", () => {
      if (this.dropped) {
        this.dropped = false;
        this.reconnected.emit();
      }
    });
    source.addEventListener("run", (event) => {
      this.changed.emit(JSON.parse((event as MessageEvent<string>).data) as RunInfo);
    });
    source.addEventListener("error", () => {
      // Reopen ourselves: the browser's own retry would also give up on an HTTP error.
      source.close();
      this.source = null;
      this.dropped = true;
      this.retry = window.setTimeout(() => {
        this.retry = undefined;
        this.start();
      }, RETRY_MS);
    });
    this.source = source;
  }
}

let shared: RunFeed | null = null;

/** The page's one feed, started on first use. */
export function runFeed(): RunFeed {
  if (!shared) {
    shared = new RunFeed();
    shared.start();
  }
  return shared;
}
