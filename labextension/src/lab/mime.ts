// The MIME extension: renders `application/vnd.nbrun.run+json` (a bare `run`, `display(run)`).
// A module of its own: JupyterLab loads MIME extensions apart from the plugins module.

import type { IRenderMime } from "@jupyterlab/rendermime-interfaces";

import { RUN_MIME_TYPE } from "./mime_payload";
import { RunOutput } from "./run_output";

export const rendererFactory: IRenderMime.IRendererFactory = {
  // The views build their DOM from text nodes only and frame nbrun's own dashboard.
  safe: true,
  mimeTypes: [RUN_MIME_TYPE],
  // Ahead of the bundle's text/html fallback (rank 50).
  defaultRank: 10,
  createRenderer: () => new RunOutput(),
};

const extension: IRenderMime.IExtension = {
  id: "nbrun:run-renderer",
  description: "Renders nbrun runs in notebook outputs.",
  rendererFactory,
  dataType: "json",
};

export default extension;
