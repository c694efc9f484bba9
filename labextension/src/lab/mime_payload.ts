// The `application/vnd.nbrun.run+json` payload a bare `run` renders with: mirrors
// RunMimePayload in nbrun/protocol/mime.py (tests/unit/protocol/test_typescript_mirror.py
// fails when the two drift).

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
