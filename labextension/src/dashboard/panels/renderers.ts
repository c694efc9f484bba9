// The renderers of the rich value types nbrun logs today. One function per type.

import { plotly } from "../charts/plotly";
import { h, replaceChildren } from "../dom";
import { formatValue } from "../format";
import type { PanelContext, RichValue } from "./registry";
import { fileUrl, registerRenderer } from "./registry";

function image(value: RichValue, panel: PanelContext): HTMLElement {
  const path = typeof value["path"] === "string" ? value["path"] : "";
  const caption = typeof value["caption"] === "string" ? value["caption"] : null;
  return h(
    "figure",
    { class: "rich-image" },
    h("img", { src: fileUrl(panel, path), alt: caption ?? panel.key, loading: "lazy" }),
    caption ? h("figcaption", {}, caption) : null,
  );
}

function histogram(value: RichValue): HTMLElement {
  const bins = (value["bins"] as number[] | undefined) ?? [];
  const counts = (value["values"] as number[] | undefined) ?? [];
  const centres = counts.map((_, i) => ((bins[i] ?? 0) + (bins[i + 1] ?? bins[i] ?? 0)) / 2);
  const plot = h("div", { class: "plot small" });
  void plotly().then((Plotly) =>
    Plotly.react(
      plot,
      [{ type: "bar", x: centres, y: counts, marker: { color: "#1f77b4" } }],
      {
        margin: { l: 36, r: 8, t: 8, b: 24 },
        paper_bgcolor: "rgba(0,0,0,0)",
        plot_bgcolor: "rgba(0,0,0,0)",
        bargap: 0,
      },
      { displaylogo: false, responsive: true },
    ),
  );
  return plot;
}

const PAGE_ROWS = 20;

/** A table paged and sortable by any column; cells are text. */
function dataTable(value: RichValue): HTMLElement {
  const columns = ((value["columns"] as unknown[] | undefined) ?? []).map(String);
  const data = ((value["data"] as unknown[] | undefined) ?? []).filter((row): row is unknown[] => Array.isArray(row));
  let page = 0;
  let sortBy = -1;
  let descending = false;
  const body = h("div", { class: "rich-table" });
  const render = (): void => {
    const rows = [...data];
    if (sortBy >= 0) {
      rows.sort((a, b) => {
        const x = a[sortBy];
        const y = b[sortBy];
        const order =
          typeof x === "number" && typeof y === "number" ? x - y : formatValue(x).localeCompare(formatValue(y));
        return descending ? -order : order;
      });
    }
    const pages = Math.max(1, Math.ceil(rows.length / PAGE_ROWS));
    page = Math.min(page, pages - 1);
    const header = columns.map((name, index) => {
      const th = h("th", { class: "sortable" }, name, index === sortBy ? (descending ? " ▼" : " ▲") : "");
      th.addEventListener("click", () => {
        descending = sortBy === index ? !descending : false;
        sortBy = index;
        render();
      });
      return th;
    });
    const shown = rows.slice(page * PAGE_ROWS, (page + 1) * PAGE_ROWS);
    const prev = h("button", { type: "button", disabled: page === 0 }, "‹");
    const next = h("button", { type: "button", disabled: page >= pages - 1 }, "›");
    prev.addEventListener("click", () => {
      page -= 1;
      render();
    });
    next.addEventListener("click", () => {
      page += 1;
      render();
    });
    replaceChildren(
      body,
      h(
        "table",
        { class: "grid" },
        h("thead", {}, h("tr", {}, ...header)),
        h("tbody", {}, ...shown.map((row) => h("tr", {}, ...row.map((cell) => h("td", {}, formatValue(cell)))))),
      ),
      h("div", { class: "pager" }, prev, `${page + 1} / ${pages} (${rows.length} rows)`, next),
    );
  };
  render();
  return body;
}

/** HTML media run in a sandboxed frame: no scripts, no access to the dashboard. */
function html(value: RichValue, panel: PanelContext): HTMLElement {
  const path = typeof value["path"] === "string" ? value["path"] : "";
  return h("iframe", { class: "rich-html", sandbox: "", src: fileUrl(panel, path), title: panel.key });
}

registerRenderer("image-file", image);
registerRenderer("histogram", histogram);
registerRenderer("table", dataTable);
registerRenderer("table-file", dataTable);
registerRenderer("html-file", html);
