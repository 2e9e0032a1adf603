// Training in a Web Worker (src/workers/train.worker.ts) in headless Chromium: progress arrives, the main thread
// stays responsive, pause/resume and cancel work, checkpoints land in OPFS and a second start with the same run key
// resumes from them (as after a reload), and the adapter files come back.

import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Browser, Page } from "playwright-core";
import { sampleFile, toJsonl } from "../../src/lib/fim/index.ts";
import { tinyCheckpointFiles } from "../fixtures/tiny-checkpoint.ts";
import { launchBrowser, openPage, ROOT, startApp, type RunningApp } from "./browser.ts";
import type { TrainJob } from "../../src/workers/train.worker.ts";

const MODEL_DIR = join(ROOT, "tests/e2e/.tmp-models/train-worker");
let app: RunningApp;
let browser: Browser;
let page: Page;

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

function job(steps: number, runKey: string): TrainJob {
  const text = "def add(a, b):\n    total = a + b\n    return total\n\n\ndef sub(a, b):\n    return a - b\n";
  const recs = sampleFile({ path: "a.py", text, language: "python" }, 16, "qwen", { seed: 1, spanUnit: "lines", fimRate: 1, spmRate: 0, incompleteRate: 0.35, eot: undefined }, "train");
  return {
    model: { kind: "url", url: "/tests/e2e/.tmp-models/train-worker/" },
    jsonl: recs.map(toJsonl).join(""),
    train: { lr: 1e-2, warmupSteps: 1, batchSize: 2, gradAccum: 1, steps, contextLength: 128 },
    lora: { r: 2, alpha: 4 },
    backend: "cpu",
    runKey,
    checkpointEvery: 2,
  };
}

type Harness = {
  start(j: TrainJob, pauseAt?: number): Promise<{ state: string; losses: number[]; backend: string }>;
  state(): { progress: { step: number; loss: number; tokensPerSecond: number }[]; events: { type: string; step?: number; message?: string; loaded?: number; total?: number }[]; longestGapMs: number; ticks: number };
  cancel(): Promise<void>;
  hasCheckpoint(k: string): Promise<boolean>;
  clearCheckpoint(k: string): Promise<void>;
  files(): Promise<string[]>;
};
const h = <R>(fn: (h: Harness, arg: never) => R, arg?: unknown) => page.evaluate(fn as never, arg as never) as Promise<Awaited<R>>;

describe("training in a Web Worker", () => {
  test("progress arrives, the page stays responsive, pause and resume work, adapter files come back", async () => {
    const result = await page.evaluate((j) => (window as unknown as { trainHarness: Harness }).trainHarness.start(j, 3), job(8, "e2e-run-a"));
    expect(result.state).toBe("done");
    expect(result.losses).toHaveLength(8);
    const st = await h((x) => (window as unknown as { trainHarness: Harness }).trainHarness.state());
    expect(st.progress.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(st.progress.every((p) => Number.isFinite(p.loss) && p.tokensPerSecond > 0)).toBe(true);
    expect(st.events[0]).toMatchObject({ type: "backend", kind: "cpu" });
    // while the model loads, the bytes read so far come along (a Hub model's download reports the same way)
    const bytes = st.events.filter((e) => e.type === "loading" && e.loaded !== undefined);
    expect(bytes.length).toBeGreaterThan(0);
    expect(bytes.every((e) => e.loaded! > 0 && (e.total === undefined || e.loaded! <= e.total))).toBe(true); // no sizes from a served folder
    expect(bytes.some((e) => e.message === "Loading the model: model.safetensors")).toBe(true);
    expect(st.ticks).toBeGreaterThan(20);
    expect(st.longestGapMs).toBeLessThan(500); // the main thread never froze
    expect(await page.evaluate(() => (window as unknown as { trainHarness: Harness }).trainHarness.files())).toEqual([
      "adapter_config.json", "adapter_model.safetensors", "optimizer.safetensors", "trainer_state.json",
    ]);
  });

  test("the loss is on the middle by default, on every token with lossOn: all", async () => {
    const start = (j: TrainJob) => page.evaluate((x) => (window as unknown as { trainHarness: Harness }).trainHarness.start(x), j);
    for (const k of ["e2e-loss-middle", "e2e-loss-all"]) await page.evaluate((key) => (window as unknown as { trainHarness: Harness }).trainHarness.clearCheckpoint(key), k);
    const middle = await start(job(1, "e2e-loss-middle"));
    const all = await start({ ...job(1, "e2e-loss-all"), lossOn: "all" });
    expect(middle.losses).toHaveLength(1);
    expect(all.losses).toHaveLength(1);
    // a random tiny model: about ln(vocab) per token either way, but over other tokens, so not the same number
    expect(Math.abs(all.losses[0]! - middle.losses[0]!)).toBeGreaterThan(1e-4);
  });

  test("a cancelled run resumes from its OPFS checkpoint on the next start (as after a reload)", async () => {
    await page.evaluate(() => (window as unknown as { trainHarness: Harness }).trainHarness.clearCheckpoint("e2e-run-b"));
    // long enough that the cancel lands mid-run on a loaded machine (8 steps could all finish before it arrived)
    const first = page.evaluate((j) => (window as unknown as { trainHarness: Harness }).trainHarness.start(j), job(200, "e2e-run-b"));
    await page.waitForFunction(() => (window as unknown as { trainHarness: Harness }).trainHarness.state().progress.length >= 5);
    await page.evaluate(() => (window as unknown as { trainHarness: Harness }).trainHarness.cancel());
    expect((await first).state).toBe("cancelled");
    expect(await page.evaluate(() => (window as unknown as { trainHarness: Harness }).trainHarness.hasCheckpoint("e2e-run-b"))).toBe(true);
    await page.reload();
    await page.waitForFunction(() => "trainHarness" in window);
    const second = await page.evaluate((j) => (window as unknown as { trainHarness: Harness }).trainHarness.start(j), job(200, "e2e-run-b"));
    expect(second.state).toBe("done");
    const st = await page.evaluate(() => (window as unknown as { trainHarness: Harness }).trainHarness.state());
    const resumed = st.events.find((e) => e.type === "resumed");
    expect(resumed?.step).toBeGreaterThanOrEqual(4);
    expect(st.progress[0]!.step).toBe(resumed!.step! + 1);
    expect(second.losses).toHaveLength(200);
  });
});
