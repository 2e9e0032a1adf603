// The benchmark suite on WebGPU and on the CPU backend in one headless Chromium page (WebGPU is SwiftShader there),
// for scripts/bench.mjs. Usage: node --import tsx tests/bench/webgpu-run.ts [PRESET | counts]   (default: small;
// "counts": webgpu-counts.ts's dispatch and byte counts instead of the suite)
// Starts the app's Vite dev server and Chromium as the e2e tests do (tests/e2e/browser.ts), opens
// tests/bench/webgpu-page.html, and prints one JSON line per backend: the suite's report. Progress goes to stderr.

import type { PresetName } from "../../src/lib/bench/presets.ts";
import type { BenchReport } from "../../src/lib/bench/suite.ts";
import type { CountsReport } from "./webgpu-counts.ts";
import { launchBrowser, openPage, startApp } from "../e2e/browser.ts";

const preset = (process.argv[2] ?? "small") as PresetName;
const [app, browser] = await Promise.all([startApp(), launchBrowser()]);
try {
  const { page, errors } = await openPage(browser, app.url);
  page.on("console", (m) => m.type() === "log" && process.stderr.write(`  ${m.text()}\n`));
  await page.goto(`${app.url}tests/bench/webgpu-page.html`);
  await page.waitForFunction(() => "benchHarness" in window);
  type Harness = { run(p: PresetName, b: "webgpu" | "cpu"): Promise<BenchReport>; counts(): Promise<CountsReport> };
  if (preset === ("counts" as PresetName)) {
    console.log(JSON.stringify(await page.evaluate(() => (window as unknown as { benchHarness: Harness }).benchHarness.counts())));
  } else {
    for (const backend of ["webgpu", "cpu"] as const) {
      const report = await page.evaluate(([p, b]) => (window as unknown as { benchHarness: Harness }).benchHarness.run(p, b), [preset, backend] as const);
      console.log(JSON.stringify(report));
    }
  }
  if (errors.length > 0) throw new Error(`the page reported errors:\n${errors.join("\n")}`);
} finally {
  await browser.close();
  await app.close();
}
