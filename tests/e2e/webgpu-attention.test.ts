// webgpu-attention.test.ts — the WebGPU rope, attention and classifier kernels (src/lib/train/webgpu/kernels) against
// the CPU reference kernels in headless Chromium (SwiftShader), through the harness page
// tests/e2e/harness/webgpu-attention.html. Shapes are tiny (software GPU) but chosen to hit the edges: sizes that are
// not multiples of the workgroups, GQA ratios 1, 2, 3 and 4, Tq < Tk with a KV cache longer than Tk, sequences longer
// than a tile and than 256, head sizes that split the merge into chunks, decoding (one query) at several cache
// lengths, targets of -1, and several vocabulary chunks bound as ranges of wte.

import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Browser, Page } from "playwright-core";
import { launchBrowser, openPage, startApp, type RunningApp } from "./browser.ts";
import type { AttentionCase, ClassifierCase, Report, RopeCase } from "./harness/webgpu-attention.ts";

const TOLERANCE = 1e-4; // relative to max(1, |reference|)

let app: RunningApp;
let browser: Browser;
let page: Page;
let pageErrors: string[];

beforeAll(async () => {
  [app, browser] = await Promise.all([startApp(), launchBrowser()]);
  const opened = await openPage(browser, app.url);
  page = opened.page;
  pageErrors = opened.errors;
  await page.goto(`${app.url}tests/e2e/harness/webgpu-attention.html`);
  await page.waitForFunction(() => "webgpuKernels" in window);
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

function expectClose(r: Report, outputs: string[]): void {
  expect(r.gpuErrors).toEqual([]);
  expect(Object.keys(r.errors).sort()).toEqual([...outputs].sort());
  for (const [name, err] of Object.entries(r.errors)) expect(err, name).toBeLessThanOrEqual(TOLERANCE);
}

describe("WebGPU kernels match the CPU kernels", () => {
  const ropeCases: [string, RopeCase][] = [
    ["37 tokens, 3 heads of 16", { N: 37, NH: 3, HS: 16, maxPos: 40, seed: 1 }],
    ["positions up to 30000 (angle range reduction)", { N: 29, NH: 5, HS: 10, maxPos: 30000, seed: 2 }],
  ];
  test.each(ropeCases)("rope forward and backward, in place and not: %s", async (_, c) => {
    const r = await page.evaluate((c) => window.webgpuKernels.rope(c), c);
    expectClose(r, ["forward", "inputKept", "backward", "forwardInPlace", "backwardInPlace"]);
  });

  const attentionCases: [string, AttentionCase][] = [
    ["GQA 1, T 37", { B: 2, Tq: 37, Tk: 37, kvStride: 37, NH: 3, NKV: 3, HS: 8, seed: 10 }],
    ["GQA 2, T 70 (two row blocks)", { B: 1, Tq: 70, Tk: 70, kvStride: 70, NH: 4, NKV: 2, HS: 12, seed: 20 }],
    ["GQA 4, Tq 5 < Tk 29, kvStride 40", { B: 2, Tq: 5, Tk: 29, kvStride: 40, NH: 8, NKV: 2, HS: 16, seed: 30 }],
    ["GQA 4, one query (decode), kvStride 48", { B: 1, Tq: 1, Tk: 45, kvStride: 48, NH: 4, NKV: 1, HS: 16, seed: 40 }],
    ["GQA 2, Tq 67 < Tk 100, kvStride 111", { B: 1, Tq: 67, Tk: 100, kvStride: 111, NH: 2, NKV: 1, HS: 9, seed: 50 }],
  ];
  test.each(attentionCases)("attention forward and backward: %s", async (_, c) => {
    const r = await page.evaluate((c) => window.webgpuKernels.attention(c), c);
    expectClose(r, ["out", "lse", "dq", "dk", "dv"]);
  });

  // the workgroups' shares: query and key blocks that are not multiples of the rows (8) or the tile, T 300 with a tiny
  // head (nothing is sized by the sequence length), GQA 3, head size 256 (its merges take several chunks); each also
  // against finite differences of the float64 CPU forward, through the GPU's own forward and backward
  const blockCases: [string, AttentionCase][] = [
    ["GQA 2, T 300, HS 4", { B: 1, Tq: 300, Tk: 300, kvStride: 300, NH: 2, NKV: 1, HS: 4, seed: 60, fd: true }],
    ["GQA 3, T 45, B 2, HS 10", { B: 2, Tq: 45, Tk: 45, kvStride: 45, NH: 6, NKV: 2, HS: 10, seed: 70, fd: true }],
    ["GQA 2, Tq 3 < Tk 130, kvStride 137", { B: 1, Tq: 3, Tk: 130, kvStride: 137, NH: 4, NKV: 2, HS: 6, seed: 80, fd: true }],
    ["GQA 2, T 19, HS 256 (small tiles, chunked merge)", { B: 1, Tq: 19, Tk: 19, kvStride: 19, NH: 2, NKV: 1, HS: 256, seed: 90, fd: true }],
  ];
  test.each(blockCases)("attention forward and backward, and finite differences: %s", async (_, c) => {
    const r = await page.evaluate((c) => window.webgpuKernels.attention(c), c);
    expectClose(r, ["out", "lse", "dq", "dk", "dv", "fdDq", "fdDk", "fdDv"]);
    // the merges go through the tile a chunk of 2 tile HS / 64 columns at a time: HS 256 needs several
    if (c.HS === 256) for (const g of Object.values(r.plan!)) expect(g.tile).toBeLessThan(32);
  });

  // decoding: one query row over a cache of Tk rows (kvStride 320), the whole workgroup on it (one row per workgroup)
  const cacheLengths = [1, 2, 31, 64, 65, 200, 300];
  test.each(cacheLengths)("attention decode step over a cache of %i rows", async (Tk) => {
    const c: AttentionCase = { B: 1, Tq: 1, Tk, kvStride: 320, NH: 4, NKV: 2, HS: 8, seed: 1000 + Tk };
    const r = await page.evaluate((c) => window.webgpuKernels.attention(c), c);
    expectClose(r, ["out", "lse", "dq", "dk", "dv"]);
    expect(r.plan!.forward.rows).toBe(1);
  });

  const classifierCases: [string, ClassifierCase, number][] = [
    ["19 chunks of 16 rows (V 300, C 20)", { N: 37, C: 20, V: 300, chunk: 24, dwte: true, seed: 100 }, 16],
    ["4 chunks of 64 rows, odd C 13 (V 200)", { N: 19, C: 13, V: 200, chunk: 64, dwte: true, seed: 200 }, 64],
    ["one chunk, no dwte (V 150)", { N: 11, C: 24, V: 150, dwte: false, seed: 300 }, 150],
  ];
  test.each(classifierCases)("classifier forward and backward: %s", async (_, c, chunk) => {
    const r = await page.evaluate((c) => window.webgpuKernels.classifier(c), c);
    expect(r.chunk).toBe(chunk);
    expectClose(r, ["losses", "lse", "dh", "dwte"]);
  });

  test("no page errors", () => {
    expect(pageErrors).toEqual([]);
  });
});
