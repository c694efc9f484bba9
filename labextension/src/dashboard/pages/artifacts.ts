// A project's artifacts (by type, then by name, each with its versions) and the model
// registry (the project's models and the collections of the "model-registry" project).

import type { ArtifactCollectionInfo, ArtifactCollections, ArtifactVersions } from "../../http_api";
import { artifactsPath, enc } from "../../http_api";
import type { Context } from "../context";
import { api, url } from "../context";
import { h, replaceChildren } from "../dom";
import { frame, showError } from "../frame";
import { section } from "./run_parts";
import { versionsTable } from "./artifact_tables";

/** Model registry collections live in this project (nbrun/protocol/artifacts.py). */
export const MODEL_REGISTRY_PROJECT = "model-registry";

type Page = "runs" | "artifacts" | "registry";

/** The links between a project's pages. */
export function projectNav(ctx: Context, entity: string, project: string, current: Page): HTMLElement {
  const base = `/${enc(entity)}/${enc(project)}`;
  const pages: [Page, string, string][] = [
    ["runs", "Runs", base],
    ["artifacts", "Artifacts", `${base}/artifacts`],
    ["registry", "Model registry", `${base}/registry`],
  ];
  return h(
    "nav",
    { class: "project-nav" },
    ...pages.map(([page, label, href]) =>
      h("a", { href: url(ctx, href), class: page === current ? "current" : "", "data-page": page }, label),
    ),
  );
}

/** One collection: its name, type and versions (newest first). */
async function collectionBlock(ctx: Context, entity: string, project: string, c: ArtifactCollectionInfo) {
  const path = `${artifactsPath(entity, project)}/${enc(c.name)}`;
  const { versions } = await api<ArtifactVersions>(ctx, path);
  const where = project === MODEL_REGISTRY_PROJECT ? `${project} · ` : "";
  return h(
    "div",
    { class: "collection", "data-name": c.name, "data-type": c.type, "data-project": project },
    h("h3", {}, c.name, h("span", { class: "muted" }, ` ${where}${c.type} · ${c.versions} versions`)),
    versionsTable(ctx, versions, false),
  );
}

async function collections(ctx: Context, entity: string, project: string, type?: string) {
  const found = await api<ArtifactCollections>(ctx, artifactsPath(entity, project), { type });
  return Promise.all(found.artifacts.map((c) => collectionBlock(ctx, entity, project, c)));
}

function start(ctx: Context, root: HTMLElement, entity: string, project: string, title: string): HTMLElement {
  document.title = `${title} · ${project} · nbrun`;
  return frame(ctx, root, [
    ["Projects", url(ctx, "/")],
    [project, url(ctx, `/${enc(entity)}/${enc(project)}`)],
    [title, null],
  ]);
}

export async function artifactsPage(ctx: Context, root: HTMLElement, entity: string, project: string): Promise<void> {
  const main = start(ctx, root, entity, project, "Artifacts");
  let blocks: HTMLElement[];
  try {
    blocks = await collections(ctx, entity, project);
  } catch (error) {
    showError(ctx, main, error);
    return;
  }
  const types = [...new Set(blocks.map((b) => b.dataset["type"] ?? ""))].sort();
  replaceChildren(
    main,
    h("h1", {}, "Artifacts"),
    projectNav(ctx, entity, project, "artifacts"),
    blocks.length ? null : h("p", { class: "empty" }, "No artifacts in this project yet."),
    ...types.map((type) => {
      const of = blocks.filter((b) => b.dataset["type"] === type);
      const body = h("div", { class: "artifact-type", "data-type": type }, ...of);
      return section(`${type} (${of.length})`, body);
    }),
  );
  main.dataset["loaded"] = "1";
}

export async function registryPage(ctx: Context, root: HTMLElement, entity: string, project: string): Promise<void> {
  const main = start(ctx, root, entity, project, "Model registry");
  let blocks: HTMLElement[];
  try {
    const [models, registered] = await Promise.all([
      collections(ctx, entity, project, "model"),
      project === MODEL_REGISTRY_PROJECT ? Promise.resolve([]) : collections(ctx, entity, MODEL_REGISTRY_PROJECT),
    ]);
    blocks = [...models, ...registered];
  } catch (error) {
    showError(ctx, main, error);
    return;
  }
  replaceChildren(
    main,
    h("h1", {}, "Model registry"),
    projectNav(ctx, entity, project, "registry"),
    h("p", { class: "muted" }, `Models of this project and of ${entity}/${MODEL_REGISTRY_PROJECT}.`),
    blocks.length ? h("div", { class: "registry" }, ...blocks) : h("p", { class: "empty" }, "No models yet."),
  );
  main.dataset["loaded"] = "1";
}
