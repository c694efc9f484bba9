// Command ids: the palette, the panel and the restorer all act through these.

export const CommandIds = {
  openPanel: "nbrun:open-panel",
  openRun: "nbrun:open-run",
  compare: "nbrun:compare",
  refresh: "nbrun:refresh",
} as const;

export const PALETTE_CATEGORY = "nbrun";
