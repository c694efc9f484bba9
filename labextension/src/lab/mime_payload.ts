// The `application/vnd.nbrun.run+json` payload a bare `run` renders with: mirrors
// RunMimePayload in nbrun/jupyter/mime.py (keep the two in step).

export const RUN_MIME_TYPE = "application/vnd.nbrun.run+json";
export const RUN_MIME_VERSION = 1;

export interface RunMimePayload {
  version: number;
  entity: string;
  project: string;
  id: string;
  name: string;
  state: string;
  step: number;
  url: string | null;
  embed_path: string;
  embed_url: string | null;
  summary: Record<string, number | string | boolean>;
}
