#!/usr/bin/env node
// test.mjs — what `npm test` runs: makes sure Chromium is there (scripts/ensure-chromium.mjs), then runs every
// vitest project (unit + e2e) once, with inherited stdio, and exits with vitest's exit code.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

function run(argv) {
  const result = spawnSync(argv[0], argv.slice(1), { cwd: root, stdio: "inherit" });
  if (result.error) {
    console.error(`test: could not run ${argv.join(" ")}: ${result.error.message}`);
    return 1;
  }
  return result.status ?? 1;
}

const chromium = run([process.execPath, "scripts/ensure-chromium.mjs"]);
if (chromium !== 0) process.exit(chromium);

// Type check (src, tests, node/export) before running anything: strict TypeScript is part of the suite.
const svelteCheck = fileURLToPath(new URL("../node_modules/svelte-check/bin/svelte-check", import.meta.url));
const types = run([process.execPath, svelteCheck, "--tsconfig", "./tsconfig.json", "--fail-on-warnings", "--output", "human"]);
if (types !== 0) {
  console.error("test: the type check failed (see above)");
  process.exit(types);
}

const vitest = fileURLToPath(new URL("../node_modules/vitest/vitest.mjs", import.meta.url));
process.exit(run([process.execPath, vitest, "run", ...process.argv.slice(2)]));
