// One measured engine job on the CPU backend, in a fresh process so its peak RSS is its own.
// Usage (from scripts/bench.mjs): node --import tsx tests/bench/engine-run.ts JOB [THREADS] [T] [recompute]
//   matmul:              GFLOP/s of the TypeScript kernels (naive triple loop, blocked kernel on one thread, the pool on
//                        two) and the WebAssembly kernels (one thread, two) on the shapes of a SmolLM2-135M layer (plus
//                        matmulBackward, which has no naive twin)
//   decode THREADS:      Generator on a random SmolLM2-135M-shaped model (30 layers): a 256-token prompt, then 32
//                        greedy tokens; then decoding at context 1024 (a random-filled KV cache, 8 tokens)
//   train THREADS T [recompute]: one LoRA (r 16, all 7 projections) forward + backward at B = 1. The full 30-layer
//                        model and workspace are allocated and touched (so peak RSS is a full step's), but only
//                        block 0 and 16 rows of the lm_head + cross-entropy are timed; the step time is composed
//                        from them: L * (fwd + bwd) [+ (L - 1) * fwd when recomputing] + T * lm_head per row.
//   memory WEIGHTS:      a random Qwen2.5-Coder-0.5B-shaped model loaded for inference as WEIGHTS (f32, int8, int4;
//                        int8 / int4 come with an int8 embedding table): the backend's heap and the process's peak
//                        RSS, then a 64-token prompt and 16 greedy tokens on 2 threads with a 2048-token KV cache
// Prints one JSON line per figure. Not a test: nothing is asserted beyond results matching their reference.

import { QWEN25_CODER_05B, SMOLLM2_135M } from "../../src/lib/bench/presets.ts";
import { Rng } from "../../src/lib/fim/prng.ts";
import { CpuBackend } from "../../src/lib/train/cpu/index.ts";
import { matmulBackward, matmulForward, matmulForwardNaive } from "../../src/lib/train/cpu/matmul.ts";
import { LastRowLogits } from "../../src/lib/train/causal-lm.ts";
import { Generator } from "../../src/lib/train/generate.ts";
import { attachLora, DEFAULT_LORA } from "../../src/lib/train/lora.ts";
import { Workspace, type KvTarget } from "../../src/lib/train/model.ts";
import { fillUniform, randomModel as buildRandomModel } from "../../src/lib/train/random-model.ts";
import type { WeightFormat } from "../../src/lib/train/quant.ts";
import { inferenceWeights } from "../../src/lib/train/tables.ts";
import { dimsOf } from "../../src/lib/train/weights.ts";

const d = dimsOf(SMOLLM2_135M);
const rng = new Rng(2024);
const STD = 0.02;

const fillRandom = (a: Float32Array, std = STD): void => void fillUniform(a, rng, std);
const emit = (o: Record<string, unknown>) => console.log(JSON.stringify(o));
/** CPU seconds of all this process's threads per wall second since `start`: shows when other processes took the cores. */
const coresSince = (start: { cpu: NodeJS.CpuUsage; wall: number }) => {
  const u = process.cpuUsage(start.cpu);
  return (u.user + u.system) / 1e3 / (performance.now() - start.wall);
};
const mark = () => ({ cpu: process.cpuUsage(), wall: performance.now() });
const maxRssMB = () => process.resourceUsage().maxRSS / 1024;
const seconds = (f: () => void) => {
  const t = performance.now();
  f();
  return (performance.now() - t) / 1000;
};
/** Best of repeated runs, at least `min` of them and about `budget` seconds in all. */
function best(f: () => void, budget = 0.6, min = 2): number {
  let t = seconds(f);
  const reps = Math.max(min - 1, Math.ceil(budget / t) - 1);
  for (let r = 0; r < reps; r++) t = Math.min(t, seconds(f));
  return t;
}

/** The random SmolLM2-shaped model (one tensor at a time on the host besides the backend's 540 MB). */
const randomModel = (be: CpuBackend) => buildRandomModel(be, SMOLLM2_135M, rng, STD);

/** The same matmuls on each way the CPU backend can run them: TypeScript (one thread, the pool) and WebAssembly. */
async function matmulJob(): Promise<void> {
  const ways: [string, CpuBackend][] = [
    ["ts-pool2", new CpuBackend("f32", { threads: 2, wasm: null })],
    ["wasm1", new CpuBackend("f32", { threads: 1 })],
    ["wasm2", new CpuBackend("f32", { threads: 2 })],
  ];
  for (const [, be] of ways) await be.ready();
  const shapes: [string, number, number, number][] = [
    ["q/o_proj, T=256", 256, 576, 576], ["gate/up_proj, T=256", 256, 576, 1536], ["down_proj, T=256", 256, 1536, 576],
    ["gate/up_proj, decode", 1, 576, 1536], ["lm_head, decode", 1, 576, 49152],
  ];
  for (const [what, N, IC, OC] of shapes) {
    const inp = new Float32Array(N * IC), w = new Float32Array(OC * IC), ref = new Float32Array(N * OC), out = new Float32Array(N * OC);
    fillRandom(inp, 1);
    fillRandom(w);
    const flop = 2 * N * IC * OC;
    const shape = { what, N, IC, OC };
    const naive = best(() => matmulForwardNaive(ref, inp, w, null, N, IC, OC));
    emit({ job: "matmul", kernel: "naive", ...shape, gflops: flop / naive / 1e9 });
    const blocked = best(() => matmulForward(out, inp, w, null, N, IC, OC));
    emit({ job: "matmul", kernel: "blocked", ...shape, gflops: flop / blocked / 1e9 });
    for (const [kernel, be] of ways) {
      const [i, wb, o] = [be.upload(inp), be.upload(w), be.alloc(N * OC)];
      const m = mark();
      const t = best(() => be.matmulForward(o, i, wb, null, N, IC, OC));
      const cores = coresSince(m);
      const close = o.every((x, j) => Math.abs(x - ref[j]!) <= 1e-4 * (1 + Math.abs(ref[j]!)));
      emit({ job: "matmul", kernel, ...shape, gflops: flop / t / 1e9, threads: be.threads, cores, matchesNaive: close });
    }
  }
  // backward: dinp and dweight of a frozen-weight linear in full training (LoRA training needs dinp only)
  const [N, IC, OC] = [256, 576, 1536];
  const dout = new Float32Array(N * OC), inp = new Float32Array(N * IC), w = new Float32Array(OC * IC);
  fillRandom(dout, 1);
  fillRandom(inp, 1);
  fillRandom(w);
  const flop = 2 * 2 * N * IC * OC;
  const shape = { what: "gate/up_proj backward (dinp + dweight), T=256", N, IC, OC };
  const dinp = new Float32Array(N * IC), dw = new Float32Array(OC * IC);
  emit({ job: "matmul", kernel: "blocked", backward: true, ...shape, gflops: flop / best(() => matmulBackward(dinp, dw, null, dout, inp, w, N, IC, OC)) / 1e9 });
  for (const [kernel, be] of ways) {
    const [g, i, wb, di, dwb] = [be.upload(dout), be.upload(inp), be.upload(w), be.alloc(N * IC), be.alloc(OC * IC)];
    const m = mark();
    const t = best(() => be.matmulBackward(di, dwb, null, g, i, wb, N, IC, OC));
    emit({ job: "matmul", kernel, backward: true, ...shape, gflops: flop / t / 1e9, threads: be.threads, cores: coresSince(m) });
  }
  for (const [, be] of ways) await be.dispose();
}

async function decodeJob(threads: number): Promise<void> {
  const be = new CpuBackend("f32", { threads });
  await be.ready();
  const model = await randomModel(be);
  const PROMPT = 256, DECODE = 32;
  const gen = new Generator(model, PROMPT + DECODE);
  const prompt = Array.from({ length: PROMPT }, () => Math.floor(rng.next() * d.V));
  // warm-up (V8 optimizes a WebAssembly function after its first calls): a prompt sharing no prefix with the timed one
  let w = await gen.prompt(prompt.map((x) => (x + 1) % d.V));
  for (let i = 0; i < 4; i++) w = await gen.append([argmax(w)]);
  const m = mark();
  let t = performance.now();
  let logits = await gen.prompt(prompt);
  const prefill = (performance.now() - t) / 1000;
  t = performance.now();
  for (let i = 0; i < DECODE; i++) logits = await gen.append([argmax(logits)]);
  const decode = (performance.now() - t) / 1000;
  emit({
    job: "decode", threads: be.threads, layers: d.L, context: PROMPT, prefillTokPerS: PROMPT / prefill, decodeTokPerS: DECODE / decode,
    cores: coresSince(m),
  });

  // decoding at context 1024: what Generator.append does per token, on a KV cache already holding 1024 rows
  const CTX = 1024, STEPS = 8;
  const kv = d.NKV * d.HS;
  const caches: KvTarget<Float32Array>[] = Array.from({ length: d.L }, () => {
    const k = be.alloc((CTX + STEPS) * kv), v = be.alloc((CTX + STEPS) * kv);
    fillRandom(k, 1);
    fillRandom(v, 1);
    return { k, v, kvStride: CTX + STEPS, offset: CTX };
  });
  const ws = new Workspace(be, d, 1, 1, true);
  const head = new LastRowLogits(be, d.C, d.V);
  let id = argmax(logits);
  const m1k = mark();
  t = performance.now();
  for (let s = 0; s < STEPS; s++) {
    be.writeIds(ws.ids, Int32Array.of(id));
    be.writeIds(ws.pos, Int32Array.of(CTX + s));
    for (const c of caches) c.offset = CTX + s;
    model.forwardCached(ws, 1, caches, head);
    id = argmax(await head.read());
  }
  const decode1k = (performance.now() - t) / 1000;
  emit({ job: "decode", threads: be.threads, layers: d.L, context: CTX, decodeTokPerS: STEPS / decode1k, cores: coresSince(m1k), maxRssMB: maxRssMB() });
  await be.dispose();
}

function argmax(a: Float32Array): number {
  let m = 0;
  for (let i = 1; i < a.length; i++) if (a[i]! > a[m]!) m = i;
  return m;
}

async function trainJob(threads: number, T: number, recompute: boolean): Promise<void> {
  const be = new CpuBackend("f32", { threads });
  await be.ready();
  const model = await randomModel(be);
  const params = attachLora(be, model.w, DEFAULT_LORA, 1);
  for (const p of params) if (p.name.includes("lora_B")) fillRandom(p.buf); // B = 0 would let the kernels skip work
  const ws = new Workspace(be, d, 1, T, recompute);
  // every buffer a full step writes, touched so peak RSS is a full step's
  const touch = (o: unknown): void => {
    if (o instanceof Float32Array) o.fill(0);
    else if (o && typeof o === "object") Object.values(o).forEach(touch);
  };
  touch(ws);
  const ids = Int32Array.from({ length: T }, () => Math.floor(rng.next() * d.V));
  be.writeIds(ws.ids, ids);
  be.writeIds(ws.targets, Int32Array.from({ length: T }, (_, t) => ids[(t + 1) % T]!));
  be.writeIds(ws.pos, Int32Array.from({ length: T }, (_, t) => t));
  be.embeddingForward(ws.xs[0]!, ws.ids, model.w.wte, T, d.C);
  const a = ws.acts[0]!;
  const reps = 2; // the first call of a WebAssembly kernel runs its baseline (Liftoff) code until V8 has optimized it
  const m = mark();
  let fwd = Infinity, bwd = Infinity;
  for (let r = 0; r < reps; r++) {
    fwd = Math.min(fwd, seconds(() => model.blockForward(0, ws.xs[0]!, ws.xs[1]!, a, 1, T, ws.pos)));
    fillRandom(ws.dres, 1e-3); // dL/dy of the block above
    bwd = Math.min(bwd, seconds(() => model.blockBackward(0, ws.xs[0]!, ws.dres, a, ws.scratch, 1, T, ws.pos)));
  }
  touch(model.w.blocks.map((b) => Object.values(b.lin).map((l) => [l.lora?.dA, l.lora?.dB]))); // gradients of every layer
  const ROWS = 16; // lm_head + cross-entropy cost is the same for every row
  be.rmsnormForward(ws.lnf, ws.rstdf, ws.xs[1]!, model.w.lnf, ROWS, d.C, d.eps);
  const cls = best(() => {
    be.classifierForward(ws.losses, ws.lseCE, ws.lnf, model.w.lmHead, ws.targets, ROWS, d.C, d.V);
    be.classifierBackward(ws.scratch.dln, null, ws.lnf, model.w.lmHead, ws.targets, ws.lseCE, 1 / T, ROWS, d.C, d.V);
  }, 0, 1) / ROWS;
  const step = d.L * (fwd + bwd) + (recompute ? (d.L - 1) * fwd : 0) + T * cls;
  emit({
    job: "train", threads: be.threads, T, recompute, layers: d.L, layersTimed: 1, blockFwdS: fwd, blockBwdS: bwd, lmHeadPerRowS: cls,
    stepS: step, tokPerS: T / step, cores: coresSince(m), maxRssMB: maxRssMB(),
  });
  await be.dispose();
}

async function memoryJob(weights: WeightFormat): Promise<void> {
  const c = QWEN25_CODER_05B, q = dimsOf(c);
  const be = new CpuBackend("f32", { threads: 2 });
  await be.ready();
  const model = await buildRandomModel(be, c, rng, STD, inferenceWeights(weights));
  const gen = new Generator(model, 2048);
  const heapMB = be.wasm!.heap.liveBytes / 2 ** 20;
  const memoryMB = be.wasm!.heap.memory.buffer.byteLength / 2 ** 20; // what the heap has grown to
  const prompt = Array.from({ length: 64 }, () => Math.floor(rng.next() * q.V));
  let logits = await gen.prompt(prompt.map((x) => (x + 1) % q.V)); // warm-up
  const t0 = performance.now();
  logits = await gen.prompt(prompt);
  const prefill = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  for (let i = 0; i < 16; i++) logits = await gen.append([argmax(logits)]);
  const decode = (performance.now() - t1) / 1000;
  // resident after loading and decoding: the loading's garbage (one float32 tensor at a time) is freed only once the
  // event loop turns (run with --expose-gc)
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  await new Promise((r) => setTimeout(r, 500));
  gc?.();
  const rssMB = process.memoryUsage().rss / 2 ** 20;
  emit({ job: "memory", weights, heapMB, memoryMB, rssMB, maxRssMB: maxRssMB(), prefillTokPerS: 64 / prefill, decodeTokPerS: 16 / decode });
  await be.dispose();
}

const [job, threadsArg, tArg, recomputeArg] = process.argv.slice(2);
const threads = Number(threadsArg ?? 1);
if (job === "matmul") await matmulJob();
else if (job === "decode") await decodeJob(threads);
else if (job === "train") await trainJob(threads, Number(tArg ?? 256), recomputeArg === "recompute");
else if (job === "memory") await memoryJob((threadsArg ?? "int4") as WeightFormat);
else throw new Error(`engine-run: unknown job ${JSON.stringify(job)} (matmul | decode THREADS | train THREADS T [recompute] | memory WEIGHTS)`);
