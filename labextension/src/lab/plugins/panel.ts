// The "nbrun" side panel with its commands: open it, refresh its lists.

import type { JupyterFrontEnd, JupyterFrontEndPlugin } from "@jupyterlab/application";
import { ILayoutRestorer } from "@jupyterlab/application";
import { ICommandPalette } from "@jupyterlab/apputils";

import { CommandIds, PALETTE_CATEGORY } from "../commands";
import { runFeed } from "../feed";
import { labKernels } from "../lab_kernels";
import { RunsPanel } from "../panel";
import { runsModel } from "../runs_model";

export const panelPlugin: JupyterFrontEndPlugin<void> = {
  id: "nbrun:panel",
  description: "A side panel of nbrun's projects and runs with live state badges.",
  autoStart: true,
  optional: [ILayoutRestorer, ICommandPalette],
  activate: (app: JupyterFrontEnd, restorer: ILayoutRestorer | null, palette: ICommandPalette | null): void => {
    const model = runsModel(runFeed());
    const panel = new RunsPanel(
      model,
      labKernels(app.serviceManager.kernels),
      (path) => void app.commands.execute(CommandIds.openRun, { path }),
      () => void app.commands.execute(CommandIds.compare, {}),
    );
    panel.title.caption = "nbrun runs";
    panel.title.label = "nbrun";
    app.shell.add(panel, "left", { rank: 600 });
    // The restorer remembers whether the panel was the open one across reloads.
    restorer?.add(panel, "nbrun-runs-panel");

    app.commands.addCommand(CommandIds.openPanel, {
      label: "nbrun: Show Runs Panel",
      execute: () => app.shell.activateById(panel.id),
    });
    app.commands.addCommand(CommandIds.refresh, {
      label: "nbrun: Refresh Runs",
      execute: () => model.refresh(),
    });
    for (const command of [CommandIds.openPanel, CommandIds.refresh]) {
      palette?.addItem({ command, category: PALETTE_CATEGORY });
    }
  },
};
