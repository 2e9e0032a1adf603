// webgpu-quant.test.ts — frozen base weights stored as f16, int8 or int4 (src/lib/train/quant.ts) on the WebGPU
// backend (SwiftShader in headless Chromium), dequantized inside the matmul, through the harness page
// tests/e2e/harness/webgpu-quant.html. For each format, the matmul forward and its dinp backward:
//   - against the CPU backend holding the same format (both multiply by the same dequantized values): 1e-4, as every
//     kernel, relative to max(1, |ref|);
//   - against the CPU backend on the original f32 weights: the format's own error, a stated looser bound relative to
//     the largest |output| (VS_F32 below, with what was measured);
// the dequantized values themselves (the forward of the identity) bit for bit, with NaN-poisoned outputs, sizes that are not multiples of the tile (f16 rows of odd length; block formats need
// rows of whole 32-value blocks and refuse others), and packed weights bound as row ranges under a forced small
// binding limit. Then what the backend refuses, and one LoRA training step of a tiny model with int8 weights.

import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Browser, Page } from "playwright-core";
import { tinyCheckpointFiles } from "../fixtures/tiny-checkpoint.ts";
import { launchBrowser, openPage, ROOT, startApp, type RunningApp } from "./browser.ts";
import type { Report } from "./harness/webgpu-quant.ts";
import { cases, splitLimit } from "./harness/webgpu-quant-cases.ts";

const TOLERANCE = 1e-4; // against the CPU backend with the same format, relative to max(1, |reference|)
/** Against the f32 weights, relative to the largest |output|. Measured (SwiftShader): f16 2.7e-4, int8 3.8e-3, int4 7.3e-2. */
const VS_F32 = { f16: 1e-3, int8: 1e-2, int4: 1.5e-1 } as const;
/** The weights' own error against f32, relative to the largest |weight| (the identity cases): quant.ts's bounds. */
const WEIGHT_BOUND = { f16: 2 ** -11, int8: 1 / 254 + 2 ** -11, int4: 1 / 8 + 2 ** -11 } as const;
const ALIGN = 256; // minStorageBufferOffsetAlignment of SwiftShader (and the WebGPU default)

const MODEL_DIR = join(ROOT, "tests/e2e/.tmp-models/webgpu-quant");
const URL_PATH = "/tests/e2e/.tmp-models/webgpu-quant/";

let app: RunningApp;
let browser: Browser;
let page: Page;
let pageErrors: string[];
const measured: Record<string, [number, number]> = {};

beforeAll(async () => {
  rmSync(MODEL_DIR, { recursive: true, force: true });
  mkdirSync(MODEL_DIR, { recursive: true });
  const files = tinyCheckpointFiles({ architecture: "qwen2" });
  for (const [name, data] of Object.entries(files)) writeFileSync(join(MODEL_DIR, name), data);
  writeFileSync(join(MODEL_DIR, "manifest.json"), JSON.stringify({ files: Object.keys(files) }));
  [app, browser] = await Promise.all([startApp(), launchBrowser()]);
  const opened = await openPage(browser, app.url);
  page = opened.page;
  pageErrors = opened.errors;
  await page.goto(`${app.url}tests/e2e/harness/webgpu-quant.html`);
  await page.waitForFunction(() => "gpuQuant" in window);
});

afterAll(async () => {
  const lines = Object.entries(measured).map(([k, [same, f32]]) => `  ${same.toExponential(2)}  ${f32.toExponential(2)}  ${k}`);
  if (lines.length > 0) console.log(`max errors: vs CPU same format (${TOLERANCE} allowed), vs f32 weights (${JSON.stringify(VS_F32)}):\n${lines.join("\n")}`);
  await browser?.close();
  await app?.close();
  rmSync(MODEL_DIR, { recursive: true, force: true });
});

describe("frozen f16 / int8 / int4 weights on WebGPU match the CPU backend", () => {
  test("the harness runs exactly the cases listed here", async () => {
    expect((await page.evaluate(() => window.gpuQuant.names())).sort()).toEqual(Object.keys(cases).sort());
  });

  test.each(Object.entries(cases))("%s", async (name, c) => {
    const r: Report = await page.evaluate((n) => window.gpuQuant.run(n), name);
    expect(r.gpuErrors).toEqual([]);
    expect(Object.keys(r.errors).sort()).toEqual(c.pass !== "backward" ? ["out"] : c.bias ? ["dbias", "dinp"] : ["dinp"]);
    if (c.pass === "identity") expect(r.errors.out).toBe(0);
    for (const [output, err] of Object.entries(r.errors)) {
      measured[`${name}: ${output}`] = [err, r.vsF32[output]!];
      expect(err, output).toBeLessThanOrEqual(TOLERANCE);
      // dbias does not read the weight: it matches the f32 run as closely as the format's own run
      const bound = output === "dbias" ? TOLERANCE : c.pass === "identity" ? WEIGHT_BOUND[c.format] : VS_F32[c.format];
      expect(r.vsF32[output], `${output} vs f32`).toBeLessThanOrEqual(bound);
    }
    if (c.splitRows) {
      expect(r.ranges.length).toBe(Math.ceil(c.OC / c.splitRows));
      const limit = splitLimit(c.format, c.IC, c.splitRows);
      for (const { offset, size } of r.ranges) {
        expect(offset % ALIGN, `offset ${offset}`).toBe(0);
        expect(size).toBeLessThanOrEqual(limit);
      }
    } else {
      expect(r.ranges).toEqual([]);
    }
  });

  test("a frozen weight has no gradient and feeds only the matmuls; odd rows are refused; freed buffers come back plain", async () => {
    const r = await page.evaluate(() => window.gpuQuant.refusals());
    expect(r.dweight).toMatch(/int8 weight is frozen and has no gradient/);
    expect(r.classifier).toMatch(/classifierForward: blk\.w is a frozen int8 weight/);
    expect(r.embedding).toMatch(/embeddingForward: blk\.w is a frozen int8 weight/);
    expect(r.oddRows).toMatch(/down_proj\.weight: int4 stores blocks of 32 values along each row; rows of 33/);
    expect(r.reused).toMatch(/^same buffer, error /);
    expect(Number(r.reused!.split(" ").pop())).toBeLessThanOrEqual(TOLERANCE);
  });

  test("one LoRA training step with int8 weights: GPU = CPU (loss and every gradient)", async () => {
    const r = await page.evaluate((u) => window.gpuQuant.trainStep(u, "int8"), URL_PATH);
    console.log(`int8 training step: loss gpu ${r.lossGpu} cpu ${r.lossCpu} f32 ${r.lossF32}; worst grad vs cpu ${r.worstGrad.toExponential(2)}, cpu int8 vs f32 ${r.worstGradVsF32.toExponential(2)}`);
    expect(Math.abs(r.lossGpu - r.lossCpu) / r.lossCpu).toBeLessThan(1e-4);
    expect(r.worstGrad).toBeLessThan(1e-3); // measured: 3.7e-8
    expect(Math.abs(r.lossCpu - r.lossF32) / r.lossF32).toBeLessThan(1e-3); // measured: 1.2e-5 (std 0.02 weights)
  }, 600_000);

  test("no page errors", () => {
    expect(pageErrors).toEqual([]);
  });
});
