// The benchmark suite (src/lib/bench/suite.ts) on the CPU backend with the tiny preset: every figure is finite and
// positive, operation counts equal the textbook formulas written out here, training on random tokens starts at
// a loss of about ln(V), and the report survives JSON.

import { describe, expect, it } from "vitest";
import { PRESETS } from "../../../src/lib/bench/presets.ts";
import { runSuite, REPORT_VERSION, type BenchReport } from "../../../src/lib/bench/suite.ts";
import { CpuBackend } from "../../../src/lib/train/cpu/index.ts";

const { config, B, T } = PRESETS.tiny;
const C = config.hidden_size, H = config.intermediate_size, V = config.vocab_size;
const NH = config.num_attention_heads, HS = config.head_dim;
const N = B * T;

/** Causal (query, key) pairs by counting them. */
function pairs(): number {
  let n = 0;
  for (let t = 0; t < T; t++) for (let j = 0; j <= t; j++) n++;
  return B * NH * n;
}

describe("benchmark suite, tiny preset on the CPU backend", async () => {
  const progress: number[] = [];
  const report: BenchReport = await runSuite(new CpuBackend(), "tiny", (p) => progress.push(p.done / p.total));
  const row = (name: string) => {
    const r = report.rows.find((x) => x.name === name);
    if (!r) throw new Error(`no row ${name}: ${report.rows.map((x) => x.name).join(", ")}`);
    return r;
  };

  it("counts the operations of each kernel as the formulas do", () => {
    expect(row("matmul fwd (gate/up_proj)").flops).toBe(2 * N * C * H);
    expect(row("matmul fwd (down_proj)").flops).toBe(2 * N * H * C);
    expect(row("matmul bwd dinp (gate/up_proj)").flops).toBe(2 * N * C * H);
    expect(row("matmul bwd dinp + dweight (gate/up_proj)").flops).toBe(4 * N * C * H);
    expect(row("matmul decode (gate/up_proj)").flops).toBe(2 * C * H);
    expect(row("lm_head logits, decode").flops).toBe(2 * C * V);
    expect(row("attention fwd").flops).toBe(pairs() * 2 * (2 * HS)); // q.k and p*v
    expect(row("attention bwd").flops).toBe(pairs() * 5 * (2 * HS)); // q.k, dout.v, dq, dk, dv
    expect(row("classifier fwd (lm_head + cross-entropy)").flops).toBe(2 * N * C * V);
    expect(row("classifier bwd (dh) (lm_head + cross-entropy)").flops).toBe(4 * N * C * V);
    expect(row("matmul fwd (gate/up_proj)").shape).toBe(`N=${N} IC=${C} OC=${H}`);
  });

  it("gives finite, positive timings that agree with the counts", () => {
    expect(report.rows).toHaveLength(10);
    for (const r of report.rows) {
      expect(r.ms).toBeGreaterThan(0);
      expect(r.msMedian).toBeGreaterThanOrEqual(r.ms);
      expect(r.calls).toBeGreaterThanOrEqual(1);
      expect(r.gflops).toBeCloseTo(r.flops / r.ms / 1e6, 6);
      expect(Number.isFinite(r.gflops) && r.gflops >= r.gflopsMedian).toBe(true);
    }
    for (const x of [report.trainTokPerS, report.trainStepMs, report.prefillTokPerS, report.decodeTokPerS, report.seconds]) {
      expect(Number.isFinite(x) && x > 0).toBe(true);
    }
    expect(report.trainStepMs).toBeCloseTo((N / report.trainTokPerS) * 1000, 6);
  });

  it("trains on random tokens from a loss of about ln(V): the step ran on the whole model", () => {
    expect(Math.abs(report.trainLoss - Math.log(V))).toBeLessThan(0.05);
  });

  it("describes the backend and the run, and survives JSON", () => {
    expect(report.version).toBe(REPORT_VERSION);
    expect(report.preset).toBe("tiny");
    expect(report.backend).toEqual({ name: "cpu", label: "CPU, 1 thread", threads: 1 });
    expect(report.spec.dims).toMatchObject({ V, C, H, NH, HS, L: config.num_hidden_layers });
    expect(report.spec).toMatchObject({ B, T, loraRank: PRESETS.tiny.loraRank, promptTokens: PRESETS.tiny.promptTokens });
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
    expect(progress[0]).toBe(0);
    expect(progress.at(-1)).toBe(1);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  });
});
