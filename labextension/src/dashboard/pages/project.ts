// A project's runs: a table with state badges, sort, text filter, grouping, summary and config
// columns, and a selection to compare. New runs and state changes appear without reload.

import type { RunInfo } from "../../http_api";
import { API_PREFIX, enc } from "../../http_api";
import type { Context } from "../context";
import { api, url } from "../context";
import type { Attrs, Child } from "../dom";
import { h, replaceChildren } from "../dom";
import { badge, formatDuration, formatTime, formatValue, runtime } from "../format";
import { frame, showError } from "../frame";
import { flatten } from "../keys";
import { followRuns } from "../live";
import { isRich } from "../panels/registry";
import { projectNav } from "./artifacts";

const DEFAULT_COLUMNS = 3;

type Column = { id: string; title: string; value: (run: RunInfo) => unknown; cell?: (run: RunInfo) => Child };

function baseColumns(ctx: Context, project: string): Column[] {
  return [
    {
      id: "name",
      title: "Name",
      value: (r) => r.name,
      cell: (r) =>
        h("a", { class: "run-link", href: url(ctx, `/${enc(r.entity)}/${enc(project)}/runs/${enc(r.id)}`) }, r.name),
    },
    { id: "state", title: "State", value: (r) => r.state, cell: (r) => badge(r.state) },
    { id: "group", title: "Group", value: (r) => r.group ?? "" },
    {
      id: "tags",
      title: "Tags",
      value: (r) => r.tags.join(", "),
      cell: (r) => h("span", { class: "tags-inline" }, ...r.tags.map((t) => h("span", { class: "tag" }, t))),
    },
    { id: "created", title: "Created", value: (r) => r.start_time ?? 0, cell: (r) => formatTime(r.start_time) },
    { id: "runtime", title: "Runtime", value: (r) => runtime(r) ?? 0, cell: (r) => formatDuration(runtime(r)) },
  ];
}

function valueColumns(runs: RunInfo[], kind: "summary" | "config"): Column[] {
  const keys = new Set<string>();
  for (const run of runs) {
    flatten(run[kind]).forEach(([key, value]) => !key.startsWith("_") && !isRich(value) && keys.add(key));
  }
  return [...keys].sort().map((key) => ({
    id: `${kind}:${key}`,
    title: key,
    value: (run: RunInfo) => new Map(flatten(run[kind])).get(key) ?? null,
    cell: (run: RunInfo) => {
      const v = new Map(flatten(run[kind])).get(key);
      return v === undefined ? "" : formatValue(v);
    },
  }));
}

/** A checkbox that says whether `item` is in `set`, and puts it in or out. */
function membership(set: Set<string>, item: string, attrs: Attrs, changed: () => void): HTMLInputElement {
  const box = h("input", { ...attrs, checked: set.has(item) });
  box.addEventListener("change", () => {
    if (box.checked) {
      set.add(item);
    } else {
      set.delete(item);
    }
    changed();
  });
  return box;
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") {
    return a - b;
  }
  return formatValue(a ?? "").localeCompare(formatValue(b ?? ""));
}

export async function projectPage(ctx: Context, root: HTMLElement, entity: string, project: string): Promise<void> {
  const main = frame(ctx, root, [
    ["Projects", url(ctx, "/")],
    [project, null],
  ]);
  const path = `${API_PREFIX}/runs/${enc(entity)}/${enc(project)}`;
  let runs: RunInfo[];
  try {
    runs = (await api<{ runs: RunInfo[] }>(ctx, path, { limit: 1000 })).runs;
  } catch (error) {
    showError(ctx, main, error);
    return;
  }
  const selected = new Set<string>();
  const chosen = new Set<string>();
  let sortBy = "created";
  let descending = true;
  let columns: Column[] = [];
  const filter = h("input", {
    type: "search",
    class: "filter",
    placeholder: "filter runs",
    "aria-label": "filter runs",
  });
  const groupBy = h(
    "select",
    { class: "group-by", "aria-label": "group by" },
    h("option", { value: "" }, "no grouping"),
    h("option", { value: "group" }, "group by group"),
    h("option", { value: "job_type" }, "group by job type"),
  );
  const compareLink = h("a", { class: "button compare" }, "Compare selected");
  const columnPicker = h("div", { class: "column-picker" });
  const tableSlot = h("div", { class: "table-slot" });

  const render = (): void => {
    const extra = [...valueColumns(runs, "summary"), ...valueColumns(runs, "config")];
    if (!chosen.size) {
      extra
        .filter((c) => c.id.startsWith("summary:"))
        .slice(0, DEFAULT_COLUMNS)
        .forEach((c) => chosen.add(c.id));
      extra
        .filter((c) => c.id.startsWith("config:"))
        .slice(0, DEFAULT_COLUMNS)
        .forEach((c) => chosen.add(c.id));
    }
    replaceChildren(
      columnPicker,
      ...extra.map((c) => {
        const box = membership(chosen, c.id, { type: "checkbox" }, render);
        return h("label", {}, box, c.id.replace(":", ": "));
      }),
    );
    columns = [...baseColumns(ctx, project), ...extra.filter((c) => chosen.has(c.id))];
    const needle = filter.value.trim().toLowerCase();
    const shown = runs.filter(
      (r) =>
        !needle ||
        [r.name, r.id, r.group ?? "", r.job_type ?? "", ...r.tags].some((t) => t.toLowerCase().includes(needle)),
    );
    const column = columns.find((c) => c.id === sortBy) ?? columns[0]!;
    shown.sort((a, b) => (descending ? -1 : 1) * compare(column.value(a), column.value(b)));
    const field = groupBy.value as "" | "group" | "job_type";
    const groups = new Map<string, RunInfo[]>();
    for (const run of shown) {
      const name = field ? (run[field] ?? "(none)") : "";
      groups.set(name, [...(groups.get(name) ?? []), run]);
    }
    const head = h(
      "tr",
      {},
      h("th", {}, ""),
      ...columns.map((c) => {
        const th = h(
          "th",
          { class: "sortable", "data-column": c.id },
          c.title,
          c.id === sortBy ? (descending ? " ▼" : " ▲") : "",
        );
        th.addEventListener("click", () => {
          descending = sortBy === c.id ? !descending : false;
          sortBy = c.id;
          render();
        });
        return th;
      }),
    );
    const body: HTMLTableRowElement[] = [];
    groups.forEach((members, name) => {
      if (field) {
        body.push(
          h("tr", { class: "group-row" }, h("td", { colspan: columns.length + 1 }, `${name} (${members.length})`)),
        );
      }
      for (const run of members) {
        const attrs = { type: "checkbox", class: "select-run", "aria-label": `select ${run.name}` };
        const box = membership(selected, run.id, attrs, updateCompare);
        body.push(
          h(
            "tr",
            { "data-run": run.id },
            h("td", {}, box),
            ...columns.map((c) => h("td", { "data-column": c.id }, c.cell ? c.cell(run) : formatValue(c.value(run)))),
          ),
        );
      }
    });
    replaceChildren(
      tableSlot,
      shown.length
        ? h("table", { class: "grid runs" }, h("thead", {}, head), h("tbody", {}, ...body))
        : h("p", { class: "empty" }, runs.length ? "No run matches the filter." : "No runs yet."),
    );
  };
  const updateCompare = (): void => {
    const ids = [...selected];
    compareLink.classList.toggle("disabled", ids.length < 2);
    compareLink.setAttribute("href", url(ctx, `/${enc(entity)}/${enc(project)}/compare`, { runs: ids.join(",") }));
  };
  filter.addEventListener("input", render);
  groupBy.addEventListener("change", render);
  replaceChildren(
    main,
    h("h1", {}, project),
    projectNav(ctx, entity, project, "runs"),
    h(
      "div",
      { class: "toolbar" },
      filter,
      groupBy,
      compareLink,
      h("details", { class: "columns" }, h("summary", {}, "Columns"), columnPicker),
    ),
    tableSlot,
  );
  render();
  updateCompare();
  main.dataset["loaded"] = "1";

  // New runs and changes of state, without reload: the change feed sends each changed run.
  followRuns(
    ctx,
    { entity, project },
    {
      changed: (run) => {
        const at = runs.findIndex((r) => r.id === run.id);
        if (at >= 0) {
          runs[at] = run;
        } else {
          runs.unshift(run);
        }
        render();
      },
      resync: () => {
        void api<{ runs: RunInfo[] }>(ctx, path, { limit: 1000 }).then((fresh) => {
          runs = fresh.runs;
          render();
        });
      },
    },
  );
}
