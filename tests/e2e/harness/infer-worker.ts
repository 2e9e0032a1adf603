// Harness for tests/e2e/infer-worker.test.ts: inference workers (one per name) driven through Comlink. It records
// load progress, streamed pieces and when each request settled (to time cancellation), and fetches adapter files
// from the dev server for setAdapter. Not part of the app.

import * as Comlink from "comlink";
import type { CompleteRequest, CompleteResult, InferWorkerApi, LoadProgress, LoadRequest, ModelInfo } from "../../../src/workers/infer.worker.ts";

interface Outcome {
  result?: CompleteResult;
  error?: string;
  /** ms from cancel() to the request settling, when it was cancelled. */
  afterCancelMs?: number;
  /** performance.now() when it settled (to see which request finished first). */
  settledAt: number;
  pieces: string[];
}

interface Entry {
  done: Promise<Omit<Outcome, "pieces">>;
  pieces: string[];
  cancelledAt: number | undefined;
}

const workers = new Map<string, Comlink.Remote<InferWorkerApi>>();
const progress: LoadProgress[] = [];
const requests = new Map<number, Entry>();

function worker(name: string): Comlink.Remote<InferWorkerApi> {
  let w = workers.get(name);
  if (!w) {
    w = Comlink.wrap<InferWorkerApi>(new Worker(new URL("../../../src/workers/infer.worker.ts", import.meta.url), { type: "module" }));
    workers.set(name, w);
  }
  return w;
}

/** Starts a request; with `cancelAfter`, cancels it as soon as that many pieces have streamed in. */
function start(name: string, req: CompleteRequest, cancelAfter?: number): void {
  const pieces: string[] = [];
  const entry: Entry = { pieces, cancelledAt: undefined, done: Promise.resolve({ settledAt: 0 }) };
  const settled = () => ({ settledAt: performance.now(), afterCancelMs: entry.cancelledAt && performance.now() - entry.cancelledAt });
  const onText = (p: string) => {
    pieces.push(p);
    if (pieces.length === cancelAfter) void cancel(name, req.id);
  };
  entry.done = worker(name).complete(req, Comlink.proxy(onText)).then(
    (result) => ({ result, ...settled() }),
    (e: Error) => ({ error: `${e.name}: ${e.message}`, ...settled() }),
  );
  requests.set(req.id, entry);
}

function cancel(name: string, id: number): Promise<void> {
  requests.get(id)!.cancelledAt = performance.now();
  return worker(name).cancel(id);
}

async function wait(id: number): Promise<Outcome> {
  const r = requests.get(id)!;
  return { ...(await r.done), pieces: r.pieces };
}

Object.assign(window, {
  inferHarness: {
    load: (name: string, req: LoadRequest): Promise<ModelInfo> => worker(name).load(req, Comlink.proxy((p: LoadProgress) => void progress.push(p))),
    progress: () => progress,
    start,
    wait,
    complete: (name: string, req: CompleteRequest) => (start(name, req), wait(req.id)),
    cancel,
    async setAdapter(name: string, url: string | null, files: string[] = []) {
      if (url === null) return worker(name).setAdapter(null);
      const entries = await Promise.all(files.map(async (f) => [f, new Uint8Array(await (await fetch(url + f)).arrayBuffer())] as const));
      return worker(name).setAdapter(Object.fromEntries(entries));
    },
    useAdapter: (name: string, on: boolean) => worker(name).useAdapter(on),
    loseDevice: (name: string) => worker(name).loseDevice(),
  },
});
