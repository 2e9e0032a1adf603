// `npm start` (scripts/start.mjs) stops the Vite dev server when it is stopped: SIGTERM, SIGINT or SIGHUP to the script's
// PID, and SIGTERM to npm's own PID (npm's `sh -c` dies without passing it on), each leave the port closed and no
// process of theirs behind. Each case starts a real dev server on a free port of 127.0.0.1 (no network).

import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer().once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

const answers = async (port: number) => {
  try {
    await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) });
    return true;
  } catch {
    return false;
  }
};

/** Every process below `pid` (ps works on Linux and macOS). */
function descendants(pid: number): number[] {
  const rows = execFileSync("ps", ["-eo", "pid=,ppid="], { encoding: "utf8" }).trim().split("\n").map((l) => l.trim().split(/\s+/).map(Number));
  const out: number[] = [];
  for (let frontier = [pid]; frontier.length; ) {
    frontier = rows.filter(([, ppid]) => frontier.includes(ppid!)).map(([p]) => p!);
    out.push(...frontier);
  }
  return out;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function waitFor(what: string, ok: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 200))) if (await ok()) return;
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

const started: number[] = [];
afterEach(() => {
  for (const pid of started.splice(0)) if (alive(pid)) process.kill(pid, "SIGKILL"); // only what this test started
});

/** Starts `argv` (the start script, or npm start) on a free port and waits until the server answers. */
async function startServer(argv: string[]): Promise<{ proc: ChildProcess; port: number; tree: number[] }> {
  const port = await freePort();
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("VITEST") && k !== "NODE_ENV"));
  const proc = spawn(argv[0]!, [...argv.slice(1), "--port", String(port), "--strictPort"], {
    env: { ...env, npm_config_update_notifier: "false" },
    stdio: ["pipe", "ignore", "ignore"],
  });
  started.push(proc.pid!);
  await waitFor(`the dev server on port ${port}`, () => answers(port), 90_000);
  const tree = descendants(proc.pid!);
  started.push(...tree);
  return { proc, port, tree };
}

const exited = (proc: ChildProcess) =>
  new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) resolve({ code: proc.exitCode, signal: proc.signalCode });
    else proc.once("exit", (code, signal) => resolve({ code, signal }));
  });

describe("npm start ends the dev server with it", () => {
  it.each(["SIGTERM", "SIGINT", "SIGHUP"] as const)("%s to the start script's PID: the port closes, no child remains", async (signal) => {
    const { proc, port, tree } = await startServer([process.execPath, "scripts/start.mjs"]);
    expect(tree.length).toBeGreaterThan(0); // Vite
    proc.kill(signal);
    expect(await exited(proc)).toEqual({ code: null, signal });
    await waitFor("the port to close", async () => !(await answers(port)), 10_000);
    await waitFor("no child left", () => tree.every((p) => !alive(p)), 10_000);
  }, 120_000);

  it("SIGTERM to npm's PID: the port closes, no process of npm start remains", async () => {
    const { proc, port, tree } = await startServer(["npm", "start", "--"]);
    expect(tree.length).toBeGreaterThanOrEqual(2); // sh -c, the start script, Vite
    proc.kill("SIGTERM");
    await exited(proc);
    await waitFor("the port to close", async () => !(await answers(port)), 15_000);
    await waitFor("no process left", () => tree.every((p) => !alive(p)), 15_000);
  }, 120_000);
});
