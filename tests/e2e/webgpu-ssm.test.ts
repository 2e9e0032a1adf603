// webgpu-ssm.test.ts — the WebGPU Mamba kernels (copyColumns, conv1d, selective scan; src/lib/train/webgpu/kernels/
// ssm.ts) through the WebGPU backend against the CPU reference kernels in headless Chromium (SwiftShader), via the
// harness page tests/e2e/harness/webgpu-ssm.html. Shapes are tiny (software GPU) but chosen to hit the edges: a scan
// across a chunk boundary and one of whole chunks, more channels than a scan workgroup, T < K, dt past softplus's
// threshold and very negative, the inference state carried through two pieces (one shorter than the conv's K-1),
// accumulation into random gradients, and null optional gradients.

import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Browser, Page } from "playwright-core";
import { launchBrowser, openPage, startApp, type RunningApp } from "./browser.ts";
import type { CaseName, Report } from "./harness/webgpu-ssm.ts";

const TOLERANCE = 1e-4; // relative to max(1, |reference|)

const CASES: { name: CaseName; outputs: string[] }[] = [
  { name: "copyColumns: overwrite", outputs: ["dst"] },
  { name: "copyColumns: accumulate", outputs: ["dst"] },
  { name: "conv1dForward: bias", outputs: ["out"] },
  { name: "conv1dForward: no bias, T < K", outputs: ["out"] },
  { name: "conv1dForward: state, two pieces (the first shorter than K-1) equal one run", outputs: ["out1", "out2", "state"] },
  { name: "conv1dForward: zero state, two pieces equal one run without state", outputs: ["out1", "out2", "state"] },
  { name: "conv1dBackward: dx, dweight, dbias", outputs: ["dx", "dweight", "dbias"] },
  { name: "conv1dBackward: dx only, no bias", outputs: ["dx"] },
  { name: "conv1dBackward: dweight, dbias (no dx)", outputs: ["dweight", "dbias"] },
  { name: "conv1dBackward: dbias only, T < K", outputs: ["dbias"] },
  { name: "scanForward: hs, two chunks", outputs: ["y", "hs"] },
  { name: "scanForward: no hs", outputs: ["y"] },
  { name: "scanForward: state, two pieces equal one run", outputs: ["y", "hs", "stateOne", "y1", "y2", "state"] },
  { name: "scanBackward: every gradient, two chunks", outputs: ["du", "ddt", "dAlog", "dBm", "dCm", "dD"] },
  { name: "scanBackward: no dAlog, no dD", outputs: ["du", "ddt", "dBm", "dCm"] },
  { name: "scanBackward: DI 70 (two channel groups), DS 16", outputs: ["du", "ddt", "dAlog", "dBm", "dCm", "dD"] },
  { name: "scanBackward: T a multiple of SCAN_CHUNK, DS 1", outputs: ["du", "ddt", "dAlog", "dBm", "dCm", "dD"] },
];

let app: RunningApp;
let browser: Browser;
let page: Page;
let pageErrors: string[];
const measured: Record<string, [rel: number, abs: number]> = {};

beforeAll(async () => {
  [app, browser] = await Promise.all([startApp(), launchBrowser()]);
  const opened = await openPage(browser, app.url);
  page = opened.page;
  pageErrors = opened.errors;
  await page.goto(`${app.url}tests/e2e/harness/webgpu-ssm.html`);
  await page.waitForFunction(() => "gpuSsm" in window);
});

afterAll(async () => {
  const lines = Object.entries(measured).map(([k, [rel, abs]]) => `  ${rel.toExponential(2)}  ${abs.toExponential(2)}  ${k}`);
  if (lines.length > 0) console.log(`max relative (${TOLERANCE} allowed) and absolute errors:\n${lines.join("\n")}`);
  await browser?.close();
  await app?.close();
});

describe("WebGPU Mamba kernels match the CPU kernels", () => {
  test("every kernel file compiles without errors or warnings", async () => {
    expect(await page.evaluate(() => window.gpuSsm.compile())).toEqual([]);
  });

  test("the harness runs exactly the cases listed here", async () => {
    expect((await page.evaluate(() => window.gpuSsm.names())).sort()).toEqual(CASES.map((c) => c.name).sort());
  });

  test.each(CASES)("$name", async ({ name, outputs }) => {
    const r: Report = await page.evaluate((n) => window.gpuSsm.run(n), name);
    expect(r.gpuErrors).toEqual([]);
    expect(Object.keys(r.errors).sort()).toEqual([...outputs].sort());
    for (const [output, err] of Object.entries(r.errors)) {
      measured[`${name}: ${output}`] = [err, r.abs[output]!];
      expect(err, output).toBeLessThanOrEqual(TOLERANCE);
    }
  });

  test("no page errors", () => {
    expect(pageErrors).toEqual([]);
  });
});
