#!/usr/bin/env node
// Entry of the `fim` command. The CLI is TypeScript run through tsx, so the same sources serve
// the browser (via Vite) and Node without a separate build step.
import { register } from "tsx/esm/api";
register();
const { main } = await import("../src/cli/main.ts");
const { installSignalCleanup } = await import("../src/temp-files.ts");
installSignalCleanup();
process.exitCode = await main(process.argv.slice(2));
