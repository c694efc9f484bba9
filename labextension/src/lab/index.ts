// nbrun's JupyterLab plugins (the MIME renderer is in ./mime, a module of its own).

import type { JupyterFrontEndPlugin } from "@jupyterlab/application";

import { comparePlugin } from "./plugins/compare";
import { panelPlugin } from "./plugins/panel";
import { runTabsPlugin } from "./plugins/run_tabs";
import { statusPlugin } from "./plugins/status";

const plugins: JupyterFrontEndPlugin<void>[] = [panelPlugin, runTabsPlugin, comparePlugin, statusPlugin];

export default plugins;
