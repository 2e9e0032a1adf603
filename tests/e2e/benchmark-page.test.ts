// The Benchmark page (#/benchmark) in headless Chromium: it names the WebGPU adapter (SwiftShader here) and runs the
// tiny preset on WebGPU and the CPU in its worker; the table has a figure per backend on every row and their ratio;
// the page stays responsive; the downloaded JSON and the copied JSON are the same report with the expected fields.

import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import type { BenchFile } from "../../src/routes/benchmark/report.ts";
import { openPage, useApp } from "./browser.ts";

const env = useApp();

const KERNELS = 10;
const MODEL_FIGURES = ["LoRA training", "prefill", "decode"];

describe("Benchmark page", () => {
  test("runs the tiny preset on WebGPU and the CPU, shows both side by side, downloads and copies the JSON", async () => {
    const { page, context, errors } = await openPage(env.browser, env.app.url);
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: new URL(env.app.url).origin });
    try {
      await page.goto(`${env.app.url}#/benchmark`);
      await page.getByRole("heading", { level: 1, name: "Benchmark" }).waitFor();
      await expect(page.getByTestId("env-webgpu").textContent({ timeout: 60_000 })).resolves.toMatch(/swiftshader.*without shader-f16.*software GPU/is);
      // served cross-origin isolated (COOP/COEP), so the CPU backend gets its thread pool
      const envCpu = (await page.getByTestId("env-cpu").textContent()) ?? "";
      expect(envCpu).toMatch(/CPU backend: \d+ threads?\./);
      const threads = Number(/(\d+) thread/.exec(envCpu)![1]);

      await page.getByRole("radio", { name: /^tiny/ }).check();
      await expect(page.getByRole("checkbox", { name: "WebGPU" }).isChecked()).resolves.toBe(true);
      await expect(page.getByRole("checkbox", { name: /^CPU/ }).isChecked()).resolves.toBe(true);
      // a 10 ms timer on the main thread: its longest gap shows whether the page stayed responsive
      await page.evaluate(() => {
        const w = window as unknown as { gap: number };
        let last = performance.now();
        w.gap = 0;
        setInterval(() => ((w.gap = Math.max(w.gap, performance.now() - last)), (last = performance.now())), 10);
      });
      await page.getByRole("button", { name: "Run" }).click();
      await page.getByTestId("bench-progress").waitFor();
      await page.getByTestId("download-json").waitFor({ timeout: 300_000 });
      await expect(page.getByTestId("bench-progress").count()).resolves.toBe(0);
      const gap = await page.evaluate(() => (window as unknown as { gap: number }).gap);
      expect(gap).toBeLessThan(500);

      // the table: every row has a finite, positive figure for each backend and their ratio
      const rows = page.getByTestId("bench-row");
      await expect(rows.count()).resolves.toBe(KERNELS + MODEL_FIGURES.length);
      for (const name of ["matmul fwd (gate/up_proj)", "attention bwd", ...MODEL_FIGURES]) {
        const row = page.locator(`[data-testid="bench-row"][data-name="${name}"]`);
        for (const be of ["webgpu", "cpu"]) {
          const v = Number(await row.getByTestId(`cell-${be}`).getAttribute("data-value"));
          expect(Number.isFinite(v) && v > 0, `${name} on ${be}: ${v}`).toBe(true);
        }
        await expect(row.getByTestId("cell-ratio").textContent()).resolves.toMatch(/^\d/);
      }
      await expect(page.getByTestId("backend-label-webgpu").textContent()).resolves.toMatch(/software GPU/);

      // the download: one report per backend, in the order they ran, with the fields collected figures need
      const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("download-json").click()]);
      expect(download.suggestedFilename()).toMatch(/^fim-studio-bench-tiny-\d{4}-\d\d-\d\d\.json$/);
      const file = JSON.parse(readFileSync((await download.path())!, "utf8")) as BenchFile;
      expect(file).toMatchObject({ version: 1, app: "FIM Studio", crossOriginIsolated: true });
      expect(file.userAgent).toMatch(/Chrome/);
      expect(file.reports.map((r) => r.backend.name)).toEqual(["webgpu", "cpu"]);
      const [gpu, cpu] = file.reports;
      expect(gpu!.backend).toMatchObject({ software: true, shaderF16: false, adapter: { architecture: "swiftshader" } });
      expect(cpu!.backend).toMatchObject({ name: "cpu", threads }); // as the page said
      for (const r of file.reports) {
        expect(r).toMatchObject({ version: 1, preset: "tiny", spec: { T: 16, dims: { C: 32, V: 256 } } });
        expect(r.rows).toHaveLength(KERNELS);
        for (const row of r.rows) expect(row.gflops > 0 && row.ms > 0 && row.flops > 0).toBe(true);
        for (const x of [r.trainTokPerS, r.prefillTokPerS, r.decodeTokPerS]) expect(x).toBeGreaterThan(0);
        expect(Math.abs(r.trainLoss - Math.log(256))).toBeLessThan(0.05); // random tokens: about ln(V)
      }
      // both backends ran the same counts on the same shapes
      expect(gpu!.rows.map((r) => [r.name, r.shape, r.flops])).toEqual(cpu!.rows.map((r) => [r.name, r.shape, r.flops]));

      // Copy JSON puts the same text on the clipboard
      await page.getByTestId("copy-json").click();
      await expect(page.getByTestId("copy-note").textContent()).resolves.toBe("Copied.");
      const copied = await page.evaluate(() => navigator.clipboard.readText());
      expect(JSON.parse(copied)).toEqual(file);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 600_000);
});
