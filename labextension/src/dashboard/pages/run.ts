// The run page (and the embed view): header, charts by section, rich values, tables, files,
// console and alerts. While the run is live, the stream extends everything in place.

import type { RunInfo, StreamRun } from "../../http_api";
import { enc, runPath } from "../../http_api";
import { ChartBoard } from "../charts/board";
import { plotly } from "../charts/plotly";
import type { Context } from "../context";
import { api, url } from "../context";
import { h, replaceChildren } from "../dom";
import { frame, showError } from "../frame";
import type { RunRef } from "../live";
import { followRun } from "../live";
import { RichPanel } from "../panels/rich_panel";
import { isRich } from "../panels/registry";
import { runArtifacts } from "./run_artifacts";
import { AlertsPanel, ConsolePanel } from "./run_logs";
import { RunHeader, filesList, keyValueTable, section } from "./run_parts";

export async function runPage(ctx: Context, root: HTMLElement, ref: RunRef): Promise<void> {
  const main = frame(ctx, root, [
    ["Projects", url(ctx, "/")],
    [ref.project, url(ctx, `/${enc(ref.entity)}/${enc(ref.project)}`)],
    [ref.id, null],
  ]);
  main.classList.add("run-page");
  void plotly(); // fetch and compile the chart library while the run's data is asked for
  let info: RunInfo;
  try {
    info = await api<RunInfo>(ctx, runPath(ref.entity, ref.project, ref.id));
  } catch (error) {
    showError(ctx, main, error);
    return;
  }
  document.title = `${info.name} · nbrun`;
  const header = new RunHeader(ctx, info);
  const board = new ChartBoard(ctx, [{ run: ref, info, label: info.name }]);
  const rich = new Map<string, RichPanel>();
  const richGrid = h("div", { class: "rich-grid" });
  const summary = h("div", {}, keyValueTable(info.summary, "summary"));
  const files = h("div", {}, "Loading…");
  const media = section("Media", richGrid);
  media.hidden = true; // until a rich value shows up
  const artifacts = h("div", {}, "Loading…");
  const artifactsSection = section("Artifacts", artifacts);
  artifactsSection.hidden = true; // until the run has used or logged one
  const consolePanel = new ConsolePanel();
  const alertsPanel = new AlertsPanel();
  replaceChildren(
    main,
    header.element,
    board.element,
    media,
    section("Summary", summary, !ctx.embed),
    section("Config", keyValueTable(info.config, "config"), !ctx.embed),
    artifactsSection,
    section("Files", files, false),
    section("Console", consolePanel.element, false),
    section("Alerts", alertsPanel.element, false),
  );
  const showFiles = (): void => {
    filesList(ctx, info)
      .then((list) => replaceChildren(files, list))
      .catch((e: unknown) => showError(ctx, files, e));
  };
  showFiles();
  const showArtifacts = (): Promise<void> =>
    runArtifacts(ctx, info)
      .then((found) => {
        artifactsSection.hidden = found === null;
        replaceChildren(artifacts, found);
      })
      .catch((e: unknown) => {
        artifactsSection.hidden = false;
        showError(ctx, artifacts, e);
      });

  const cursor = (info.last_step ?? -1) + 1;
  const addRich = (key: string): RichPanel => {
    let panel = rich.get(key);
    if (!panel) {
      panel = new RichPanel({ ctx, run: ref, key });
      rich.set(key, panel);
      richGrid.appendChild(panel.element);
      media.hidden = false;
    }
    return panel;
  };
  try {
    await Promise.all([
      board.load(0, cursor),
      consolePanel.load(ctx, ref),
      alertsPanel.load(ctx, ref),
      header.ready,
      showArtifacts(),
    ]);
    const richKeys = Object.keys(info.summary).filter((k) => isRich(info.summary[k]));
    await Promise.all(richKeys.map((key) => addRich(key).load(cursor)));
  } catch (error) {
    showError(ctx, board.element, error);
    return;
  }
  main.dataset["loaded"] = "1";
  if (info.state !== "running" && info.state !== "preempting") {
    return;
  }
  followRun(
    ctx,
    ref,
    cursor,
    {
      rows: ({ rows }) => {
        board.extend(0, rows);
        const richRows = new Map<string, [number, unknown][]>();
        for (const row of rows) {
          for (const [key, value] of Object.entries(row)) {
            if (isRich(value)) {
              richRows.set(key, [...(richRows.get(key) ?? []), [row._step, value]]);
            }
          }
        }
        richRows.forEach((found, key) => addRich(key).add(found));
      },
      run: (change: StreamRun) => {
        header.update(change);
        replaceChildren(summary, keyValueTable(change.summary, "summary"));
      },
      end: ({ state }) => {
        if (state) {
          header.update({ state });
        }
        showFiles();
        void showArtifacts();
      },
      console: (lines) => consolePanel.add(lines),
      alerts: (alerts) => alertsPanel.add(alerts),
    },
    consolePanel.cursor,
  );
}
