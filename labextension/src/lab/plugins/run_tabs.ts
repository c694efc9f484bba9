// Run tabs: the "open run" command, a tracker so open tabs come back after a reload, and the
// tabs following Lab's light/dark theme.

import type { JupyterFrontEnd, JupyterFrontEndPlugin } from "@jupyterlab/application";
import { ILayoutRestorer } from "@jupyterlab/application";
import { ICommandPalette, InputDialog, IThemeManager, MainAreaWidget, WidgetTracker } from "@jupyterlab/apputils";

import { parseRunKey, runKey } from "../backend";
import { CommandIds, PALETTE_CATEGORY } from "../commands";
import { runFeed } from "../feed";
import type { RunView } from "../run_view";
import { runTab } from "../run_view";
import { runsModel } from "../runs_model";
import { labTheme } from "../theme";

export const runTabsPlugin: JupyterFrontEndPlugin<void> = {
  id: "nbrun:run-tabs",
  description: "Opens nbrun runs in main-area tabs (the dashboard's run view) and restores them.",
  autoStart: true,
  optional: [ILayoutRestorer, ICommandPalette, IThemeManager],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    themes: IThemeManager | null,
  ): void => {
    const tracker = new WidgetTracker<MainAreaWidget<RunView>>({ namespace: "nbrun-run" });
    const model = runsModel(runFeed());

    app.commands.addCommand(CommandIds.openRun, {
      label: (args) =>
        typeof args["path"] === "string" && args["path"]
          ? `nbrun: Open Run ${args["path"]}`
          : "nbrun: Open Run by Path…",
      execute: async (args) => {
        let path = typeof args["path"] === "string" ? args["path"] : null;
        if (path === null) {
          const asked = await InputDialog.getText({ title: "Open nbrun run", placeholder: "entity/project/run-id" });
          path = asked.button.accept ? asked.value : null;
        }
        const run = path === null ? null : parseRunKey(path);
        if (!run) {
          return;
        }
        const open = tracker.find((tab) => runKey(tab.content.run) === runKey(run));
        if (open) {
          app.shell.activateById(open.id);
          return;
        }
        const tab = runTab(run, labTheme());
        tab.title.label = model.get(runKey(run))?.name ?? run.id;
        // Next to the notebook being worked in, so its cells and the run show side by side.
        const current = app.shell.currentWidget;
        const besideNotebook = current?.hasClass("jp-NotebookPanel") ?? false;
        app.shell.add(tab, "main", besideNotebook ? { mode: "split-right", ref: current!.id } : {});
        await tracker.add(tab);
        app.shell.activateById(tab.id);
      },
    });
    palette?.addItem({ command: CommandIds.openRun, category: PALETTE_CATEGORY });
    // Tabs restored before the runs were read carry the run's id until its name is known.
    model.changed.connect(() => {
      tracker.forEach((tab) => {
        tab.title.label = model.get(runKey(tab.content.run))?.name ?? tab.title.label;
      });
    });

    void restorer?.restore(tracker, {
      command: CommandIds.openRun,
      args: (tab) => ({ path: runKey(tab.content.run) }),
      name: (tab) => runKey(tab.content.run),
    });
    // Tabs restored before the theme's CSS came in, and every later switch, follow here.
    themes?.themeChanged.connect((_, change) => {
      const theme = themes.isLight(change.newValue) ? "light" : "dark";
      tracker.forEach((tab) => tab.content.setTheme(theme));
    });
  },
};
