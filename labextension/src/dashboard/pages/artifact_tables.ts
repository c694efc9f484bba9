// Tables of artifact versions shared by the artifacts page, the model registry and the run
// page: each version links to its page, its logging run to the run's page.

import type { ArtifactVersionInfo, UsedArtifactInfo } from "../../http_api";
import type { Context } from "../context";
import { url } from "../context";
import type { Child } from "../dom";
import { h } from "../dom";
import { runPagePath, versionPagePath } from "../artifact_model";
import { formatTime } from "../format";
import { formatSize } from "./run_parts";

export function chips(items: string[], kind: "alias" | "tag"): HTMLElement {
  return h("span", { class: `chips ${kind}es` }, ...items.map((item) => h("span", { class: `tag ${kind}` }, item)));
}

export function runLink(ctx: Context, path: string | null): Child {
  const href = path ? runPagePath(path) : null;
  return href && path ? h("a", { class: "run-link", href: url(ctx, href) }, path.split("/")[2]) : "–";
}

export function versionLink(ctx: Context, v: ArtifactVersionInfo, withName: boolean): HTMLElement {
  const href = url(ctx, versionPagePath(v.entity, v.project, v.name, v.version));
  return h("a", { class: "version-link", href }, withName ? `${v.name}:${v.version}` : v.version);
}

/** One row per version; `withName`: the artifact's name too (versions of several artifacts). */
export function versionsTable(
  ctx: Context,
  versions: (ArtifactVersionInfo | UsedArtifactInfo)[],
  withName: boolean,
): HTMLElement {
  const head = [withName ? "Artifact" : "Version", "Type", "Aliases", "Tags", "Size", "Created", "Logged by"];
  const usedAs = versions.some((v) => "use_as" in v && v.use_as);
  const rows = versions.map((v) =>
    h(
      "tr",
      { class: "version-row", "data-name": v.name, "data-version": v.version },
      h("td", {}, versionLink(ctx, v, withName)),
      h("td", {}, v.type),
      h("td", {}, chips(v.aliases, "alias")),
      h("td", {}, chips(v.tags, "tag")),
      h("td", {}, formatSize(v.size)),
      h("td", {}, formatTime(v.created_at)),
      h("td", {}, runLink(ctx, v.logged_by)),
      usedAs ? h("td", {}, "use_as" in v ? (v.use_as ?? "") : "") : null,
    ),
  );
  return h(
    "div",
    { class: "table-slot" },
    h(
      "table",
      { class: "grid versions" },
      h("thead", {}, h("tr", {}, ...head.map((title) => h("th", {}, title)), usedAs ? h("th", {}, "Used as") : null)),
      h("tbody", {}, ...rows),
    ),
  );
}
