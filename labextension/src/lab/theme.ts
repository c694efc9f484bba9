// Lab's light/dark theme as the dashboard's Theme: the run views follow it.

import type { Theme } from "../dashboard/context";

/** JupyterLab marks its theme's lightness on <body data-jp-theme-light="true|false">. */
export function labTheme(): Theme {
  return document.body.dataset["jpThemeLight"] === "false" ? "dark" : "light";
}
