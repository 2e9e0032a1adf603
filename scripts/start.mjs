#!/usr/bin/env node
// start.mjs — what `npm start` runs: the Vite dev server (`vite --open=false`, plus any arguments given after `--`)
// as a child process that ends when this script is told to stop. SIGINT (Ctrl-C), SIGTERM (`kill PID`) and SIGHUP (the
// terminal closed) are passed on to Vite; if it has not exited after GRACE_MS it is killed. npm runs this script
// under `sh -c`, and when npm itself is killed the shell dies without passing the signal on: this script is then
// re-parented, notices, and stops Vite the same way. Exits as Vite did, or by the signal it was stopped with.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The signals that stop the server (passed on to it as they came). */
const FORWARDED = ["SIGINT", "SIGTERM", "SIGHUP"];
/** How long Vite may take to close before it is killed. */
const GRACE_MS = 5000;
/** How often the parent is checked (the npm-was-killed case). */
const PARENT_POLL_MS = 500;

const root = fileURLToPath(new URL("..", import.meta.url));
const require = createRequire(import.meta.url);
const vitePackage = require.resolve("vite/package.json");
const viteBin = join(dirname(vitePackage), require(vitePackage).bin.vite);

const child = spawn(process.execPath, [viteBin, "--open=false", ...process.argv.slice(2)], { cwd: root, stdio: "inherit" });
let stoppedBy = null;

function stop(signal) {
  if (stoppedBy) return void child.kill("SIGKILL"); // asked twice: do not wait
  stoppedBy = signal;
  child.kill(signal);
  setTimeout(() => child.kill("SIGKILL"), GRACE_MS).unref();
}

for (const signal of FORWARDED) process.on(signal, () => stop(signal));
const parent = process.ppid;
const watch = setInterval(() => process.ppid !== parent && stop("SIGTERM"), PARENT_POLL_MS);

child.on("error", (e) => {
  console.error(`start: could not run Vite (${viteBin}): ${e.message}`);
  process.exit(1);
});
child.on("exit", (code, signal) => {
  clearInterval(watch);
  const by = stoppedBy ?? signal;
  if (by === null) process.exit(code ?? 1);
  for (const s of FORWARDED) process.removeAllListeners(s);
  process.kill(process.pid, by); // end the way we were told to, so the shell sees it
});
