// Bundles the dashboard app (src/dashboard) into ../nbrun/server/static, which the server
// serves and the wheel ships. `node build.mjs [--minify]`; typechecking is `tsc` (esbuild
// only strips types).
import { build } from "esbuild";
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";

const outdir = fileURLToPath(new URL("../nbrun/server/static", import.meta.url));
const minify = process.argv.includes("--minify");

rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: { dashboard: "src/dashboard/index.ts" },
  bundle: true,
  format: "esm",
  // plotly.js and the Markdown/LaTeX code become chunks loaded on demand ("chunk-[hash].js")
  splitting: true,
  chunkNames: "chunk-[hash]",
  target: ["es2020"],
  outdir,
  minify,
  sourcemap: minify ? false : "linked",
  legalComments: "linked",
  // KaTeX's fonts become files next to the CSS, named by content so they cache forever.
  loader: { ".woff2": "file", ".woff": "file", ".ttf": "file" },
  assetNames: "[name]-[hash]",
  logLevel: "info",
});
