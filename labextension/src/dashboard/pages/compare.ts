// Compare: several runs of a project overlaid on the same charts, one colour per run; their
// media (images, tables, plots, ...) side by side per key at one step.

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
import { isRich } from "../panels/registry";
import { RichCompareRow } from "../panels/rich_compare";
import { section } from "./run_parts";

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
  const compared = infos.map((info, index) => ({
    run: runs[index]!.run,
    label: info.name,
    color: PALETTE[index % PALETTE.length]!,
  }));
  const richRows = new Map<string, RichCompareRow>();
  const richList = h("div", { class: "rich-compare-list" });
  const media = section("Media", richList);
  media.hidden = true; // until a rich value shows up
  const addRich = (key: string): RichCompareRow => {
    let row = richRows.get(key);
    if (!row) {
      row = new RichCompareRow(ctx, key, compared);
      richRows.set(key, row);
      richList.appendChild(row.element);
      media.hidden = false;
    }
    return row;
  };
  replaceChildren(main, h("h1", {}, `Compare ${infos.length} runs`), legend, board.element, media);
  const cursors = infos.map((info) => (info.last_step ?? -1) + 1);
  const richKeys = [
    ...new Set(infos.flatMap((info) => Object.keys(info.summary).filter((k) => isRich(info.summary[k])))),
  ];
  try {
    await Promise.all([
      ...infos.map((_, index) => board.load(index, cursors[index]!)),
      ...richKeys.map((key) => addRich(key).load(cursors)),
    ]);
  } catch (error) {
    showError(ctx, board.element, error);
    return;
  }
  main.dataset["loaded"] = "1";
  infos.forEach((info, index) => {
    if (info.state === "running" || info.state === "preempting") {
      followRun(ctx, runs[index]!.run, (info.last_step ?? -1) + 1, {
        rows: ({ rows }) => {
          board.extend(index, rows);
          const found = new Map<string, [number, unknown][]>();
          for (const row of rows) {
            for (const [key, value] of Object.entries(row)) {
              if (isRich(value)) {
                found.set(key, [...(found.get(key) ?? []), [row._step, value]]);
              }
            }
          }
          found.forEach((values, key) => addRich(key).add(index, values));
        },
        run: ({ state }) => legend.querySelector(`li:nth-child(${index + 1}) .badge`)?.replaceWith(badge(state)),
        end: () => undefined,
      });
    }
  });
}
