// Compare: several runs of a project overlaid on the same charts, one colour per run.

import type { RunInfo } from "../../http_api";
import { enc, runPath } from "../../http_api";
import { PALETTE } from "../charts/series";
import type { Context } from "../context";
import { api, url } from "../context";
import { h, replaceChildren } from "../dom";
import { badge } from "../format";
import { frame, showError } from "../frame";
import { followRun } from "../live";
import { ChartBoard } from "../charts/board";
import { plotly } from "../charts/plotly";

const MAX_RUNS = 20;

export async function comparePage(ctx: Context, root: HTMLElement, entity: string, project: string): Promise<void> {
  const main = frame(ctx, root, [
    ["Projects", url(ctx, "/")],
    [project, url(ctx, `/${enc(entity)}/${enc(project)}`)],
    ["compare", null],
  ]);
  const ids = [
    ...new Set(
      (new URLSearchParams(window.location.search).get("runs") ?? "")
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
  if (!ids.length || ids.length > MAX_RUNS) {
    showError(ctx, main, new Error(`choose between 1 and ${MAX_RUNS} runs to compare (?runs=a,b)`));
    return;
  }
  void plotly(); // fetch and compile the chart library while the runs' data is asked for
  let infos: RunInfo[];
  try {
    infos = await Promise.all(ids.map((id) => api<RunInfo>(ctx, runPath(entity, project, id))));
  } catch (error) {
    showError(ctx, main, error);
    return;
  }
  const runs = infos.map((info) => ({ run: { entity, project, id: info.id }, info, label: info.name }));
  const board = new ChartBoard(ctx, runs);
  const legend = h(
    "ul",
    { class: "legend" },
    ...infos.map((info, index) =>
      h(
        "li",
        { "data-run": info.id },
        h("span", { class: "swatch", style: `background:${PALETTE[index % PALETTE.length]}` }),
        h("a", { href: url(ctx, `/${enc(entity)}/${enc(project)}/runs/${enc(info.id)}`) }, info.name),
        " ",
        badge(info.state),
      ),
    ),
  );
  replaceChildren(main, h("h1", {}, `Compare ${infos.length} runs`), legend, board.element);
  try {
    await Promise.all(infos.map((info, index) => board.load(index, (info.last_step ?? -1) + 1)));
  } catch (error) {
    showError(ctx, board.element, error);
    return;
  }
  main.dataset["loaded"] = "1";
  infos.forEach((info, index) => {
    if (info.state === "running" || info.state === "preempting") {
      followRun(ctx, runs[index]!.run, (info.last_step ?? -1) + 1, {
        rows: ({ rows }) => board.extend(index, rows),
        run: ({ state }) => legend.querySelector(`li:nth-child(${index + 1}) .badge`)?.replaceWith(badge(state)),
        end: () => undefined,
      });
    }
  });
}
