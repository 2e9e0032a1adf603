// report.ts — the Benchmark page's pure helpers: the reports of one run merged into table rows (a column per backend,
// the WebGPU / CPU ratio), numbers to a few significant digits, and the JSON file that is downloaded or copied.

import type { BenchReport } from "../../lib/bench/suite.ts";

/** Bumped whenever the file's layout changes (each report carries the suite's own version too). */
export const BENCH_FILE_VERSION = 1;

export interface BenchFile {
  version: number;
  app: "FIM Studio";
  createdAt: string;
  userAgent: string;
  crossOriginIsolated: boolean;
  reports: BenchReport[];
}

export function benchFile(reports: BenchReport[], userAgent: string, crossOriginIsolated: boolean): BenchFile {
  return { version: BENCH_FILE_VERSION, app: "FIM Studio", createdAt: new Date().toISOString(), userAgent, crossOriginIsolated, reports };
}

/** e.g. fim-studio-bench-small-2025-01-31.json */
export function benchFileName(f: BenchFile): string {
  return `fim-studio-bench-${f.reports[0]?.preset ?? "empty"}-${f.createdAt.slice(0, 10)}.json`;
}

export interface TableRow {
  name: string;
  shape: string;
  unit: "GFLOP/s" | "tokens/s";
  /** One value per report, in the reports' order. */
  values: number[];
  /** WebGPU / CPU, when both ran. */
  ratio: number | null;
}

const MODEL_FIGURES = [
  ["LoRA training", "trainTokPerS"],
  ["prefill", "prefillTokPerS"],
  ["decode", "decodeTokPerS"],
] as const;

export function tableRows(reports: BenchReport[]): TableRow[] {
  const first = reports[0];
  if (!first) return [];
  const gpu = reports.findIndex((r) => r.backend.name === "webgpu");
  const cpu = reports.findIndex((r) => r.backend.name === "cpu");
  const ratio = (values: number[]) => (gpu >= 0 && cpu >= 0 ? values[gpu]! / values[cpu]! : null);
  const { B, T, loraRank, promptTokens, decodeTokens, dims } = first.spec;
  const modelShape: Record<(typeof MODEL_FIGURES)[number][1], string> = {
    trainTokPerS: `r=${loraRank} B=${B} T=${T} L=${dims.L}`,
    prefillTokPerS: `${promptTokens} tokens, L=${dims.L}`,
    decodeTokPerS: `${decodeTokens} tokens, L=${dims.L}`,
  };
  const kernels = first.rows.map((row): TableRow => {
    const values = reports.map((r) => r.rows.find((x) => x.name === row.name)?.gflops ?? NaN);
    return { name: row.name, shape: row.shape, unit: "GFLOP/s", values, ratio: ratio(values) };
  });
  const model = MODEL_FIGURES.map(([name, field]): TableRow => {
    const values = reports.map((r) => r[field]);
    return { name, shape: modelShape[field], unit: "tokens/s", values, ratio: ratio(values) };
  });
  return [...kernels, ...model];
}

/** Three significant digits: 1234 -> "1234", 12.345 -> "12.3", 0.01234 -> "0.0123", 0.00001234 -> "1.23e-5". */
export function formatFigure(x: number): string {
  if (!Number.isFinite(x)) return "–";
  if (Math.abs(x) >= 100) return x.toFixed(0);
  if (x !== 0 && Math.abs(x) < 1e-3) return x.toExponential(2);
  return x.toPrecision(3);
}
