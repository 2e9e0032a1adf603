// webgpu-quant.ts — e2e harness for tests/e2e/webgpu-quant.test.ts: frozen weights stored as f16, int8 or int4
// (src/lib/train/quant.ts) on the WebGPU backend, dequantized inside the matmul, against the CPU backend holding the
// same format (max |gpu - ref| / max(1, |ref|), Infinity for NaN) and against the CPU backend on the original f32
// weights (max |gpu - ref| / max |ref|: the format's own error, relative to the output's scale). Outputs of the
// forward start as NaN, gradients random. Some cases run under a forced small binding limit, so the packed weight is
// bound as row ranges. Also: what the backend refuses, pooled buffers after free, and one LoRA training step of a
// tiny model with int8 weights. Test code only, not part of the app.

import { urlFiles } from "../../../src/lib/model/browser-files.ts";
import type { Backend } from "../../../src/lib/train/backend.ts";
import { CpuBackend } from "../../../src/lib/train/cpu/index.ts";
import { tokenizeSample, type TokenizedSample } from "../../../src/lib/train/data.ts";
import { loadEngine } from "../../../src/lib/train/engine.ts";
import { attachLora, DEFAULT_LORA } from "../../../src/lib/train/lora.ts";
import type { WeightFormat } from "../../../src/lib/train/quant.ts";
import { DEFAULT_TRAIN, Trainer } from "../../../src/lib/train/trainer.ts";
import { WebGpuBackend } from "../../../src/lib/train/webgpu/backend.ts";
import { GpuContext } from "../../../src/lib/train/webgpu/context.ts";
import { sampleFile } from "../../../src/lib/fim/index.ts";
import { cases, splitLimit, type Case } from "./webgpu-quant-cases.ts";

export interface Report {
  /** Per output: against the CPU backend with the same frozen format. */
  errors: Record<string, number>;
  /** Per output: against the CPU backend on the original f32 weights, relative to the largest |output|. */
  vsF32: Record<string, number>;
  gpuErrors: string[];
  /** Storage bindings with an explicit offset/size (recorded under forced limits only). */
  ranges: { offset: number; size: number }[];
}

// --- data ---

/** mulberry32 in [-1, 1). */
function random(n: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

function maxRel(got: ArrayLike<number>, ref: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < ref.length; i++) {
    const e = Math.abs(got[i]! - ref[i]!) / Math.max(1, Math.abs(ref[i]!));
    if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
  }
  return got.length === ref.length ? worst : Infinity;
}

function maxNorm(got: ArrayLike<number>, ref: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    const e = Math.abs(got[i]! - ref[i]!);
    diff = Number.isNaN(e) ? Infinity : Math.max(diff, e);
    scale = Math.max(scale, Math.abs(ref[i]!));
  }
  return diff / scale;
}

// --- the GPU ---

let ctxPromise: Promise<GpuContext> | undefined;
const uncaptured: string[] = [];
function gpu(): Promise<GpuContext> {
  return (ctxPromise ??= GpuContext.create().then((ctx) => {
    ctx.device.addEventListener("uncapturederror", (e) => uncaptured.push((e as GPUUncapturedErrorEvent).error.message));
    return ctx;
  }));
}

/** `ctx` with maxStorageBufferBindingSize forced to `limit`, recording every bind group entry with an offset or size. */
function limited(ctx: GpuContext, limit: number, ranges: Report["ranges"]): GpuContext {
  const lim = new Proxy(ctx.limits, { get: (t, k) => (k === "maxStorageBufferBindingSize" ? limit : Reflect.get(t, k)) });
  const device = new Proxy(ctx.device, {
    get(t, k) {
      if (k === "createBindGroup") {
        return (d: GPUBindGroupDescriptor) => {
          for (const e of d.entries) {
            const r = e.resource as GPUBufferBinding;
            if (r.offset !== undefined || r.size !== undefined) ranges.push({ offset: r.offset ?? 0, size: r.size ?? r.buffer.size });
          }
          return t.createBindGroup(d);
        };
      }
      const v = Reflect.get(t, k);
      return typeof v === "function" ? v.bind(t) : v;
    },
  });
  return new Proxy(ctx, { get: (t, k, r) => (k === "limits" ? lim : k === "device" ? device : Reflect.get(t, k, r)) });
}

/** A WebGpuBackend over `ctx` (its constructor is private: the app only makes them with WebGpuBackend.create). */
function backendOver(ctx: GpuContext): WebGpuBackend {
  return new (WebGpuBackend as unknown as new (ctx: GpuContext) => WebGpuBackend)(ctx);
}

type AnyBackend = Backend<unknown, unknown>;

/** Runs case `c` on `be` with its weight stored as `format`; returns the outputs. */
async function runOn(be: AnyBackend, c: Case, format: WeightFormat, seed: number): Promise<Record<string, Float32Array>> {
  const { N, IC, OC, scale } = c;
  // row 0 small: its blocks' scales are f16 subnormals (a kernel that flushed them to zero would lose the row)
  const wdata = random(OC * IC, seed).map((v, i) => (i < IC ? v * 1e-3 : v));
  const w = be.uploadFrozen(wdata, OC, IC, format, "w");
  const identity = Float32Array.from({ length: N * IC }, (_, i) => (i % (IC + 1) === 0 ? 1 : 0));
  const inp = be.upload(c.pass === "identity" ? identity : random(N * IC, seed + 1));
  const outs: Record<string, [unknown, number]> = {};
  if (c.pass !== "backward") {
    const out = be.upload(c.accumulate ? random(N * OC, seed + 2) : new Float32Array(N * OC).fill(NaN));
    const bias = c.bias ? be.upload(random(OC, seed + 3)) : null;
    be.matmulForward(out, inp, w, bias, N, IC, OC, { scale, accumulate: c.accumulate });
    outs.out = [out, N * OC];
  } else {
    const dout = be.upload(random(N * OC, seed + 4));
    const dinp = be.upload(random(N * IC, seed + 5));
    const dbias = c.bias ? be.upload(random(OC, seed + 6)) : null;
    be.matmulBackward(dinp, null, dbias, dout, inp, w, N, IC, OC, scale);
    outs.dinp = [dinp, N * IC];
    if (dbias) outs.dbias = [dbias, OC];
  }
  const result: Record<string, Float32Array> = {};
  for (const [k, [buf, n]] of Object.entries(outs)) result[k] = await be.read(buf, n);
  return result;
}

async function run(name: string): Promise<Report> {
  const c = cases[name];
  if (!c) throw new Error(`no case ${name}`);
  const seed = 1 + Object.keys(cases).indexOf(name) * 10;
  const cpu = new CpuBackend() as unknown as AnyBackend;
  const same = await runOn(cpu, c, c.format, seed);
  const f32 = await runOn(cpu, c, "f32", seed);
  const ctx = await gpu();
  const ranges: Report["ranges"] = [];
  const gpuErrors: string[] = [];
  ctx.device.pushErrorScope("internal");
  ctx.device.pushErrorScope("validation");
  let got: Record<string, Float32Array> = {};
  try {
    const view = c.splitRows ? limited(ctx, splitLimit(c.format, c.IC, c.splitRows), ranges) : ctx;
    got = await runOn(backendOver(view) as unknown as AnyBackend, c, c.format, seed);
  } catch (e) {
    gpuErrors.push(`${name}: ${e instanceof Error ? e.message : String(e)}`);
  }
  for (const scope of ["validation", "internal"]) {
    const err = await ctx.device.popErrorScope();
    if (err) gpuErrors.push(`${name} (${scope}): ${err.message}`);
  }
  await ctx.device.queue.onSubmittedWorkDone();
  gpuErrors.push(...uncaptured.splice(0).map((m) => `${name} (uncaptured): ${m}`));
  const errors: Record<string, number> = {};
  const vsF32: Record<string, number> = {};
  for (const k of Object.keys(same)) {
    errors[k] = got[k] ? maxRel(got[k], same[k]!) : Infinity;
    vsF32[k] = got[k] ? maxNorm(got[k], f32[k]!) : Infinity;
  }
  return { errors, vsF32, gpuErrors, ranges };
}

/** What the backend refuses, with the message it gives, and whether a freed packed buffer comes back as a plain one. */
async function refusals(): Promise<Record<string, string>> {
  const be = backendOver(await gpu());
  const attempt = (f: () => unknown) => {
    try {
      f();
      return "no error";
    } catch (e) {
      return (e as Error).message;
    }
  };
  const [OC, IC] = [16, 64];
  const w = be.uploadFrozen(random(OC * IC, 7), OC, IC, "int8", "blk.w");
  const x = be.upload(random(IC, 8));
  const out: Record<string, string> = {
    dweight: attempt(() => be.matmulBackward(null, be.alloc(OC * IC), null, be.alloc(OC), x, w, 1, IC, OC)),
    classifier: attempt(() => be.classifierForward(be.alloc(1), be.alloc(1), x, w, be.uploadIds(new Int32Array(1)), 1, IC, OC)),
    embedding: attempt(() => be.embeddingForward(be.alloc(IC), be.uploadIds(new Int32Array(1)), w, 1, IC)),
    oddRows: attempt(() => be.uploadFrozen(new Float32Array(3 * 33), 3, 33, "int4", "model.layers.0.mlp.down_proj.weight")),
  };
  // a freed int8 (16, 64) weight is 16 * 17 words: the pool hands the buffer to an f32 upload of that size, which
  // must then multiply as f32 again
  be.free(w);
  const plain = random(OC * 17, 9);
  const again = be.upload(plain);
  const y = be.alloc(OC);
  be.matmulForward(y, be.upload(random(17, 10)), again, null, 1, 17, OC);
  const ref = new Float32Array(OC);
  new CpuBackend().matmulForward(ref, random(17, 10), plain, null, 1, 17, OC);
  out.reused = again === w ? `same buffer, error ${maxRel(await be.read(y), ref)}` : "another buffer";
  return out;
}

/** One LoRA training step of the tiny model at `url` with its linears stored as `format`, on the GPU and the CPU. */
async function trainStep(url: string, format: WeightFormat) {
  const step = async (be: AnyBackend, weights: WeightFormat) => {
    const engine = await loadEngine(be, urlFiles(url), { weights });
    const text = "def add(a, b):\n    total = a + b\n    return total\n\n\ndef sub(a, b):\n    return a - b\n";
    const recs = sampleFile({ path: "a.py", text, language: "python" }, 4, "qwen", { seed: 1, spanUnit: "lines", fimRate: 1, spmRate: 0, incompleteRate: 0.35, eot: undefined }, "train");
    const samples = recs.map((r) => tokenizeSample(r, engine.checkpoint.tokenizer, { contextLength: 96, lossOn: "middle" })).filter((s): s is TokenizedSample => !!s);
    const params = attachLora(be, engine.model.w, { ...DEFAULT_LORA, r: 2, alpha: 4 }, 3);
    // B = 0 would make every dA zero: give B values so both gradients are exercised
    for (const p of params) if (p.name.includes("lora_B")) be.write(p.buf, Float32Array.from({ length: p.n }, (_, i) => Math.sin(i + p.n) * 0.05));
    const trainer = new Trainer(be, engine.model, params, samples, { ...DEFAULT_TRAIN, lr: 1e-2, warmupSteps: 1, batchSize: 2, gradAccum: 1, steps: 1, contextLength: 96 });
    const { loss } = await trainer.trainStep();
    const grads = await Promise.all(params.map((p) => be.read(p.grad, p.n)));
    return { loss, grads };
  };
  const g = await step((await WebGpuBackend.create()) as unknown as AnyBackend, format);
  const c = await step(new CpuBackend() as unknown as AnyBackend, format);
  const f = await step(new CpuBackend() as unknown as AnyBackend, "f32");
  const worst = (a: Float32Array[], b: Float32Array[]) => Math.max(...a.map((x, i) => maxRel(x, b[i]!)));
  return { lossGpu: g.loss, lossCpu: c.loss, lossF32: f.loss, worstGrad: worst(g.grads, c.grads), worstGradVsF32: worst(c.grads, f.grads) };
}

const api = { names: () => Object.keys(cases), run, refusals, trainStep };
export type QuantApi = typeof api;

declare global {
  interface Window {
    gpuQuant: QuantApi;
  }
}
window.gpuQuant = api;
