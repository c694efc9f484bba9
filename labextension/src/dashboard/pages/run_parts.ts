// The run page's parts other than charts: header, summary and config tables, files, and the
// console and alerts panels.

import type { FileInfo, RunInfo } from "../../http_api";
import { enc, runPath } from "../../http_api";
import type { Context } from "../context";
import { api, tokenUrl, url } from "../context";
import type { Child } from "../dom";
import { h, replaceChildren } from "../dom";
import { badge, formatDuration, formatTime, formatValue, runtime } from "../format";
import { table } from "../frame";
import { flatten } from "../keys";
import { isRich } from "../panels/registry";

export class RunHeader {
  readonly element: HTMLElement;
  private readonly badgeSlot = h("span", { class: "badge-slot" });
  private readonly runtimeText = h("span", { class: "runtime" });
  private timer: number | undefined;
  /** Settles once the notes are rendered (the Markdown and LaTeX code loads on demand). */
  readonly ready: Promise<void>;

  constructor(
    ctx: Context,
    private info: RunInfo,
  ) {
    const notes = info.notes ? h("div", { class: "notes" }) : null;
    const source = info.notes ?? "";
    this.ready = notes
      ? import("../markdown").then(({ renderMarkdown }) => notes.replaceChildren(renderMarkdown(source)))
      : Promise.resolve();
    const projectPath = `/${enc(info.entity)}/${enc(info.project)}`;
    const projectHref = url(ctx, projectPath);
    const facts: [string, Child][] = [
      ["id", h("code", {}, info.id)],
      ["path", `${info.entity}/${info.project}/${info.id}`],
      ["started", formatTime(info.start_time)],
      ["runtime", this.runtimeText],
      ["host", info.host ?? "–"],
    ];
    if (info.group) {
      facts.push(["group", info.group]);
    }
    if (info.job_type) {
      facts.push(["job type", info.job_type]);
    }
    this.element = h(
      "section",
      { class: "run-header" },
      h(
        "div",
        { class: "title-row" },
        h("h1", { class: "run-name" }, info.name),
        this.badgeSlot,
        ctx.embed
          ? h(
              "a",
              {
                class: "open-full",
                href: tokenUrl(ctx, `${projectPath}/runs/${enc(info.id)}`),
                target: "_blank",
                rel: "noopener",
              },
              "open ↗",
            )
          : null,
      ),
      ctx.embed ? null : h("p", { class: "project-link" }, h("a", { href: projectHref }, info.project)),
      h("dl", { class: "facts" }, ...facts.flatMap(([name, value]) => [h("dt", {}, name), h("dd", {}, value)])),
      info.tags.length ? h("ul", { class: "tags" }, ...info.tags.map((tag) => h("li", { class: "tag" }, tag))) : null,
      notes,
    );
    this.update(info);
  }

  update(change: Partial<RunInfo>): void {
    this.info = { ...this.info, ...change };
    replaceChildren(this.badgeSlot, badge(this.info.state));
    const tick = (): void => {
      this.runtimeText.textContent = formatDuration(runtime(this.info));
    };
    tick();
    window.clearInterval(this.timer);
    if (this.info.state === "running" || this.info.state === "preempting") {
      this.timer = window.setInterval(tick, 1000);
    }
  }
}

/** nbrun's own clock keys read as a time and a duration, not as raw seconds. */
function formatEntry(key: string, value: unknown): string {
  if (typeof value === "number" && key === "_timestamp") {
    return formatTime(value);
  }
  if (typeof value === "number" && key === "_runtime") {
    return value < 60 ? `${value.toPrecision(3)}s` : formatDuration(value);
  }
  return formatValue(value);
}

/** A key/value table (summary, config), nested dicts as dotted keys; values are text. */
export function keyValueTable(values: Record<string, unknown>, kind: string): HTMLElement {
  const rows = flatten(values)
    .filter(([, value]) => !isRich(value))
    .map(([key, value]) => [h("code", {}, key), formatEntry(key, value)]);
  return rows.length
    ? table(["Key", "Value"], rows, { class: `grid kv ${kind}` })
    : h("p", { class: "empty" }, `No ${kind}.`);
}

export function formatSize(bytes: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let size = bytes;
  let unit = 0;
  while (size >= 1024 && unit < units.length - 1) {
    size /= 1024;
    unit += 1;
  }
  return `${unit ? size.toFixed(1) : size} ${units[unit]}`;
}

export async function filesList(ctx: Context, info: RunInfo): Promise<HTMLElement> {
  const base = runPath(info.entity, info.project, info.id);
  const { files } = await api<{ files: FileInfo[] }>(ctx, `${base}/files`);
  if (!files.length) {
    return h("p", { class: "empty" }, "No files.");
  }
  const rows = files.map((file) => {
    const path = file.path.split("/").map(encodeURIComponent).join("/");
    const name = file.path.split("/").pop() ?? file.path;
    return [
      h("a", { href: tokenUrl(ctx, `${base}/files/${path}`), download: name }, file.path),
      formatSize(file.size),
      formatTime(file.updated_at),
    ];
  });
  return table(["File", "Size", "Updated"], rows, { class: "grid files" });
}

export function section(title: string, body: Child, open = true): HTMLDetailsElement {
  return h("details", { class: "section", open, "data-section": title }, h("summary", {}, title), body);
}
