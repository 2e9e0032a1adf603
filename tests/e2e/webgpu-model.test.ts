// A whole tiny model (a Qwen2 transformer and a Mamba) on the WebGPU backend (SwiftShader in headless Chromium) against
// the CPU backend: one training step's loss and every LoRA gradient, ten steps' loss curve, and greedy decoding's token ids.

import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Browser, Page } from "playwright-core";
import { tinyCheckpointFiles } from "../fixtures/tiny-checkpoint.ts";
import { tinyMambaFiles } from "../fixtures/tiny-mamba.ts";
import { launchBrowser, openPage, ROOT, startApp, type RunningApp } from "./browser.ts";

const MODEL_DIR = join(ROOT, "tests/e2e/.tmp-models/webgpu-model");
const MODELS = {
  "qwen2 transformer": { dir: "qwen2", files: () => tinyCheckpointFiles({ architecture: "qwen2" }) },
  mamba: { dir: "mamba", files: () => tinyMambaFiles({ weightScale: 4 }) },
};
let app: RunningApp;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  rmSync(MODEL_DIR, { recursive: true, force: true });
  mkdirSync(MODEL_DIR, { recursive: true });
  for (const m of Object.values(MODELS)) {
    const files = m.files();
    mkdirSync(join(MODEL_DIR, m.dir), { recursive: true });
    for (const [name, data] of Object.entries(files)) writeFileSync(join(MODEL_DIR, m.dir, name), data);
    writeFileSync(join(MODEL_DIR, m.dir, "manifest.json"), JSON.stringify({ files: Object.keys(files) }));
  }
  [app, browser] = await Promise.all([startApp(), launchBrowser()]);
  page = (await openPage(browser, app.url)).page;
  await page.goto(`${app.url}tests/e2e/harness/webgpu-model.html`);
  await page.waitForFunction(() => "webgpuModel" in window);
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
  rmSync(MODEL_DIR, { recursive: true, force: true });
});

type Api = {
  compareStep(url: string): Promise<{ lossGpu: number; lossCpu: number; worstGrad: number; curveGpu: number[]; curveCpu: number[] }>;
  compareGreedy(url: string, n: number, lora?: boolean): Promise<{
    gpu: number[]; cpu: number[]; matvec: number; worstLogits: number; lastStep: Record<string, number>;
  }>;
};

describe.each(Object.entries(MODELS))("the whole model on WebGPU matches the CPU backend: %s", (_, m) => {
  const URL_PATH = `/tests/e2e/.tmp-models/webgpu-model/${m.dir}/`;
  test("one training step: loss and every LoRA gradient; ten steps: the loss curve", async () => {
    const r = await page.evaluate((u) => (window as unknown as { webgpuModel: Api }).webgpuModel.compareStep(u), URL_PATH);
    expect(Math.abs(r.lossGpu - r.lossCpu) / r.lossCpu).toBeLessThan(1e-4);
    expect(r.worstGrad).toBeLessThan(1e-3);
    r.curveGpu.forEach((l, i) => expect(Math.abs(l - r.curveCpu[i]!) / r.curveCpu[i]!).toBeLessThan(1e-3));
  }, 600_000);

  test.each([false, true])("greedy decoding gives the same tokens and logits (LoRA attached: %s)", async (lora) => {
    const r = await page.evaluate(([u, l]) => (window as unknown as { webgpuModel: Api }).webgpuModel.compareGreedy(u, 12, l), [URL_PATH, lora] as const);
    expect(r.gpu).toEqual(r.cpu);
    expect(r.worstLogits).toBeLessThan(1e-3);
    expect(r.matvec).toBeGreaterThan(0); // decoding's one-row matmuls ran the GEMV kernel
    // a decoded token's block norms and SwiGLU (Mamba: its gate) ride in the GEMVs' loads: only the final norm
    // (before the lm_head) and no SwiGLU dispatch are left
    expect(r.lastStep.rmsnorm, JSON.stringify(r.lastStep)).toBe(1);
    expect(r.lastStep.elementwise, JSON.stringify(r.lastStep)).toBeUndefined();
  }, 600_000);
});
