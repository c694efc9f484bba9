// The backend's HTTP API as the browser sees it: mirrors nbrun/protocol/http.py and
// nbrun/protocol/events.py; tests/unit/protocol/test_typescript_mirror.py fails when the two
// drift. Shared by the dashboard app and the JupyterLab plugin.

export const API_PREFIX = "/api/v1";

/** The URL path of one run's resource (append "/history", "/stream", ...). */
export function runPath(entity: string, project: string, runId: string): string {
  return `${API_PREFIX}/runs/${enc(entity)}/${enc(project)}/${enc(runId)}`;
}

export function enc(segment: string): string {
  return encodeURIComponent(segment);
}

export type RunState = "running" | "finished" | "failed" | "crashed" | "preempting";

export interface ProjectInfo {
  entity: string;
  project: string;
  run_count: number;
  last_activity: number | null;
}

/** One define_metric definition (MetricInfo in nbrun/protocol/http.py); a name ending in
 * "*" is a glob over key prefixes; null means "not set". */
export interface MetricDefinition {
  name: string;
  step_metric: string | null;
  step_sync: boolean | null;
  hidden: boolean | null;
  summary: string[] | null;
  goal: string | null;
}

export interface RunInfo {
  id: string;
  entity: string;
  project: string;
  name: string;
  notes: string | null;
  tags: string[];
  group: string | null;
  job_type: string | null;
  state: RunState;
  exit_code: number | null;
  config: Record<string, unknown>;
  summary: Record<string, unknown>;
  metrics: MetricDefinition[];
  start_time: number | null;
  heartbeat_time: number | null;
  end_time: number | null;
  host: string | null;
  resumed: boolean;
  sweep_id: string | null;
  program: string | null; // the script's path, a notebook's name, or "<python>"
  kernel_id: string | null; // the Jupyter kernel that runs it (/api/kernels/<id>), if any
  last_step: number | null;
  history_rows: number;
  acked_seq: number;
  refused_records: number; // records the server refused (one at a time, each with a reason)
}

/** NaN and infinities as JSON answers and events spell them (JSON has no literal for them):
 * JSON_NAN, JSON_POS_INF, JSON_NEG_INF in nbrun/protocol/http.py. They may stand for any
 * float the run logged: series values, row values, summary and config values. */
export type NonFinite = "NaN" | "Infinity" | "-Infinity";

/** A logged float as it arrives. */
export type WireNumber = number | NonFinite;

export interface Series {
  x: WireNumber[];
  y: (WireNumber | null)[];
}

export interface HistorySeries {
  series: Record<string, Series>;
  sampled: boolean;
}

export type HistoryRow = Record<string, unknown> & { _step: number };

export interface HistoryRows {
  rows: HistoryRow[];
  next_min_step: number | null;
}

export interface FileInfo {
  path: string;
  size: number;
  sha256: string;
  updated_at: number;
}

/** Rows per TablePage at most (the server's limit). */
export const MAX_TABLE_PAGE = 1000;

/** One page of a table file's rows, filtered and sorted by the server (GET R/tables/{path}). */
export interface TablePage {
  columns: string[];
  rows: unknown[][]; // cells as the table file holds them (media payloads whole)
  index: number[]; // each row's position in the table file
  offset: number; // of the first row among the filtered, sorted rows
  total: number; // rows that pass the filter
  nrows: number; // rows in the table
}

export interface AlertInfo {
  n: number; // 0, 1, ... in the order raised
  time: number;
  title: string;
  text: string;
  level: string; // INFO | WARN | ERROR
}

export interface Alerts {
  alerts: AlertInfo[];
}

export interface ConsoleLine {
  n: number; // pass the last one seen as `after` to read on
  stream: string; // stdout | stderr
  time: number;
  text: string;
}

export interface ConsoleLines {
  lines: ConsoleLine[];
  cursor: number | null;
}

export interface ReadToken {
  token: string;
  run: string;
}

/** Events of GET R/stream (server-sent events): rows, console (ConsoleLines), alerts
 * (Alerts), run, end. */
export interface StreamRows {
  rows: HistoryRow[];
  next_min_step: number;
}

export type StreamRun = Pick<RunInfo, "state" | "exit_code" | "last_step" | "history_rows" | "summary" | "end_time">;

export interface StreamEnd {
  state: RunState | null;
}

export interface ApiError {
  detail: string;
}

/** The URL path of a project's artifacts (append "/{name}", "/{name}/{version}", ...). */
export function artifactsPath(entity: string, project: string): string {
  return `${API_PREFIX}/artifacts/${enc(entity)}/${enc(project)}`;
}

export interface ArtifactVersionInfo {
  entity: string;
  project: string;
  name: string;
  type: string;
  version: string; // "v0", "v1", ... in the order the backend committed them
  digest: string;
  size: number;
  files: number;
  description: string | null;
  metadata: Record<string, unknown>;
  aliases: string[];
  tags: string[];
  created_at: number;
  logged_by: string | null; // the logging run as "entity/project/run_id"
}

/** One manifest entry (nbrun/protocol/artifacts.py ManifestEntry). */
export interface ManifestEntry {
  digest: string; // base64 MD5 of the bytes, or a reference's checksum
  size: number;
  sha256?: string; // absent for references
  ref?: string;
}

export interface ArtifactVersion {
  entity: string;
  project: string;
  name: string;
  type: string;
  version: string;
  digest: string;
  size: number;
  files: number;
  description: string | null;
  metadata: Record<string, unknown>;
  aliases: string[];
  tags: string[];
  created_at: number;
  logged_by: string | null;
  manifest: { contents: Record<string, ManifestEntry> } & Record<string, unknown>;
}

export interface ArtifactVersions {
  versions: ArtifactVersionInfo[];
}

export interface ArtifactCollectionInfo {
  name: string;
  type: string;
  versions: number;
  updated_at: number;
}

export interface ArtifactCollections {
  artifacts: ArtifactCollectionInfo[];
}

export interface UsedArtifactInfo {
  entity: string;
  project: string;
  name: string;
  type: string;
  version: string;
  digest: string;
  size: number;
  files: number;
  description: string | null;
  metadata: Record<string, unknown>;
  aliases: string[];
  tags: string[];
  created_at: number;
  logged_by: string | null;
  use_as: string | null;
}

export interface RunArtifacts {
  logged: ArtifactVersionInfo[];
  used: UsedArtifactInfo[];
}

export interface LineageNode {
  id: string; // "run:entity/project/run_id" or "artifact:entity/project/name:v3"
  kind: "run" | "artifact";
  entity: string;
  project: string;
  name: string; // the run's display name, or the artifact's name
  run_id: string | null;
  state: string | null;
  type: string | null;
  version: string | null;
  aliases: string[];
}

export interface LineageEdge {
  source: string;
  target: string;
  kind: "logged" | "used";
}

/** GET A/{name}/{version}/lineage: runs and versions within `hops` of a version. */
export interface Lineage {
  root: string;
  nodes: LineageNode[];
  edges: LineageEdge[];
  truncated: boolean;
}
