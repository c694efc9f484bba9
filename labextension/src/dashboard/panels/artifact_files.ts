// A version's files: the manifest as a folder tree with sizes and digests, a download link per
// file, and a preview of images, text and logged tables. File contents are shown as text (or
// as an <img> of same-origin bytes): nothing from an artifact runs.

import type { ArtifactVersion } from "../../http_api";
import { artifactsPath, enc } from "../../http_api";
import type { Context } from "../context";
import { HttpError, tokenUrl } from "../context";
import type { Child } from "../dom";
import { h, replaceChildren } from "../dom";
import type { FileNode, FolderNode } from "../artifact_model";
import { entryPath, fileTree, previewKind } from "../artifact_model";
import { formatValue } from "../format";
import { formatSize } from "../pages/run_parts";

const TEXT_BYTES = 100 * 1024; // the first 100 KB of a text file
const TABLE_BYTES = 10 * 1024 * 1024; // a larger table is not previewed
const TABLE_ROWS = 50;

/** The first `limit` bytes of a response (the rest is never read), and whether there was more. */
async function readHead(response: Response, limit: number): Promise<{ bytes: Uint8Array; more: boolean }> {
  const reader = response.body?.getReader();
  if (!reader) {
    return { bytes: new Uint8Array(), more: false };
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  let more = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) {
      break;
    }
    chunks.push(value);
    total += value.length;
    if (total > limit) {
      more = true;
      await reader.cancel();
      break;
    }
  }
  const bytes = new Uint8Array(Math.min(total, limit));
  let at = 0;
  for (const chunk of chunks) {
    const part = chunk.subarray(0, Math.min(chunk.length, bytes.length - at));
    bytes.set(part, at);
    at += part.length;
  }
  return { bytes, more };
}

async function fetchEntry(ctx: Context, path: string): Promise<Response> {
  const response = await fetch(tokenUrl(ctx, path), { credentials: "same-origin" });
  if (!response.ok) {
    throw new HttpError(response.status, `could not read the file (${response.status})`);
  }
  return response;
}

function tablePreview(text: string): Child {
  const parsed = JSON.parse(text) as { columns?: unknown; data?: unknown };
  if (!Array.isArray(parsed.columns) || !Array.isArray(parsed.data)) {
    return h("p", { class: "empty" }, "Not a table: no columns and data.");
  }
  const rows = (parsed.data as unknown[]).slice(0, TABLE_ROWS);
  return h(
    "div",
    { class: "table-slot" },
    h(
      "table",
      { class: "grid artifact-table" },
      h("thead", {}, h("tr", {}, ...parsed.columns.map((c) => h("th", {}, formatValue(c))))),
      h(
        "tbody",
        {},
        ...rows.map((row) =>
          h("tr", {}, ...(Array.isArray(row) ? row : [row]).map((cell) => h("td", {}, formatValue(cell)))),
        ),
      ),
    ),
    h("p", { class: "empty" }, `${rows.length} of ${parsed.data.length} rows`),
  );
}

/** Show `file` in `slot`; resolves once it is shown (an image: once decoded or failed). */
async function preview(ctx: Context, slot: HTMLElement, apiPath: string, file: FileNode): Promise<void> {
  const kind = previewKind(file.path);
  const path = entryPath(apiPath, file.path);
  const title = h("h3", { class: "preview-title" }, file.path);
  slot.dataset["preview"] = file.path;
  delete slot.dataset["ready"];
  try {
    if (kind === "image") {
      const img = h("img", { class: "preview-image", src: tokenUrl(ctx, path), alt: file.path });
      replaceChildren(slot, title, img);
      await img.decode().catch(() => undefined);
    } else if (kind === "text") {
      const { bytes, more } = await readHead(await fetchEntry(ctx, path), TEXT_BYTES);
      const text = new TextDecoder().decode(bytes);
      const note = more
        ? h("p", { class: "empty" }, `The first ${TEXT_BYTES / 1024} KB of ${formatSize(file.entry.size)}.`)
        : null;
      replaceChildren(slot, title, h("pre", { class: "preview-text" }, text), note);
    } else if (kind === "table") {
      if (file.entry.size > TABLE_BYTES) {
        replaceChildren(slot, title, h("p", { class: "empty" }, "Too large to preview: download it."));
      } else {
        const text = await (await fetchEntry(ctx, path)).text();
        replaceChildren(slot, title, tablePreview(text));
      }
    } else {
      replaceChildren(slot, title, h("p", { class: "empty" }, "No preview for this kind of file."));
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    replaceChildren(slot, title, h("p", { class: "error" }, message));
  }
  slot.dataset["ready"] = "1";
}

function fileRow(ctx: Context, file: FileNode, apiPath: string, show: (file: FileNode) => void): HTMLElement {
  const stored = file.entry.sha256 !== undefined;
  const name = previewKind(file.path)
    ? h("button", { type: "button", class: "file-name link-like", title: "preview" }, file.name)
    : h("span", { class: "file-name" }, file.name);
  if (name instanceof HTMLButtonElement) {
    name.addEventListener("click", () => show(file));
  }
  return h(
    "li",
    { class: "file", "data-path": file.path },
    name,
    h("span", { class: "file-size" }, formatSize(file.entry.size)),
    h("code", { class: "file-digest", title: "MD5 (base64)" }, file.entry.digest),
    stored
      ? h(
          "a",
          { class: "download", href: tokenUrl(ctx, entryPath(apiPath, file.path)), download: file.name },
          "download",
        )
      : h("span", { class: "empty", title: file.entry.ref ?? "" }, "reference"),
  );
}

function folderList(ctx: Context, folder: FolderNode, apiPath: string, show: (file: FileNode) => void): HTMLElement {
  return h(
    "ul",
    { class: "file-tree" },
    ...folder.folders.map((sub) =>
      h(
        "li",
        { class: "folder", "data-path": sub.path },
        h(
          "details",
          { open: true },
          h("summary", {}, `${sub.name}/`, h("span", { class: "file-size" }, formatSize(sub.size))),
          folderList(ctx, sub, apiPath, show),
        ),
      ),
    ),
    ...folder.files.map((file) => fileRow(ctx, file, apiPath, show)),
  );
}

/** The version's files tree with a preview pane (the first previewable file shown). */
export function artifactFiles(ctx: Context, version: ArtifactVersion): HTMLElement {
  const apiPath = `${artifactsPath(version.entity, version.project)}/${enc(version.name)}/${enc(version.version)}`;
  const tree = fileTree(version.manifest.contents);
  const slot = h("div", { class: "file-preview" });
  const show = (file: FileNode): void => void preview(ctx, slot, apiPath, file);
  if (!Object.keys(version.manifest.contents).length) {
    return h("p", { class: "empty" }, "No files.");
  }
  return h("div", { class: "artifact-files" }, folderList(ctx, tree, apiPath, show), slot);
}
