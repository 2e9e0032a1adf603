// A lost GPU during training in the Web Worker (src/workers/train.worker.ts), on WebGPU (SwiftShader) in headless
// Chromium: the device is destroyed right after a checkpoint, the worker reports "device-lost", resumes from the
// OPFS checkpoint on a new device, and the run ends with every step's loss.

import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Browser, Page } from "playwright-core";
import { sampleFile, toJsonl } from "../../src/lib/fim/index.ts";
import type { SessionProgress } from "../../src/lib/train/session.ts";
import type { TrainEvent, TrainJob, TrainResult } from "../../src/workers/train.worker.ts";
import { tinyCheckpointFiles } from "../fixtures/tiny-checkpoint.ts";
import { launchBrowser, openPage, ROOT, startApp, type RunningApp } from "./browser.ts";

const MODEL_DIR = join(ROOT, "tests/e2e/.tmp-models/train-device-loss");
const STEPS = 8;
const LOSE_AT = 4; // a checkpoint step (checkpointEvery 2): the page destroys the device as step 5 starts
let app: RunningApp;
let browser: Browser;
let page: Page;

type Harness = {
  start(j: TrainJob, pauseAt?: number, loseDeviceAt?: number): Promise<TrainResult>;
  state(): { progress: SessionProgress[]; events: TrainEvent[] };
  clearCheckpoint(k: string): Promise<void>;
};

beforeAll(async () => {
  rmSync(MODEL_DIR, { recursive: true, force: true });
  mkdirSync(MODEL_DIR, { recursive: true });
  const files = tinyCheckpointFiles({ architecture: "qwen2" });
  for (const [name, data] of Object.entries(files)) writeFileSync(join(MODEL_DIR, name), data);
  writeFileSync(join(MODEL_DIR, "manifest.json"), JSON.stringify({ files: Object.keys(files) }));
  [app, browser] = await Promise.all([startApp(), launchBrowser()]);
  page = (await openPage(browser, app.url)).page;
  await page.goto(`${app.url}tests/e2e/harness/train-worker.html`);
  await page.waitForFunction(() => "trainHarness" in window);
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
  rmSync(MODEL_DIR, { recursive: true, force: true });
});

function job(): TrainJob {
  const text = "def add(a, b):\n    total = a + b\n    return total\n\n\ndef sub(a, b):\n    return a - b\n";
  const recs = sampleFile({ path: "a.py", text, language: "python" }, 8, "qwen", { seed: 1, spanUnit: "lines", fimRate: 1, spmRate: 0, incompleteRate: 0.35, eot: undefined }, "train");
  return {
    model: { kind: "url", url: "/tests/e2e/.tmp-models/train-device-loss/" },
    jsonl: recs.map(toJsonl).join(""),
    train: { lr: 1e-2, warmupSteps: 1, batchSize: 2, gradAccum: 1, steps: STEPS, contextLength: 64 },
    lora: { r: 2, alpha: 4 },
    backend: "webgpu",
    runKey: "e2e-device-loss",
    checkpointEvery: 2,
  };
}

describe("a lost GPU device during training", () => {
  test("is reported, and training resumes from the last checkpoint on a new device and completes", async () => {
    await page.evaluate(() => (window as unknown as { trainHarness: Harness }).trainHarness.clearCheckpoint("e2e-device-loss"));
    const result = await page.evaluate(
      ([j, at]) => (window as unknown as { trainHarness: Harness }).trainHarness.start(j, undefined, at),
      [job(), LOSE_AT] as const,
    );
    const state = await page.evaluate(() => (window as unknown as { trainHarness: Harness }).trainHarness.state());
    const { progress } = state;
    const events = state.events.filter((e) => ["backend", "device-lost", "resumed"].includes(e.type));
    expect(events.map((e) => e.type)).toEqual(["backend", "device-lost", "backend", "resumed"]);
    expect(events[0]).toMatchObject({ type: "backend", kind: "webgpu" });
    expect((events[1] as { message: string }).message).toMatch(/WebGPU is not available: the device was lost/);
    expect(events[2]).toMatchObject({ type: "backend", kind: "webgpu" });
    // the checkpoint written at the loss step, or (were the loss slow to land) a later one
    const resumed = events[3] as { step: number };
    expect(resumed.step).toBeGreaterThanOrEqual(LOSE_AT);
    expect(resumed.step % 2).toBe(0);
    expect(progress.slice(0, LOSE_AT).map((p) => p.step)).toEqual([1, 2, 3, 4]);
    const rest = Array.from({ length: STEPS - resumed.step }, (_, i) => resumed.step + 1 + i);
    expect(progress.slice(progress.length - rest.length).map((p) => p.step)).toEqual(rest);
    expect(progress.every((p) => Number.isFinite(p.loss))).toBe(true);
    expect(result.state).toBe("done");
    expect(result.backend).toBe("webgpu");
    expect(result.losses).toHaveLength(STEPS);
    expect(result.losses.every(Number.isFinite)).toBe(true);
  }, 600_000);
});
