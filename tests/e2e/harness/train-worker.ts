// Harness for tests/e2e/train-worker.test.ts and train-device-loss.test.ts: starts training in the worker through
// Comlink, records progress and events, can lose the GPU device at a step, and keeps a 10 ms timer on the main
// thread whose longest gap shows whether the page stayed responsive.

import * as Comlink from "comlink";
import type { SessionProgress } from "../../../src/lib/train/session.ts";
import type { TrainEvent, TrainJob, TrainResult, TrainWorkerApi } from "../../../src/workers/train.worker.ts";

const worker = Comlink.wrap<TrainWorkerApi>(new Worker(new URL("../../../src/workers/train.worker.ts", import.meta.url), { type: "module" }));

const state = {
  progress: [] as SessionProgress[],
  events: [] as TrainEvent[],
  longestGapMs: 0,
  ticks: 0,
};
let last = performance.now();
setInterval(() => {
  const now = performance.now();
  state.longestGapMs = Math.max(state.longestGapMs, now - last);
  last = now;
  state.ticks++;
}, 10);

/** Starts training; pauses for 300 ms at `pauseAtStep`, and destroys the GPU device once step `loseDeviceAtStep` is done. */
async function start(job: TrainJob, pauseAtStep?: number, loseDeviceAtStep?: number): Promise<TrainResult> {
  state.progress = [];
  state.events = [];
  state.longestGapMs = 0;
  last = performance.now();
  return worker.start(
    job,
    Comlink.proxy((p: SessionProgress) => {
      state.progress.push(p);
      if (p.step === pauseAtStep) {
        void worker.pause();
        setTimeout(() => void worker.resume(), 300);
      }
      if (p.step === loseDeviceAtStep) void worker.loseDevice();
    }),
    Comlink.proxy((e: TrainEvent) => void state.events.push(e)),
  );
}

Object.assign(window, {
  trainHarness: {
    start,
    state: () => JSON.parse(JSON.stringify(state)),
    cancel: () => worker.cancel(),
    hasCheckpoint: (key: string) => worker.hasCheckpoint(key),
    clearCheckpoint: (key: string) => worker.clearCheckpoint(key),
    files: async () => Object.keys(await worker.files()).sort(),
  },
});
