// A run's live stream (GET R/stream): new history rows from a cursor and changes of state.
// Reconnects from the last cursor after an error, so no row arrives twice or goes missing.

import type { Alerts, ConsoleLines, RunInfo, StreamEnd, StreamRows, StreamRun } from "../http_api";
import { API_PREFIX, runPath } from "../http_api";
import type { Context } from "./context";
import { tokenUrl } from "./context";

export interface StreamHandlers {
  rows(event: StreamRows): void;
  run(event: StreamRun): void;
  end(event: StreamEnd): void;
  console?(event: ConsoleLines): void;
  alerts?(event: Alerts): void;
}

export interface RunRef {
  entity: string;
  project: string;
  id: string;
}

const RETRY_MS = 2000;

/** Follow the run from step `minStep` on; returns a function that stops following. */
export function followRun(
  ctx: Context,
  run: RunRef,
  minStep: number,
  handlers: StreamHandlers,
  consoleAfter: number | null = null,
): () => void {
  let cursor = minStep;
  let line = consoleAfter;
  let source: EventSource | null = null;
  let stopped = false;
  let retry: number | undefined;

  const open = (): void => {
    const path = runPath(run.entity, run.project, run.id) + "/stream";
    const params = { min_step: cursor, console_after: line };
    source = new EventSource(tokenUrl(ctx, path, params), { withCredentials: true });
    source.addEventListener("rows", (event) => {
      const data = JSON.parse((event as MessageEvent<string>).data) as StreamRows;
      cursor = data.next_min_step;
      handlers.rows(data);
    });
    source.addEventListener("console", (event) => {
      const data = JSON.parse((event as MessageEvent<string>).data) as ConsoleLines;
      line = data.cursor ?? line;
      handlers.console?.(data);
    });
    source.addEventListener("alerts", (event) => {
      handlers.alerts?.(JSON.parse((event as MessageEvent<string>).data) as Alerts);
    });
    source.addEventListener("run", (event) => {
      handlers.run(JSON.parse((event as MessageEvent<string>).data) as StreamRun);
    });
    source.addEventListener("end", (event) => {
      stop();
      handlers.end(JSON.parse((event as MessageEvent<string>).data) as StreamEnd);
    });
    source.addEventListener("error", () => {
      // EventSource would reconnect with the URL it started from (an old cursor): reopen here.
      source?.close();
      source = null;
      if (!stopped) {
        retry = window.setTimeout(open, RETRY_MS);
      }
    });
  };

  const stop = (): void => {
    stopped = true;
    window.clearTimeout(retry);
    source?.close();
    source = null;
  };

  open();
  return stop;
}

export interface RunFeedHandlers {
  /** A run was created or changed: its whole RunInfo as it is now. */
  changed(run: RunInfo): void;
  /** The feed came back after a gap: changes may have been missed, read the list again. */
  resync(): void;
}

/** Follow the change feed of runs (GET /events), of one entity/project when given; returns a
 *  function that stops following. One request held open instead of refetching lists. */
export function followRuns(
  ctx: Context,
  scope: { entity?: string; project?: string },
  handlers: RunFeedHandlers,
): () => void {
  let source: EventSource | null = null;
  let stopped = false;
  let dropped = false;
  let retry: number | undefined;

  const open = (): void => {
    source = new EventSource(tokenUrl(ctx, `${API_PREFIX}/events`, scope), { withCredentials: true });
    source.addEventListener("open", () => {
      if (dropped) {
        dropped = false;
        handlers.resync();
      }
    });
    source.addEventListener("run", (event) => {
      handlers.changed(JSON.parse((event as MessageEvent<string>).data) as RunInfo);
    });
    source.addEventListener("error", () => {
      // Reopen ourselves: the browser's own retry gives up on an HTTP error.
      source?.close();
      source = null;
      dropped = true;
      if (!stopped) {
        retry = window.setTimeout(open, RETRY_MS);
      }
    });
  };

  open();
  return () => {
    stopped = true;
    window.clearTimeout(retry);
    source?.close();
    source = null;
  };
}
