// What the WebGPU backend encodes for one decoded token and one LoRA training step of a SmolLM2-135M-shaped random
// model (30 layers, hidden 576, vocabulary 49152): dispatches and the bytes they read and write, from GpuContext's
// counters (dispatches, traffic: the GEMM, GEMV and attention count the bytes they read and write; other kernels the bytes they bind). Structure, not speed: the counts are the same on any GPU, so SwiftShader can give
// them. Run by tests/bench/webgpu-page.ts for scripts/bench.mjs (`npm run bench -- webgpu`).
// The LoRA r16 step (B=1, T=16) counted 3364 dispatches before the fusions and 1662 after: the optimizer steps the LoRA
// arena once per kernel (lora.ts, trainer.ts: 4 dispatches, was 1261 with the per-tensor clip), each LoRA linear's
// up-projection and input gradient ride in its base GEMM (6 products a linear, was 8), and the classifier takes the
// 49k vocabulary in one chunk (5, was 30).

import { SMOLLM2_135M } from "../../src/lib/bench/presets.ts";
import { Rng } from "../../src/lib/fim/prng.ts";
import { Generator } from "../../src/lib/train/generate.ts";
import { attachLora, DEFAULT_LORA } from "../../src/lib/train/lora.ts";
import { randomModel } from "../../src/lib/train/random-model.ts";
import { DEFAULT_TRAIN, Trainer } from "../../src/lib/train/trainer.ts";
import { WebGpuBackend } from "../../src/lib/train/webgpu/backend.ts";
import type { GpuContext } from "../../src/lib/train/webgpu/context.ts";

export interface CountsReport {
  /** Bytes of the model's weights (float32; the tied embedding once). */
  weightBytes: number;
  decode: Counts;
  train: Counts & { T: number };
}

interface Counts {
  dispatches: number;
  /** Bytes read and written: the kernels' own counts where they give one (the GEMV), else the bytes bound. */
  traffic: number;
  /** Dispatches and traffic per kernel (the pipeline label's key). */
  byKernel: Record<string, { dispatches: number; traffic: number }>;
}

/** The counters' growth while `f` runs: in all, and per kernel (its label's key). */
async function counted(ctx: GpuContext, f: () => Promise<unknown>): Promise<Counts> {
  const before = { d: new Map(ctx.dispatches), b: new Map(ctx.traffic) };
  await f();
  const out: Counts = { dispatches: 0, traffic: 0, byKernel: {} };
  for (const [label, n] of ctx.dispatches) {
    const d = n - (before.d.get(label) ?? 0);
    if (d === 0) continue;
    const b = (ctx.traffic.get(label) ?? 0) - (before.b.get(label) ?? 0);
    out.dispatches += d;
    out.traffic += b;
    const k = (out.byKernel[label.split(":")[0]!] ??= { dispatches: 0, traffic: 0 });
    k.dispatches += d;
    k.traffic += b;
  }
  return out;
}

export async function countSmolLm(log: (s: string) => void): Promise<CountsReport> {
  const be = await WebGpuBackend.create();
  try {
    const rng = new Rng(1);
    log("counts: building the SmolLM2-135M-shaped model on WebGPU");
    const model = await randomModel(be, SMOLLM2_135M, rng);
    const V = SMOLLM2_135M.vocab_size;
    const weightBytes = model.w.blocks.reduce((a, b) => a + Object.values(b.lin).reduce((s, l) => s + l.IC * l.OC * 4, 0), 0)
      + V * SMOLLM2_135M.hidden_size * 4;
    const gen = new Generator(model, 64);
    const prompt = Array.from({ length: 8 }, (_, i) => (i * 997) % V);
    await gen.prompt(prompt);
    log("counts: one decoded token");
    const decode = await counted(be.ctx, () => gen.append([5]));
    const params = attachLora(be, model.w, DEFAULT_LORA, 1);
    const T = 16;
    const samples = Array.from({ length: 3 }, (_, s) => {
      const ids = Int32Array.from({ length: T }, (_, t) => (s * 31 + t * 7) % V);
      return { ids, targets: Int32Array.from({ length: T }, (_, t) => (t + 1 < T ? ids[t + 1]! : -1)), lossTokens: T - 1 };
    });
    const trainer = new Trainer(be, model, params, samples, { ...DEFAULT_TRAIN, batchSize: 1, gradAccum: 1, steps: 3, contextLength: T, warmupSteps: 0 });
    log("counts: a warm-up training step");
    await trainer.trainStep();
    log("counts: one LoRA training step");
    const train = await counted(be.ctx, () => trainer.trainStep());
    return { weightBytes, decode, train: { T, ...train } };
  } finally {
    be.ctx.destroy();
  }
}
