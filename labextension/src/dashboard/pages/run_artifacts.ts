// The run page's artifacts: the versions the run used (inputs) and logged (outputs).

import type { RunArtifacts, RunInfo } from "../../http_api";
import { runPath } from "../../http_api";
import type { Context } from "../context";
import { api } from "../context";
import { h } from "../dom";
import { versionsTable } from "./artifact_tables";

/** The run's inputs and outputs; null when it has neither. */
export async function runArtifacts(ctx: Context, info: RunInfo): Promise<HTMLElement | null> {
  const found = await api<RunArtifacts>(ctx, `${runPath(info.entity, info.project, info.id)}/artifacts`);
  if (!found.used.length && !found.logged.length) {
    return null;
  }
  const part = (title: string, kind: string, table: HTMLElement | null): HTMLElement =>
    h("div", { class: `run-artifacts-${kind}` }, h("h3", {}, title), table ?? h("p", { class: "empty" }, "None."));
  return h(
    "div",
    { class: "run-artifacts" },
    part("Inputs", "used", found.used.length ? versionsTable(ctx, found.used, true) : null),
    part("Outputs", "logged", found.logged.length ? versionsTable(ctx, found.logged, true) : null),
  );
}
