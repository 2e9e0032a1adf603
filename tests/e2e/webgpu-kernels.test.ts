// webgpu-kernels.test.ts — the WebGPU matmul, embedding, rmsnorm, elementwise and optimizer kernels
// (src/lib/train/webgpu/kernels) against the CPU backend in headless Chromium (SwiftShader), through the harness page
// tests/e2e/harness/webgpu.html. Shapes are tiny (software GPU) but chosen to hit the edges: sizes that are not
// multiples of the tiles and workgroups, NaN-poisoned outputs, accumulation into random values, every null-gradient
// variant of the matmul backward, repeated ids, a weight split into binding ranges under a forced small binding limit,
// and 2-D workgroup grids under a forced small grid limit. The GEMV (matvec.wgsl, the forward of N <= 8 rows) on every
// weight format (harness/webgpu-matvec-cases.ts): M 1, 2, 3, 8, OC 1, 37, 130, rows of fewer and more words than its
// workgroup has threads, bias, accumulate, binding ranges, a 2-D grid; each case also checks which kernel ran. The GEMM
// (matmul.wgsl, harness/webgpu-gemm-cases.ts): odd sizes (M 37, K 29, N 53) and aligned ones, several tiles, the
// forward, dinp and dweight products, accumulate, f16 / int8 / int4 weights, split weights, a non-default tile; and the
// classifier's chunked products (odd and aligned C, with and without dwte) through the same GEMM. The LoRA terms fused
// into a linear's GEMM (forward and dinp; the GEMV and split-weight fallbacks; a second product on a small tile), with
// the dispatches each takes, and the optimizer stepping an arena of odd-sized tensors once against per-tensor calls.

import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Browser, Page } from "playwright-core";
import { launchBrowser, openPage, startApp, type RunningApp } from "./browser.ts";
import type { CaseName, Report } from "./harness/webgpu-kernels.ts";
import { gemmCases, gemmKernel, gemmOutputs } from "./harness/webgpu-gemm-cases.ts";
import { matvecCases } from "./harness/webgpu-matvec-cases.ts";

const TOLERANCE = 1e-4; // relative to max(1, |reference|)
const ALIGN = 256; // minStorageBufferOffsetAlignment of SwiftShader (and the WebGPU default)

/**
 * kernel: the prefix of every pipeline label the case dispatches ("matvec:" for a forward of N <= 8 rows); uses: a
 * prefix some of them have.
 */
const CASES: {
  name: CaseName; outputs: string[]; ranges?: { count: number; limit: number }; kernel?: string; uses?: string; bytes?: number; dispatches?: number;
}[] = [
  { name: "matmulForward: odd sizes, bias", outputs: ["out"], kernel: "matvec:" },
  { name: "matmulForward: scale, no bias, accumulate", outputs: ["out"], kernel: "matvec:" },
  { name: "matmulForward: bias, scale, accumulate, several tiles", outputs: ["out"], kernel: "matmul:" },
  { name: "matmulForward: one row (decoding)", outputs: ["out"], kernel: "matvec:" },
  // OC 200 in ranges of 64 rows (the first multiple of 64 rows under the limit): 64, 64, 64, 8
  { name: "matmulForward: weight split into binding ranges (IC 33)", outputs: ["out"], ranges: { count: 4, limit: 64 * 33 * 4 + 100 }, kernel: "matvec:" },
  // OC 37 in ranges of 3 rows: 13. Bytes bound: the weight once across its ranges (37 x 64 x 4), and per range the
  // whole input (3 x 64 x 4), the input again in the bias and the made input's slots (no bias, no made input) and
  // the whole output buffer (3 x 37 x 4 = 444 bytes, allocated as 448): 9472 + 13 x 2752
  { name: "matmulForward: weight split into binding ranges (IC 64)", outputs: ["out"], ranges: { count: 13, limit: 1000 }, kernel: "matvec:", bytes: 9472 + 13 * 2752 },
  // 9 rows (more than the GEMV takes): the tiled kernel, on the same split
  { name: "matmulForward: tiled, weight split into binding ranges (IC 33)", outputs: ["out"], ranges: { count: 4, limit: 64 * 33 * 4 + 100 }, kernel: "matmul:" },
  { name: "matmulBackward: dinp, dweight, dbias", outputs: ["dinp", "dweight", "dbias"] },
  { name: "matmulBackward: dinp", outputs: ["dinp"] },
  { name: "matmulBackward: dweight", outputs: ["dweight"] },
  { name: "matmulBackward: dbias", outputs: ["dbias"] },
  { name: "matmulBackward: dinp, dweight", outputs: ["dinp", "dweight"] },
  { name: "matmulBackward: dinp, dbias", outputs: ["dinp", "dbias"] },
  { name: "matmulBackward: dweight, dbias", outputs: ["dweight", "dbias"] },
  { name: "matmulBackward: no gradients", outputs: ["dout", "inp", "weight"] },
  { name: "matmulBackward: several tiles", outputs: ["dinp", "dweight", "dbias"] },
  // a weight range for each dinp product and a dweight range for each dweight product: 2 * 4, 2 * 13
  {
    name: "matmulBackward: weight split into binding ranges (IC 33)",
    outputs: ["dinp", "dweight", "dbias"],
    ranges: { count: 8, limit: 64 * 33 * 4 + 100 },
  },
  { name: "matmulBackward: weight split into binding ranges (IC 64)", outputs: ["dinp", "dweight"], ranges: { count: 26, limit: 1000 } },
  { name: "embeddingForward", outputs: ["out"] },
  { name: "embeddingBackward: repeated ids", outputs: ["dwte"] },
  { name: "embeddingBackward: more channels than a workgroup", outputs: ["dwte"] },
  { name: "rmsnormForward", outputs: ["out", "rstd"] },
  { name: "rmsnormForward: more channels than a workgroup", outputs: ["out", "rstd"] },
  { name: "rmsnormBackward", outputs: ["dinp", "dweight"] },
  { name: "rmsnormBackward: no dweight", outputs: ["dinp"] },
  { name: "rmsnormBackward: more channels than a workgroup", outputs: ["dinp", "dweight"] },
  { name: "swiglu forward and backward", outputs: ["out", "dgate", "dup"] },
  { name: "addInPlace and scale", outputs: ["a", "c"] },
  { name: "adamw", outputs: ["param", "m", "v"] },
  { name: "sumSquares", outputs: ["out"] },
  {
    name: "2-D workgroup grids",
    outputs: ["0.out", "0.dgate", "0.dup", "1.out", "1.rstd", "2.out", "3.param", "3.m", "3.v"],
  },
  // one GEMM: the base product and the LoRA up-projection in one pass
  { name: "LoRA forward: the up-projection in the GEMM's pass, odd sizes", outputs: ["out"], kernel: "matmul:", dispatches: 1 },
  // N <= 8: the GEMV, then the LoRA product on its own (a GEMV too)
  { name: "LoRA forward: a few rows (GEMV, then the LoRA product)", outputs: ["out"], kernel: "matvec:", dispatches: 2 },
  // 4 weight ranges, then the LoRA product on its own: B's range (at 256 bytes) is bound once more
  {
    name: "LoRA forward: tiled, weight split into binding ranges (IC 33)", outputs: ["out"], kernel: "matmul:", dispatches: 5,
    ranges: { count: 5, limit: 64 * 33 * 4 + 100 },
  },
  // dinp (with dh @ A), dweight, dbias
  { name: "LoRA backward: the input gradient in dinp's pass, odd sizes", outputs: ["dinp", "dweight", "dbias"], dispatches: 3 },
  // 4 dinp ranges (the first with A's range), 4 dweight ranges, dbias
  {
    name: "LoRA backward: weight split into binding ranges (IC 33)", outputs: ["dinp", "dweight", "dbias"], dispatches: 9,
    ranges: { count: 9, limit: 64 * 33 * 4 + 100 },
  },
  { name: "gemm: a second product, A transposed, B2 not, small tile", outputs: ["y"], kernel: "matmul:TILE_M=8,TILE_N=32,TILE_K=32,", dispatches: 1 },
  // sum of squares (partials, final), scale, adamw: 4 dispatches for the 5 tensors
  { name: "optimizer over an arena: sumSquares, scale, adamw once vs per tensor", outputs: ["param", "grad", "m", "v", "norm"], dispatches: 4 },
  ...Object.entries(matvecCases).map(([name, c]) => ({
    name: name as CaseName, // the harness's cases include every matvecCases name
    outputs: ["out"],
    ranges: c.ranges ? { count: c.ranges, limit: c.limit! } : undefined,
    kernel: `${c.kernel}:`,
  })),
  ...Object.entries(gemmCases).map(([name, c]) => ({
    name: name as CaseName, // the harness's cases include every gemmCases name
    outputs: gemmOutputs(c),
    ranges: c.ranges ? { count: c.ranges, limit: c.limit! } : undefined,
    kernel: gemmKernel(c),
  })),
  // a made input past the GEMV's rows: its kernel, then the GEMM on the pooled buffer it wrote
  { name: "made input, 9 rows: RMSNorm, then the tiled product", outputs: ["out"], uses: "matmul:", dispatches: 2 },
  { name: "made input, 9 rows: SwiGLU, then the tiled product", outputs: ["out"], uses: "matmul:", dispatches: 2 },
  // the products on the linear layer's GEMM, the folds on classifier_forward / _backward.wgsl
  { name: "classifier: 3 chunks, odd C 29 (V 150), dwte", outputs: ["losses", "lse", "dh", "dwte"], uses: "matmul:" },
  { name: "classifier: 4 chunks, aligned C 64 (V 53), no dwte", outputs: ["losses", "lse", "dh"], uses: "matmul:" },
];

let app: RunningApp;
let browser: Browser;
let page: Page;
let pageErrors: string[];
const measured: Record<string, number> = {};
let subgroups: boolean | undefined;
/**
 * The cases whose kernels have a subgroup variant: the GEMV (every forward of at most 8 rows) and the kernels that
 * reduce with reduce.wgsl (RMSNorm, the optimizer's sum of squares, the classifier's fold).
 */
const hasVariant = (c: (typeof CASES)[number]): boolean =>
  c.kernel === "matvec:" || /^(rmsnorm|sumSquares|optimizer|classifier)/.test(c.name);

beforeAll(async () => {
  [app, browser] = await Promise.all([startApp(), launchBrowser()]);
  const opened = await openPage(browser, app.url);
  page = opened.page;
  pageErrors = opened.errors;
  await page.goto(`${app.url}tests/e2e/harness/webgpu.html`);
  await page.waitForFunction(() => "gpuKernels" in window);
});

afterAll(async () => {
  const lines = Object.entries(measured).map(([k, v]) => `  ${v.toExponential(2)}  ${k}`);
  if (lines.length > 0) console.log(`max relative errors (${TOLERANCE} allowed):\n${lines.join("\n")}`);
  await browser?.close();
  await app?.close();
});

describe("WebGPU kernels match the CPU backend", () => {
  test("every kernel file compiles without errors or warnings", async () => {
    expect(await page.evaluate(() => window.gpuKernels.compile())).toEqual([]);
  });

  test("the harness runs exactly the cases listed here", async () => {
    expect((await page.evaluate(() => window.gpuKernels.names())).sort()).toEqual(CASES.map((c) => c.name).sort());
  });

  test("the backend's device takes the subgroup variants where the adapter has subgroups (SwiftShader in Chromium 150 does)", async () => {
    subgroups = await page.evaluate(() => window.gpuKernels.subgroups());
    console.log(`kernels run with subgroups: ${subgroups}`);
    expect(typeof subgroups).toBe("boolean");
  });

  test.each(CASES)("$name", async (c) => {
    await check(c, true);
  });

  // the kernels that have a subgroup variant (matvec.wgsl, rmsnorm.wgsl), again on a device kept off subgroups
  test.each(CASES.filter(hasVariant))("without subgroups: $name", async (c) => {
    await check(c, false);
  });

  async function check(c: (typeof CASES)[number], sg: boolean): Promise<void> {
    const { name, outputs, ranges, kernel, uses, bytes, dispatches } = c;
    const r: Report = await page.evaluate(([n, sg]) => window.gpuKernels.run(n, sg), [name, sg] as const);
    // which variant ran: the pipelines of kernels with feature blocks say ";subgroups" when compiled with them
    const tagged = r.kernels.filter((k) => k.endsWith(";subgroups"));
    if (!sg || !subgroups) expect(tagged).toEqual([]);
    else if (hasVariant(c)) expect(tagged.length, r.kernels.join(", ")).toBeGreaterThan(0);
    expect(r.gpuErrors).toEqual([]);
    if (bytes !== undefined) expect(r.bytes).toBe(bytes);
    if (dispatches !== undefined) expect(r.dispatches).toBe(dispatches);
    if (kernel) {
      expect(r.kernels.length, r.kernels.join(", ")).toBeGreaterThan(0);
      for (const k of r.kernels) expect(k.startsWith(kernel), k).toBe(true);
    }
    if (uses) expect(r.kernels.some((k) => k.startsWith(uses)), r.kernels.join(", ")).toBe(true);
    expect(Object.keys(r.errors).sort()).toEqual([...outputs].sort());
    for (const [output, err] of Object.entries(r.errors)) {
      measured[`${name}: ${output}`] = err;
      expect(err, output).toBeLessThanOrEqual(TOLERANCE);
    }
    if (ranges) {
      expect(r.ranges.length).toBe(ranges.count);
      for (const { offset, size } of r.ranges) {
        expect(offset % ALIGN, `offset ${offset}`).toBe(0);
        expect(size).toBeLessThanOrEqual(ranges.limit);
      }
    } else {
      expect(r.ranges).toEqual([]);
    }
  }

  test("no page errors", () => {
    expect(pageErrors).toEqual([]);
  });
});
