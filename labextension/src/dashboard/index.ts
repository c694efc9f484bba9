// The dashboard app: reads where it is mounted, picks the page from the URL, renders it.

import "katex/dist/katex.min.css";
import "./style.css";
import "./panels/renderers";

import { pagePath, readContext } from "./context";
import { h, replaceChildren } from "./dom";
import { applyTheme, initialTheme } from "./frame";
import { versionPage } from "./pages/artifact_version";
import { artifactsPage, registryPage } from "./pages/artifacts";
import { comparePage } from "./pages/compare";
import { homePage } from "./pages/home";
import { loginPage } from "./pages/login";
import { projectPage } from "./pages/project";
import { runPage } from "./pages/run";

function route(root: HTMLElement): Promise<void> | void {
  const ctx = readContext(document, window.location);
  applyTheme(ctx, initialTheme(ctx, new URLSearchParams(window.location.search)));
  const parts = pagePath(ctx, window.location)
    .split("/")
    .filter(Boolean)
    .map((part) => decodeURIComponent(part));
  const [entity, project, kind, id, version] = parts;
  if (parts.length === 0) {
    return homePage(ctx, root);
  }
  if (parts.length === 1 && entity === "login") {
    return loginPage(ctx, root);
  }
  if (parts.length === 2 && entity && project) {
    return projectPage(ctx, root, entity, project);
  }
  if (parts.length === 3 && entity && project && kind === "compare") {
    return comparePage(ctx, root, entity, project);
  }
  if (parts.length === 3 && entity && project && kind === "artifacts") {
    return artifactsPage(ctx, root, entity, project);
  }
  if (parts.length === 3 && entity && project && kind === "registry") {
    return registryPage(ctx, root, entity, project);
  }
  if (parts.length === 5 && entity && project && kind === "artifacts" && id && version) {
    return versionPage(ctx, root, { entity, project, name: id, version });
  }
  if (parts.length === 4 && entity && project && kind === "runs" && id) {
    return runPage(ctx, root, { entity, project, id });
  }
  replaceChildren(root, h("p", { class: "message error" }, "No such page."));
}

const root = document.getElementById("app");
if (root) {
  root.classList.remove("loading");
  void route(root);
}
