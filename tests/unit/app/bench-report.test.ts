// The Benchmark page's helpers (src/routes/benchmark/report.ts): the reports of a run merged into table rows with the
// WebGPU / CPU ratio, figures to three significant digits, and the file's name and fields.

import { describe, expect, it } from "vitest";
import { runSuite, type BenchReport } from "../../../src/lib/bench/suite.ts";
import { CpuBackend } from "../../../src/lib/train/cpu/index.ts";
import { benchFile, benchFileName, formatFigure, tableRows } from "../../../src/routes/benchmark/report.ts";

describe("benchmark report helpers", async () => {
  const cpu = await runSuite(new CpuBackend(), "tiny");
  // a stand-in for a WebGPU report: every figure twice the CPU's
  const gpu: BenchReport = {
    ...cpu, backend: { name: "webgpu", label: "WebGPU: test" }, rows: cpu.rows.map((r) => ({ ...r, gflops: 2 * r.gflops })),
    trainTokPerS: 2 * cpu.trainTokPerS, prefillTokPerS: 2 * cpu.prefillTokPerS, decodeTokPerS: 2 * cpu.decodeTokPerS,
  };

  it("puts each backend in a column, kernels first, then the model's tokens/s, with WebGPU / CPU", () => {
    const rows = tableRows([gpu, cpu]);
    expect(rows.map((r) => r.name)).toEqual([...cpu.rows.map((r) => r.name), "LoRA training", "prefill", "decode"]);
    expect(rows[0]).toMatchObject({ unit: "GFLOP/s", shape: cpu.rows[0]!.shape, values: [2 * cpu.rows[0]!.gflops, cpu.rows[0]!.gflops] });
    expect(rows.at(-1)).toMatchObject({ unit: "tokens/s", shape: "4 tokens, L=2", values: [2 * cpu.decodeTokPerS, cpu.decodeTokPerS] });
    for (const r of rows) expect(r.ratio).toBeCloseTo(2, 9);
    expect(tableRows([cpu]).every((r) => r.ratio === null && r.values.length === 1)).toBe(true);
    expect(tableRows([])).toEqual([]);
  });

  it("formats figures to three significant digits", () => {
    expect([1234.5, 12.345, 1, 0.01234, 0.00001234, 0, NaN].map(formatFigure)).toEqual(["1235", "12.3", "1.00", "0.0123", "1.23e-5", "0.00", "–"]);
  });

  it("names the file after the preset and the day, and keeps every report", () => {
    const f = benchFile([gpu, cpu], "UA", false);
    expect(f).toMatchObject({ version: 1, app: "FIM Studio", userAgent: "UA", crossOriginIsolated: false, reports: [gpu, cpu] });
    expect(benchFileName(f)).toBe(`fim-studio-bench-tiny-${f.createdAt.slice(0, 10)}.json`);
  });
});
