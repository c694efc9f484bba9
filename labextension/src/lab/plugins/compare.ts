// Compare tabs: the "compare" command over runs picked in the panel (or given as `runs`,
// "entity/project/a,entity/project/b"), a tracker so they come back after a reload, and the
// tabs following Lab's light/dark theme.

import type { JupyterFrontEnd, JupyterFrontEndPlugin } from "@jupyterlab/application";
import { ILayoutRestorer } from "@jupyterlab/application";
import { ICommandPalette, IThemeManager, MainAreaWidget, WidgetTracker } from "@jupyterlab/apputils";

import { parseCompareKeys } from "../backend";
import { CommandIds, PALETTE_CATEGORY } from "../commands";
import { runFeed } from "../feed";
import type { CompareView } from "../run_view";
import { compareTab } from "../run_view";
import { runsModel } from "../runs_model";
import { labTheme } from "../theme";

export const comparePlugin: JupyterFrontEndPlugin<void> = {
  id: "nbrun:compare",
  description: "Compares nbrun runs picked in the side panel in a main-area tab.",
  autoStart: true,
  optional: [ILayoutRestorer, ICommandPalette, IThemeManager],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    themes: IThemeManager | null,
  ): void => {
    const tracker = new WidgetTracker<MainAreaWidget<CompareView>>({ namespace: "nbrun-compare" });
    const model = runsModel(runFeed());
    const keysOf = (args: Record<string, unknown>): string =>
      typeof args["runs"] === "string" ? args["runs"] : [...model.selected].join(",");

    app.commands.addCommand(CommandIds.compare, {
      label: "nbrun: Compare Selected Runs",
      isEnabled: (args) => parseCompareKeys(keysOf(args)) !== null,
      execute: async (args) => {
        const runs = parseCompareKeys(keysOf(args));
        if (!runs) {
          return;
        }
        const tab = compareTab(runs, labTheme());
        const open = tracker.find((shown) => shown.id === tab.id);
        if (open) {
          tab.dispose();
          app.shell.activateById(open.id);
          return;
        }
        app.shell.add(tab, "main");
        await tracker.add(tab);
        app.shell.activateById(tab.id);
      },
    });
    palette?.addItem({ command: CommandIds.compare, category: PALETTE_CATEGORY });
    model.changed.connect(() => app.commands.notifyCommandChanged(CommandIds.compare));

    void restorer?.restore(tracker, {
      command: CommandIds.compare,
      args: (tab) => ({ runs: tab.content.keys }),
      name: (tab) => tab.content.keys,
    });
    themes?.themeChanged.connect((_, change) => {
      const theme = themes.isLight(change.newValue) ? "light" : "dark";
      tracker.forEach((tab) => tab.content.setTheme(theme));
    });
  },
};
