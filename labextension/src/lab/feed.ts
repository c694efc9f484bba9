// The backend's change feed of runs (GET /events through the proxy, followed by the
// dashboard's followRuns): one connection per Lab page, shared by the side panel and the run
// outputs, instead of each of them polling.

import { Signal } from "@lumino/signaling";

import { followRuns } from "../dashboard/live";
import type { RunInfo } from "../http_api";
import { proxyContext } from "./backend";

export class RunFeed {
  /** A run was created or changed: its whole RunInfo as it is now. */
  readonly changed = new Signal<this, RunInfo>(this);
  /** The feed came back after a gap: lists may have missed changes, read them again. */
  readonly reconnected = new Signal<this, void>(this);

  private stop: (() => void) | null = null;

  /** Start listening (idempotent). */
  start(): void {
    this.stop ??= followRuns(
      proxyContext("light"),
      {},
      {
        changed: (run) => this.changed.emit(run),
        resync: () => this.reconnected.emit(),
      },
    );
  }
}

let shared: RunFeed | null = null;

/** The page's one feed; its users start it once they need it (opening Lab alone must not
 * reach for the backend: the proxy would start the embedded one). */
export function runFeed(): RunFeed {
  shared ??= new RunFeed();
  return shared;
}
