// Lab's light/dark theme as the dashboard's Theme: the run views follow it.

import type { Theme } from "../dashboard/context";

const LIGHT_ATTRIBUTE = "data-jp-theme-light";

/** JupyterLab marks its theme's lightness on <body data-jp-theme-light="true|false">. */
export function labTheme(): Theme {
  return document.body.getAttribute(LIGHT_ATTRIBUTE) === "false" ? "dark" : "light";
}

/** Calls `follow` with Lab's theme each time Lab marks it (every switch, and once the theme's
 * CSS has come in after a page load), for views that cannot ask for IThemeManager: MIME
 * renderers. Returns the function that stops it. */
export function followLabTheme(follow: (theme: Theme) => void): () => void {
  const observer = new MutationObserver(() => follow(labTheme()));
  observer.observe(document.body, { attributes: true, attributeFilter: [LIGHT_ATTRIBUTE] });
  return () => observer.disconnect();
}
