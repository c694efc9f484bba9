// One artifact version: its facts, description, metadata, aliases and tags, the runs that
// logged and used it, its lineage graph, and its files with previews.

import type { ArtifactVersion, Lineage } from "../../http_api";
import { artifactsPath, enc } from "../../http_api";
import type { Context } from "../context";
import { api, url } from "../context";
import type { Child } from "../dom";
import { h, replaceChildren } from "../dom";
import { formatTime } from "../format";
import { frame, showError } from "../frame";
import { artifactFiles } from "../panels/artifact_files";
import { lineageGraph } from "../panels/lineage_graph";
import { chips, runLink } from "./artifact_tables";
import { projectNav } from "./artifacts";
import { formatSize, keyValueTable, section } from "./run_parts";

export interface VersionRef {
  entity: string;
  project: string;
  name: string;
  version: string;
}

/** The runs that used the version: the lineage's edges out of its root. */
function usedBy(ctx: Context, lineage: Lineage): Child {
  const runs = lineage.edges
    .filter((e) => e.kind === "used" && e.source === lineage.root)
    .map((e) => lineage.nodes.find((n) => n.id === e.target))
    .filter((n) => n?.kind === "run" && n.run_id);
  if (!runs.length) {
    return "–";
  }
  return h(
    "span",
    { class: "used-by" },
    ...runs.map((n) => h("span", { class: "used-run" }, runLink(ctx, `${n!.entity}/${n!.project}/${n!.run_id}`), " ")),
  );
}

export async function versionPage(ctx: Context, root: HTMLElement, ref: VersionRef): Promise<void> {
  const projectPath = `/${enc(ref.entity)}/${enc(ref.project)}`;
  const main = frame(ctx, root, [
    ["Projects", url(ctx, "/")],
    [ref.project, url(ctx, projectPath)],
    ["Artifacts", url(ctx, `${projectPath}/artifacts`)],
    [`${ref.name}:${ref.version}`, null],
  ]);
  main.classList.add("version-page");
  const apiPath = `${artifactsPath(ref.entity, ref.project)}/${enc(ref.name)}/${enc(ref.version)}`;
  let version: ArtifactVersion;
  let lineage: Lineage;
  try {
    [version, lineage] = await Promise.all([
      api<ArtifactVersion>(ctx, apiPath),
      api<Lineage>(ctx, `${apiPath}/lineage`, { hops: 2 }),
    ]);
  } catch (error) {
    showError(ctx, main, error);
    return;
  }
  document.title = `${version.name}:${version.version} · nbrun`;
  const facts: [string, Child][] = [
    ["type", version.type],
    ["version", version.version],
    ["digest", h("code", { class: "digest" }, version.digest)],
    ["size", `${formatSize(version.size)} in ${version.files} files`],
    ["created", formatTime(version.created_at)],
    ["logged by", h("span", { class: "logged-by" }, runLink(ctx, version.logged_by))],
    ["used by", usedBy(ctx, lineage)],
    ["aliases", chips(version.aliases, "alias")],
    ["tags", chips(version.tags, "tag")],
  ];
  replaceChildren(
    main,
    h(
      "section",
      { class: "version-header" },
      h("h1", { class: "version-name" }, `${version.name}:${version.version}`),
      projectNav(ctx, ref.entity, ref.project, "artifacts"),
      h("dl", { class: "facts" }, ...facts.flatMap(([name, value]) => [h("dt", {}, name), h("dd", {}, value)])),
      version.description ? h("p", { class: "description" }, version.description) : null,
    ),
    section("Metadata", keyValueTable(version.metadata, "metadata")),
    section("Lineage", lineageGraph(ctx, lineage)),
    section("Files", artifactFiles(ctx, version)),
  );
  main.dataset["loaded"] = "1";
}
