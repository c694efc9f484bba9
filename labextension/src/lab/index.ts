// nbrun's JupyterLab plugins (the MIME renderer is in ./mime, a module of its own).

import type { JupyterFrontEndPlugin } from "@jupyterlab/application";

import { panelPlugin } from "./plugins/panel";
import { runTabsPlugin } from "./plugins/run_tabs";

const plugins: JupyterFrontEndPlugin<void>[] = [panelPlugin, runTabsPlugin];

export default plugins;
