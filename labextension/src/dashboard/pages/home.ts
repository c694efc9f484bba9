// Home: every project with its run count and last activity.

import type { ProjectInfo } from "../../http_api";
import { API_PREFIX, enc } from "../../http_api";
import type { Context } from "../context";
import { api, url } from "../context";
import { h, replaceChildren } from "../dom";
import { formatTime } from "../format";
import { frame, showError, table } from "../frame";

export async function homePage(ctx: Context, root: HTMLElement): Promise<void> {
  const main = frame(ctx, root, [["Projects", null]]);
  try {
    const { projects } = await api<{ projects: ProjectInfo[] }>(ctx, `${API_PREFIX}/projects`);
    projects.sort((a, b) => (b.last_activity ?? 0) - (a.last_activity ?? 0));
    const rows = projects.map((p) => [
      h("a", { href: url(ctx, `/${enc(p.entity)}/${enc(p.project)}`) }, p.project),
      p.entity,
      String(p.run_count),
      formatTime(p.last_activity),
    ]);
    replaceChildren(
      main,
      h("h1", {}, "Projects"),
      projects.length
        ? table(["Project", "Entity", "Runs", "Last activity"], rows, { class: "grid projects" })
        : h("p", { class: "empty" }, "No runs yet. Log one with nbrun.init() and it shows here."),
    );
  } catch (error) {
    showError(ctx, main, error);
  }
}
