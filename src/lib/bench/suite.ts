// The benchmark suite, written once against the Backend interface: on a random model of a preset's shape it times
// each kernel (GFLOP/s), LoRA training (tokens/s) and generation (prefill and decode tokens/s), and returns one
// JSON-able report. Run by `npm run bench -- webgpu` (tests/bench/webgpu-run.ts, WebGPU and CPU in one page) and
// by the app's Benchmark page (src/workers/bench.worker.ts), so figures from real GPUs compare with ours.
// Every timing ends with a read, which waits for the GPU's queue; the first call of anything is a warm-up
// (pipelines compile, memory is touched) and is not counted. Not here: the shapes (presets.ts, kernels.ts).

import { Rng } from "../fim/prng.ts";
import type { Backend } from "../train/backend.ts";
import { adapterFacts, describeAdapter } from "../train/webgpu/adapter-info.ts";
import type { TokenizedSample } from "../train/data.ts";
import { attachLora, defaultLora } from "../train/lora.ts";
import type { CausalLM } from "../train/causal-lm.ts";
import type { TransformerDims } from "../train/model.ts";
import { fillUniform, randomModel } from "../train/random-model.ts";
import { argmax } from "../train/sampling.ts";
import { DEFAULT_TRAIN, Trainer } from "../train/trainer.ts";
import { dimsOf } from "../train/weights.ts";
import { kernelCases, type KernelCase } from "./kernels.ts";
import { PRESETS, type PresetName, type PresetSpec } from "./presets.ts";

/** Bumped whenever a field changes meaning, so collected reports can be told apart. */
export const REPORT_VERSION = 1;
/** Calls per timed repetition at most (tiny kernels on a fast backend). */
const MAX_CALLS = 1000;
const SEED = 2024;

export interface BackendInfo {
  name: string;
  /** One line for tables, e.g. "WebGPU: SwiftShader Device (software)" or "CPU, 1 thread". */
  label: string;
  threads?: number;
  adapter?: { vendor: string; architecture: string; device: string; description: string };
  shaderF16?: boolean;
  /** A software rasterizer (SwiftShader, llvmpipe, WARP): its figures say nothing about GPUs. */
  software?: boolean;
}

export interface KernelRow {
  name: string;
  /** e.g. "N=64 IC=128 OC=384" */
  shape: string;
  dims: Record<string, number>;
  flops: number;
  /** Calls per timed repetition; ms are per call. */
  calls: number;
  ms: number; // best repetition
  msMedian: number;
  gflops: number; // from the best repetition
  gflopsMedian: number;
}

export interface BenchReport {
  version: number;
  preset: PresetName;
  /** What was run: the model's dims and the preset's sizes. */
  spec: Omit<PresetSpec, "config" | "description"> & { dims: TransformerDims };
  backend: BackendInfo;
  rows: KernelRow[];
  trainTokPerS: number;
  trainStepMs: number;
  /** Mean loss of the last timed step: about ln(V) on random data; a check that the step ran. */
  trainLoss: number;
  prefillTokPerS: number;
  decodeTokPerS: number;
  /** Wall time of the whole suite, set-up and warm-ups included. */
  seconds: number;
  createdAt: string;
}

export interface SuiteProgress {
  stage: string;
  done: number;
  total: number;
}

/** What the backend runs on, from its own fields (the WebGPU backend's adapter, the CPU backend's threads). */
export function backendInfo(be: Backend<unknown, unknown>): BackendInfo {
  const gpu = (be as { ctx?: { adapter?: GPUAdapter; hasF16?: boolean } }).ctx;
  if (gpu?.adapter) {
    const facts = adapterFacts(gpu.adapter);
    const adapter = { vendor: facts.vendor ?? "", architecture: facts.architecture ?? "", device: facts.device ?? "", description: facts.description ?? "" };
    const { label, software } = describeAdapter(facts);
    return { name: be.name, label: `WebGPU: ${label}`, adapter, shaderF16: !!gpu.hasF16, software };
  }
  const threads = (be as { threads?: number }).threads;
  if (typeof threads === "number") return { name: be.name, label: `CPU, ${threads} thread${threads === 1 ? "" : "s"}`, threads };
  return { name: be.name, label: be.name };
}

const now = () => performance.now();

/**
 * Times one kernel case: a warm-up, then `reps` repetitions of enough calls to last `minRepMs`, each ended by one read
 * (whose latency, a queue round trip on a GPU, is spread over the calls).
 */
async function timeKernel<T, I>(be: Backend<T, I>, c: KernelCase, spec: PresetSpec, rng: Rng): Promise<KernelRow> {
  const p = c.prepare(be, rng);
  try {
    const rep = async (calls: number) => {
      const t = now();
      for (let i = 0; i < calls; i++) p.run();
      await be.read(p.out, 1);
      return (now() - t) / calls;
    };
    await rep(1); // compiles pipelines on a GPU, touches memory on the CPU
    // more calls until a repetition lasts minRepMs (browsers' clocks tick in 5 to 100 us)
    let calls = 1;
    for (let ms = (await rep(1)) * calls; ms < spec.minRepMs && calls < MAX_CALLS; ms = (await rep(calls)) * calls) {
      calls = Math.min(MAX_CALLS, Math.max(2 * calls, Math.ceil((1.2 * calls * spec.minRepMs) / Math.max(ms, 0.05))));
    }
    const times: number[] = [];
    while (times.length < spec.reps) {
      const ms = await rep(calls);
      // a repetition far shorter than calibrated was below the clock's resolution: redo it with more calls
      if (ms * calls < spec.minRepMs / 2 && calls < MAX_CALLS) calls = Math.min(MAX_CALLS, 2 * calls);
      else times.push(ms);
    }
    times.sort((a, b) => a - b);
    const ms = times[0]!;
    const msMedian = times[Math.floor(times.length / 2)]!;
    const shape = Object.entries(c.dims).map(([k, v]) => `${k}=${v}`).join(" ");
    return { name: c.name, shape, dims: c.dims, flops: c.flops, calls, ms, msMedian, gflops: c.flops / ms / 1e6, gflopsMedian: c.flops / msMedian / 1e6 };
  } finally {
    p.free();
  }
}

const randomIds = (rng: Rng, n: number, V: number) => Array.from({ length: n }, () => Math.floor(rng.next() * V));

/** Prefill of a random prompt, then greedy decoding, on the base model; a full warm-up run first. */
async function timeGeneration<T, I>(model: CausalLM<T, I>, spec: PresetSpec, rng: Rng) {
  const V = model.V;
  const gen = model.decoder(spec.promptTokens + spec.decodeTokens);
  const run = async (prompt: number[]) => {
    gen.reset();
    let t = now();
    let logits = await gen.prompt(prompt);
    const prefillS = (now() - t) / 1000;
    t = now();
    for (let i = 0; i < spec.decodeTokens; i++) logits = await gen.append([argmax(logits, V)]);
    return { prefillS, decodeS: (now() - t) / 1000 };
  };
  await run(randomIds(rng, spec.promptTokens, V));
  const { prefillS, decodeS } = await run(randomIds(rng, spec.promptTokens, V));
  return { prefillTokPerS: spec.promptTokens / prefillS, decodeTokPerS: spec.decodeTokens / decodeS };
}

/** LoRA training steps on random token sequences (every token carries loss); one warm-up step first. */
async function timeTraining<T, I>(be: Backend<T, I>, model: CausalLM<T, I>, spec: PresetSpec, rng: Rng) {
  const r = spec.loraRank;
  const params = attachLora(be, model.w, { ...defaultLora(model), r, alpha: 2 * r }, SEED);
  // B = 0 (PEFT's start) would let a kernel skip work that a trained adapter needs
  for (const p of params) if (p.name.includes("lora_B")) be.write(p.buf, fillUniform(new Float32Array(p.n), rng, 0.02));
  const samples: TokenizedSample[] = Array.from({ length: spec.B * (spec.trainSteps + 1) }, () => {
    const ids = Int32Array.from(randomIds(rng, spec.T + 1, model.V));
    return { ids: ids.subarray(0, spec.T), targets: ids.subarray(1), lossTokens: spec.T };
  });
  const trainer = new Trainer(be, model, params, samples, {
    ...DEFAULT_TRAIN, lr: 1e-4, warmupSteps: 0, batchSize: spec.B, gradAccum: 1, steps: spec.trainSteps + 1, contextLength: spec.T,
  });
  await trainer.trainStep();
  let tokens = 0;
  let loss = NaN;
  const t = now();
  for (let s = 0; s < spec.trainSteps; s++) {
    const step = await trainer.trainStep();
    tokens += step.tokens;
    loss = step.loss;
  }
  const ms = now() - t;
  return { trainTokPerS: tokens / (ms / 1000), trainStepMs: ms / spec.trainSteps, trainLoss: loss };
}

/** Runs the whole suite of `preset` on `be` (which the caller owns and disposes of). */
export async function runSuite<T, I>(
  be: Backend<T, I>, preset: PresetName, onProgress: (p: SuiteProgress) => void = () => {},
): Promise<BenchReport> {
  const start = now();
  const spec: PresetSpec = PRESETS[preset];
  const d = dimsOf(spec.config);
  const rng = new Rng(SEED);
  const cases = kernelCases(d, spec.B, spec.T);
  const total = cases.length + 3;
  let done = 0;
  const step = (stage: string) => onProgress({ stage, done: done++, total });
  const rows: KernelRow[] = [];
  for (const c of cases) {
    step(`kernel: ${c.name}`);
    rows.push(await timeKernel(be, c, spec, rng));
  }
  step("building a random model");
  const model = await randomModel(be, spec.config, rng);
  step("generation: prefill and decode");
  const gen = await timeGeneration(model, spec, rng);
  step("LoRA training steps");
  const train = await timeTraining(be, model, spec, rng);
  onProgress({ stage: "done", done: total, total });
  const { B, T, loraRank, trainSteps, promptTokens, decodeTokens, reps, minRepMs } = spec;
  return {
    version: REPORT_VERSION, preset, spec: { dims: d, B, T, loraRank, trainSteps, promptTokens, decodeTokens, reps, minRepMs },
    backend: backendInfo(be as Backend<unknown, unknown>), rows,
    ...train, ...gen, seconds: (now() - start) / 1000, createdAt: new Date().toISOString(),
  };
}
