// The runs the side panel shows: read once (projects, then each project's runs), then kept
// current from the change feed. Lists are read again only on "refresh" or after the feed lost
// its connection, never on a timer.

import { Signal } from "@lumino/signaling";

import { api } from "../dashboard/context";
import type { ProjectInfo, RunInfo } from "../http_api";
import { API_PREFIX, enc } from "../http_api";
import { proxyContext, runKey } from "./backend";
import type { RunFeed } from "./feed";

export class RunsModel {
  readonly changed = new Signal<this, void>(this);
  /** Why the last read failed (shown in the panel), or null. */
  error: string | null = null;
  loaded = false;
  /** Runs picked in the panel for "compare", as run keys in the order picked. */
  readonly selected = new Set<string>();

  private runs = new Map<string, RunInfo>();
  private active = false;

  constructor(private readonly feed: RunFeed) {
    feed.changed.connect((_, run) => this.put(run));
    feed.reconnected.connect(() => void this.refresh());
  }

  /** Read the lists once and follow the feed from then on (the panel calls it when shown). */
  activate(): void {
    if (!this.active) {
      void this.refresh();
    }
  }

  /** Read every project's runs (again), then follow the feed. */
  async refresh(): Promise<void> {
    this.active = true;
    const ctx = proxyContext("light");
    try {
      const { projects } = await api<{ projects: ProjectInfo[] }>(ctx, `${API_PREFIX}/projects`);
      const lists = await Promise.all(
        projects.map((p) => api<{ runs: RunInfo[] }>(ctx, `${API_PREFIX}/runs/${enc(p.entity)}/${enc(p.project)}`)),
      );
      const fresh = new Map<string, RunInfo>();
      for (const run of lists.flatMap((list) => list.runs)) {
        fresh.set(runKey(run), run);
      }
      // A feed event newer than the list read wins.
      for (const [key, run] of this.runs) {
        const listed = fresh.get(key);
        if (listed && listed.acked_seq < run.acked_seq) {
          fresh.set(key, run);
        }
      }
      this.runs = fresh;
      this.error = null;
    } catch (error) {
      this.error = error instanceof Error ? error.message : String(error);
    }
    this.loaded = true;
    this.changed.emit();
    // Listen only after the lists: the feed resends the last seconds' changes, so nothing
    // changed between the two reads is lost.
    this.feed.start();
  }

  /** Runs grouped by "entity/project", each group newest first; groups by latest start. */
  groups(filter: string): [string, RunInfo[]][] {
    const needle = filter.trim().toLowerCase();
    const byProject = new Map<string, RunInfo[]>();
    for (const run of this.runs.values()) {
      const project = `${run.entity}/${run.project}`;
      const text = `${project} ${run.name} ${run.id} ${run.tags.join(" ")}`.toLowerCase();
      if (!needle || text.includes(needle)) {
        byProject.set(project, [...(byProject.get(project) ?? []), run]);
      }
    }
    const newest = (run: RunInfo): number => run.start_time ?? 0;
    const groups = [...byProject.entries()].map(
      ([project, runs]) => [project, runs.sort((a, b) => newest(b) - newest(a))] as [string, RunInfo[]],
    );
    return groups.sort(([, a], [, b]) => newest(b[0]!) - newest(a[0]!));
  }

  /** The run a kernel works on: its newest live run, else its newest run; undefined if none. */
  forKernel(kernelId: string): RunInfo | undefined {
    const live = (run: RunInfo): number => (run.state === "running" || run.state === "preempting" ? 1 : 0);
    let best: RunInfo | undefined;
    for (const run of this.runs.values()) {
      if (run.kernel_id !== kernelId) {
        continue;
      }
      const newer = (run.start_time ?? 0) > (best?.start_time ?? 0);
      if (!best || live(run) > live(best) || (live(run) === live(best) && newer)) {
        best = run;
      }
    }
    return best;
  }

  /** Pick or unpick a run for "compare". */
  select(key: string, picked: boolean): void {
    if (picked) {
      this.selected.add(key);
    } else {
      this.selected.delete(key);
    }
    this.changed.emit();
  }

  get(key: string): RunInfo | undefined {
    return this.runs.get(key);
  }

  private put(run: RunInfo): void {
    this.runs.set(runKey(run), run);
    this.changed.emit();
  }
}

let shared: RunsModel | null = null;

/** The page's one model of runs (empty until activated). */
export function runsModel(feed: RunFeed): RunsModel {
  shared ??= new RunsModel(feed);
  return shared;
}
