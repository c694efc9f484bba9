// The status-bar item for the current notebook's run. The current notebook comes from Lab's
// shell (currentChanged) and its kernel from the widget's sessionContext, typed structurally:
// @jupyterlab/notebook is not a dependency, and any document with a kernel session qualifies.

import type { JupyterFrontEnd, JupyterFrontEndPlugin } from "@jupyterlab/application";
import { ILabShell } from "@jupyterlab/application";
import type { ISessionContext } from "@jupyterlab/apputils";
import { IStatusBar } from "@jupyterlab/statusbar";
import { Signal } from "@lumino/signaling";
import type { Widget } from "@lumino/widgets";

import { CommandIds } from "../commands";
import { runFeed } from "../feed";
import { RUN_MIME_TYPE } from "../mime_payload";
import { runsModel } from "../runs_model";
import { RunStatus } from "../status";

function sessionOf(widget: Widget | null): ISessionContext | null {
  const context = (widget as { sessionContext?: ISessionContext } | null)?.sessionContext;
  return context && typeof context.kernelChanged?.connect === "function" ? context : null;
}

/** What an iopub message needs of its shape here (KernelMessage.IIOPubMessage has more). */
interface IopubMessage {
  header: { msg_type: string };
  content: unknown;
}

/** nbrun announces a run on the kernel's stderr ("nbrun: ...") and renders runs as its MIME type. */
function usesNbrun(message: IopubMessage): boolean {
  const content = message.content as { text?: unknown; data?: Record<string, unknown> };
  if (message.header.msg_type === "stream") {
    return typeof content.text === "string" && content.text.includes("nbrun: ");
  }
  return !!content.data && RUN_MIME_TYPE in content.data;
}

export const statusPlugin: JupyterFrontEndPlugin<void> = {
  id: "nbrun:status",
  description: "A status-bar item with the run of the current notebook's kernel.",
  autoStart: true,
  // Optional: Notebook 7 has neither Lab's shell nor always a status bar.
  optional: [IStatusBar, ILabShell],
  activate: (app: JupyterFrontEnd, statusBar: IStatusBar | null, labShell: ILabShell | null): void => {
    if (!statusBar || !labShell) {
      return;
    }
    const model = runsModel(runFeed());
    const item = new RunStatus((path) => void app.commands.execute(CommandIds.openRun, { path }));
    const shownChanged = new Signal<RunStatus, void>(item);
    let session: ISessionContext | null = null;

    const update = (): void => {
      const kernelId = session?.session?.kernel?.id ?? null;
      const before = item.run;
      item.showRun(kernelId === null ? null : (model.forKernel(kernelId) ?? null));
      if ((before === null) !== (item.run === null)) {
        shownChanged.emit();
      }
    };
    // The backend is read only once this kernel shows it uses nbrun (or the panel or a run
    // output already started the feed): through the proxy, the first read starts the
    // embedded nbrun server, which a notebook that never imports nbrun should not do.
    const onIopub = (_: ISessionContext, message: IopubMessage): void => {
      if (usesNbrun(message)) {
        model.activate();
      }
    };
    const follow = (widget: Widget | null): void => {
      session?.kernelChanged.disconnect(update);
      session?.sessionChanged.disconnect(update);
      session?.iopubMessage.disconnect(onIopub);
      session = sessionOf(widget);
      session?.kernelChanged.connect(update);
      session?.sessionChanged.connect(update);
      session?.iopubMessage.connect(onIopub);
      update();
    };

    model.changed.connect(update);
    labShell.currentChanged.connect((shell) => follow(shell.currentWidget));
    statusBar.registerStatusItem("nbrun:status", {
      item,
      align: "left",
      rank: 5,
      isActive: () => item.run !== null,
      activeStateChanged: shownChanged,
    });
    follow(labShell.currentWidget);
  },
};
