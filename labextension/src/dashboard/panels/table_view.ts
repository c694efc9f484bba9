// The table viewer: a header to sort by any column, a text filter, and pages of rows. A table
// file's rows stay on the server (GET R/tables/{path} answers one page at a time, so a table of
// 100,000 rows never travels whole); a table whose rows arrive inline is paged here by the same
// rules (table_rows.ts). Cells are text; image cells are thumbnails; other media payloads,
// lists and objects show compactly.

import type { TablePage } from "../../http_api";
import type { TableFile } from "../../media";
import { api } from "../context";
import { h, replaceChildren } from "../dom";
import { formatValue } from "../format";
import type { PanelContext } from "./registry";
import { fileUrl, isRich, onDispose, runFilePath } from "./registry";
import type { TableQuery } from "./table_rows";
import { localPage } from "./table_rows";

export const PAGE_ROWS = 20;
const FILTER_DELAY_MS = 250; // typing pauses this long before the filter applies
const JSON_CELL_CHARS = 80;

/** Where a table's pages come from. */
export type PageSource = (query: TableQuery) => Promise<TablePage>;

/** Pages of a table file, from the server. */
export function remoteSource(panel: PanelContext, table: TableFile): PageSource {
  return (query) =>
    api<TablePage>(panel.ctx, runFilePath(panel, "tables", table.path), {
      offset: query.offset,
      limit: query.limit,
      sort: query.sort,
      desc: query.desc ? "true" : undefined,
      filter: query.filter || undefined,
    });
}

/** Pages of rows that arrived inline. */
export function localSource(columns: string[], rows: unknown[][]): PageSource {
  return (query) => Promise.resolve(localPage(columns, rows, query));
}

/** One cell as the viewer shows it. */
export function renderCell(cell: unknown, panel: PanelContext): Node {
  if (isRich(cell)) {
    const path = typeof cell["path"] === "string" ? cell["path"] : null;
    const caption = typeof cell["caption"] === "string" ? cell["caption"] : null;
    if (cell._type === "image-file" && path) {
      return h(
        "a",
        { class: "cell-image", href: fileUrl(panel, path), target: "_blank", rel: "noopener" },
        h("img", { src: fileUrl(panel, path), alt: caption ?? "image", title: caption ?? path, loading: "lazy" }),
        caption ? h("span", { class: "cell-caption" }, caption) : null,
      );
    }
    const what = describeMedia(cell);
    return path
      ? h("a", { class: "cell-media", href: fileUrl(panel, path), target: "_blank", rel: "noopener" }, what)
      : h("span", { class: "cell-media" }, what);
  }
  if (typeof cell === "object" && cell !== null) {
    const text = JSON.stringify(cell);
    const short = text.length > JSON_CELL_CHARS ? `${text.slice(0, JSON_CELL_CHARS - 1)}…` : text;
    return h("code", { class: "cell-json", title: text }, short);
  }
  if (cell === null || cell === undefined) {
    return h("span", { class: "cell-null" }, "null");
  }
  return document.createTextNode(formatValue(cell));
}

function describeMedia(cell: Record<string, unknown> & { _type: string }): string {
  const caption = typeof cell["caption"] === "string" ? ` ${cell["caption"]}` : "";
  switch (cell._type) {
    case "table-file":
      return `table ${String(cell["nrows"])}×${String(cell["ncols"])}`;
    case "histogram":
      return `histogram (${Array.isArray(cell["values"]) ? cell["values"].length : 0} bins)`;
    default:
      return `${cell._type.replace(/-file$/, "")}${caption}`;
  }
}

export class TableView {
  readonly element: HTMLElement;
  private readonly query: TableQuery = { offset: 0, limit: PAGE_ROWS, sort: null, desc: false, filter: "" };
  private readonly filter = h("input", {
    type: "search",
    class: "table-filter",
    placeholder: "Filter rows…",
    "aria-label": "filter rows",
  });
  private readonly count = h("span", { class: "table-count" });
  private readonly grid = h("div", { class: "table-scroll" });
  private readonly pager = h("div", { class: "pager" });
  private requested = 0; // answers to older requests are dropped
  private timer: number | undefined;
  private page: TablePage | null = null;
  /** Settles when the first page is shown. */
  readonly ready: Promise<void>;

  constructor(
    private readonly panel: PanelContext,
    private readonly source: PageSource,
    private columns: string[],
  ) {
    this.element = h(
      "div",
      { class: "table-view rich-table" },
      h("div", { class: "table-toolbar" }, this.filter, this.count),
      this.grid,
      this.pager,
    );
    this.filter.addEventListener("input", () => {
      window.clearTimeout(this.timer);
      this.timer = window.setTimeout(() => this.applyFilter(), FILTER_DELAY_MS);
    });
    this.filter.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        this.applyFilter();
      }
    });
    onDispose(this.element, () => {
      window.clearTimeout(this.timer);
      this.requested += 1;
    });
    this.ready = this.load();
  }

  private applyFilter(): void {
    window.clearTimeout(this.timer);
    if (this.filter.value !== this.query.filter) {
      this.query.filter = this.filter.value;
      this.query.offset = 0;
      void this.load();
    }
  }

  private sortBy(column: string): void {
    this.query.desc = this.query.sort === column ? !this.query.desc : false;
    this.query.sort = column;
    this.query.offset = 0;
    void this.load();
  }

  private goTo(offset: number): void {
    this.query.offset = Math.max(0, offset);
    void this.load();
  }

  private async load(): Promise<void> {
    const ticket = ++this.requested;
    this.element.dataset["loading"] = "1";
    let page: TablePage;
    try {
      page = await this.source({ ...this.query });
    } catch (error) {
      if (ticket === this.requested) {
        delete this.element.dataset["loading"];
        replaceChildren(this.grid, h("p", { class: "error" }, `cannot load the table: ${String(error)}`));
      }
      return;
    }
    if (ticket !== this.requested) {
      return;
    }
    if (page.total > 0 && page.offset >= page.total) {
      // past the end (the filter left fewer rows): the last page instead
      this.goTo(Math.floor((page.total - 1) / this.query.limit) * this.query.limit);
      return;
    }
    this.page = page;
    this.columns = page.columns;
    delete this.element.dataset["loading"];
    this.render();
  }

  private render(): void {
    const page = this.page;
    if (!page) {
      return;
    }
    const header = this.columns.map((name) => {
      const sorted = this.query.sort === name;
      const th = h(
        "th",
        {
          class: "sortable",
          "data-column": name,
          "aria-sort": sorted ? (this.query.desc ? "descending" : "ascending") : "none",
          title: `sort by ${name}`,
        },
        name,
        sorted ? (this.query.desc ? " ▼" : " ▲") : "",
      );
      th.addEventListener("click", () => this.sortBy(name));
      return th;
    });
    const body = page.rows.map((row, i) =>
      h(
        "tr",
        { "data-row": page.index[i] ?? "" },
        h("td", { class: "row-index" }, String(page.index[i] ?? "")),
        ...this.columns.map((_, c) => h("td", {}, renderCell(row[c], this.panel))),
      ),
    );
    replaceChildren(
      this.grid,
      h(
        "table",
        { class: "grid data-table" },
        h("thead", {}, h("tr", {}, h("th", { class: "row-index" }, "#"), ...header)),
        h("tbody", {}, ...body),
      ),
      page.rows.length ? null : h("p", { class: "empty" }, page.nrows ? "No row matches the filter." : "No rows."),
    );
    const first = page.rows.length ? page.offset + 1 : 0;
    const last = page.offset + page.rows.length;
    const filtered = page.total !== page.nrows ? ` (filtered from ${page.nrows.toLocaleString()})` : "";
    this.count.textContent = `rows ${first.toLocaleString()}–${last.toLocaleString()} of ${page.total.toLocaleString()}${filtered}`;
    const limit = this.query.limit;
    const pages = Math.max(1, Math.ceil(page.total / limit));
    const current = Math.floor(page.offset / limit);
    const button = (label: string, name: string, offset: number, disabled: boolean): HTMLButtonElement => {
      const b = h("button", { type: "button", "data-page": name, title: name, disabled }, label);
      b.addEventListener("click", () => this.goTo(offset));
      return b;
    };
    replaceChildren(
      this.pager,
      button("«", "first", 0, current === 0),
      button("‹", "previous", (current - 1) * limit, current === 0),
      h("span", { class: "page-info" }, `page ${current + 1} of ${pages.toLocaleString()}`),
      button("›", "next", (current + 1) * limit, current >= pages - 1),
      button("»", "last", (pages - 1) * limit, current >= pages - 1),
    );
    this.element.dataset["shown"] = `${page.offset}:${page.rows.length}`;
  }
}
