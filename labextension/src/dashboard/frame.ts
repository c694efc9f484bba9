// The page frame: top bar with breadcrumbs and theme toggle (none in the embed view), and the
// messages shown when loading fails (not signed in, not found, ...).

import type { Context, Theme } from "./context";
import { HttpError, url } from "./context";
import type { Child } from "./dom";
import { h, replaceChildren } from "./dom";

const THEME_KEY = "nbrun-theme";
export const THEME_EVENT = "nbrun-theme";

export function initialTheme(ctx: Context, params: URLSearchParams): Theme {
  const asked = params.get("theme");
  if (asked === "dark" || asked === "light" || ctx.embed) {
    return asked === "dark" ? "dark" : "light";
  }
  const stored = window.localStorage.getItem(THEME_KEY);
  if (stored === "dark" || stored === "light") {
    return stored;
  }
  return window.matchMedia?.("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

export function applyTheme(ctx: Context, theme: Theme): void {
  ctx.theme = theme;
  document.documentElement.dataset["theme"] = theme;
  document.dispatchEvent(new CustomEvent(THEME_EVENT));
}

/** The page's top bar and a main area; returns the main area to fill. */
export function frame(ctx: Context, root: HTMLElement, crumbs: [string, string | null][]): HTMLElement {
  const main = h("main", { class: "page" });
  if (ctx.embed) {
    replaceChildren(root, main);
    return main;
  }
  const toggle = h("button", { type: "button", class: "theme-toggle", title: "light / dark" }, "◐");
  toggle.addEventListener("click", () => {
    const next: Theme = ctx.theme === "dark" ? "light" : "dark";
    window.localStorage.setItem(THEME_KEY, next);
    applyTheme(ctx, next);
  });
  const trail: Child[] = [];
  crumbs.forEach(([label, href], index) => {
    if (index > 0) {
      trail.push(h("span", { class: "sep" }, "/"));
    }
    trail.push(href ? h("a", { href }, label) : h("span", {}, label));
  });
  const bar = h(
    "header",
    { class: "topbar" },
    h("a", { class: "brand", href: url(ctx, "/") }, "nbrun"),
    h("nav", { class: "crumbs" }, ...trail),
    toggle,
  );
  replaceChildren(root, bar, main);
  return main;
}

/** What the user sees when a page cannot load; 401 leads to the login page. */
export function showError(ctx: Context, main: HTMLElement, error: unknown): void {
  if (error instanceof HttpError && error.status === 401) {
    if (ctx.embed || ctx.token) {
      replaceChildren(
        main,
        h(
          "div",
          { class: "message error", role: "alert" },
          h("h2", {}, "Not authorised"),
          h("p", {}, `This view needs a valid read token for the run (${error.message}).`),
        ),
      );
      return;
    }
    const next = window.location.pathname + window.location.search;
    replaceChildren(
      main,
      h(
        "div",
        { class: "message", role: "alert" },
        h("h2", {}, "Sign in to see this page"),
        h("p", {}, error.message),
        h("p", {}, h("a", { class: "button", href: url(ctx, "/login", { next }) }, "Sign in")),
      ),
    );
    return;
  }
  const text = error instanceof Error ? error.message : String(error);
  const title = error instanceof HttpError && error.status === 404 ? "Not found" : "Could not load";
  replaceChildren(main, h("div", { class: "message error", role: "alert" }, h("h2", {}, title), h("p", {}, text)));
}

export function table(headers: Child[], rows: Child[][], attrs: Record<string, string> = {}): HTMLTableElement {
  return h(
    "table",
    attrs,
    h("thead", {}, h("tr", {}, ...headers.map((cell) => h("th", {}, cell)))),
    h("tbody", {}, ...rows.map((row) => h("tr", {}, ...row.map((cell) => h("td", {}, cell))))),
  );
}
