// `jlpm test`: the TypeScript unit tests (test/*.test.ts) under Node's own test runner. esbuild
// bundles each test file (with what it imports from src/ and the JSON vectors it reads) into a
// temporary folder; `node --test` runs the bundles; the exit code is the runner's.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { build } from "esbuild";

const here = import.meta.dirname;
const tests = readdirSync(here).filter((name) => name.endsWith(".test.ts"));
if (!tests.length) {
  throw new Error(`no test files (*.test.ts) in ${here}`);
}
const out = mkdtempSync(join(tmpdir(), "nbrun-ts-tests-"));
try {
  await build({
    entryPoints: tests.map((name) => join(here, name)),
    outdir: out,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    platform: "node",
    format: "esm",
    sourcemap: "inline",
    logLevel: "warning",
  });
  const bundles = tests.map((name) => join(out, name.replace(/\.ts$/, ".mjs")));
  const run = spawnSync(process.execPath, ["--enable-source-maps", "--test", "--test-reporter=spec", ...bundles], {
    stdio: "inherit",
  });
  process.exitCode = run.status ?? 1;
} finally {
  rmSync(out, { recursive: true, force: true });
}
