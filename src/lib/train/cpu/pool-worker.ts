// One thread of the CPU backend's pool (pool.ts holds the protocol and the kernels' dispatch): receives
// { kind: "init" } once, then { kind: "run", task } per range, and reports completion in shared memory.
// Runs as a Node worker_threads worker (started through tsx by pool.ts) or as a browser module Worker.

import { workerHandler, type PoolMessage } from "./pool.ts";

if (typeof process !== "undefined" && typeof process.getBuiltinModule === "function") {
  const { parentPort } = process.getBuiltinModule("node:worker_threads");
  const handle = workerHandler((m) => parentPort!.postMessage(m));
  parentPort!.on("message", (msg: PoolMessage) => handle(msg));
} else {
  const scope = globalThis as unknown as DedicatedWorkerGlobalScope;
  const handle = workerHandler((m) => scope.postMessage(m));
  scope.addEventListener("message", (e: MessageEvent<PoolMessage>) => handle(e.data));
}
